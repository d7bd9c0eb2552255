// The shared page frame: one external stylesheet (CSP allows no inline style or script).
import { html, type SafeHtml } from './html.js';

export const PAGE_CSS = `
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;background:#f4f6f8}
main{max-width:28rem;margin:3rem auto;padding:2rem;background:#fff;border:1px solid #d0d7de;border-radius:8px}
main.wide{max-width:60rem}h1{font-size:1.4rem;margin:0 0 1rem}label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input[type=text],input[type=password]{width:100%;padding:.5rem;border:1px solid #8c959f;border-radius:6px;font:inherit}
input:focus,button:focus,a:focus{outline:3px solid #0969da;outline-offset:2px}
.check{display:flex;gap:.5rem;align-items:center;font-weight:400}button{margin-top:1rem;padding:.55rem 1.1rem;border:0;border-radius:6px;background:#0969da;color:#fff;font:inherit;cursor:pointer}
.error{background:#ffebe9;border:1px solid #cf222e;color:#82071e;padding:.5rem .75rem;border-radius:6px}.muted{color:#57606a;font-size:.9rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem;border-bottom:1px solid #d0d7de;vertical-align:top}
@media (max-width:32rem){main{margin:0;border:0;border-radius:0}}
`;

export function layout(opts: { slug: string; title: string; csrfToken?: string; wide?: boolean }, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
${opts.csrfToken ? html`<meta name="csrf-token" content="${opts.csrfToken}">` : ''}
<title>${opts.title}</title><link rel="stylesheet" href="/t/${opts.slug}/static/gatekeeper.css"></head>
<body><main class="${opts.wide ? 'wide' : ''}">${body}</main></body></html>`.value;
}
