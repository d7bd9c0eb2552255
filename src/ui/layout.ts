// The shared page frame: one external stylesheet (CSP allows no inline style or script),
// external scripts only where a page needs them (WebAuthn), an optional top bar with the
// signed-in user's navigation, and the CSRF meta tag.
import { html, type SafeHtml } from './html.js';

// Mobile first; colours chosen for ≥ 4.5:1 contrast on their backgrounds. Tables marked
// `.stack` turn into one card per row on narrow screens, labelled by `data-label`.
export const PAGE_CSS = `
:root{--fg:#1b1f24;--muted:#57606a;--bg:#f4f6f8;--card:#fff;--line:#d0d7de;--accent:#0969da;--accent-dark:#0550ae;--danger:#b42318;--danger-dark:#8c1c13}
*{box-sizing:border-box}html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}a:hover{color:var(--accent-dark)}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
input:focus,select:focus,button:focus,a:focus{outline:3px solid var(--accent);outline-offset:2px}
.skip{position:absolute;left:-999rem;top:.5rem;background:#fff;color:var(--accent);padding:.5rem 1rem;border-radius:6px;z-index:10}.skip:focus{left:.5rem}
.top{background:#1b1f24;color:#fff}
.top .bar{max-width:64rem;margin:0 auto;padding:.65rem 1rem;display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.5rem}
.top a:focus,.top button:focus,.top :focus-visible{outline-color:#fff}
.brand{color:#fff;font-weight:700;text-decoration:none;white-space:nowrap}.brand:hover{color:#fff}.brand small{font-weight:400;color:#d0d7de;font-size:.9rem;margin-left:.4rem}
.top nav{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.25rem;flex:1 1 auto}
.top nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1.1rem}
.top nav a{color:#fff;text-decoration:none;display:inline-block;padding:.2rem 0;border-bottom:2px solid transparent}
.top nav a:hover{color:#fff;border-bottom-color:#8c959f}.top nav a[aria-current=page]{border-bottom-color:#fff;font-weight:600}
.who{margin-left:auto;display:flex;align-items:center;gap:.75rem;color:#d0d7de;font-size:.9rem}
.who form{margin:0}.who button{margin:0;background:transparent;border:1px solid #8c959f;color:#fff;padding:.25rem .8rem;font-size:.9rem}.who button:hover{background:#32383f}
main{max-width:28rem;margin:3rem auto;padding:2rem;background:var(--card);border:1px solid var(--line);border-radius:8px}
main.wide{max-width:64rem}
main.page{max-width:64rem;margin:1.5rem auto 3rem;padding:0 1rem;background:none;border:0;border-radius:0}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1.25rem;margin:0 0 1rem}.card>:last-child{margin-bottom:0}
.crumbs{margin:0 0 .5rem}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 1rem}h2{font-size:1.15rem;margin:0 0 .75rem}
.head{display:flex;flex-wrap:wrap;align-items:flex-end;justify-content:space-between;gap:.5rem 1rem;margin:0 0 1rem}.head h1{margin:0}.head p{margin:.25rem 0 0}
label{display:block;margin:.9rem 0 .3rem;font-weight:600}
input[type=text],input[type=password],input[type=search],input[type=number],select{width:100%;padding:.5rem .6rem;border:1px solid #6e7781;border-radius:6px;font:inherit;background:#fff;color:var(--fg)}
input[aria-invalid=true],select[aria-invalid=true]{border:2px solid var(--danger)}
input[readonly]{background:#eaeef2}
.check{display:flex;gap:.5rem;align-items:center;font-weight:400}.check input{width:1.1rem;height:1.1rem;margin:0}
button,.btn{display:inline-block;margin:0;padding:.55rem 1.1rem;border:1px solid transparent;border-radius:6px;background:var(--accent);color:#fff;font:inherit;font-weight:600;line-height:1.25;text-decoration:none;cursor:pointer}
button:hover,.btn:hover{background:var(--accent-dark);color:#fff}
.btn-danger{background:var(--danger)}.btn-danger:hover{background:var(--danger-dark)}
.btn-secondary{background:#fff;color:var(--fg);border-color:#8c959f}.btn-secondary:hover{background:#eaeef2;color:var(--fg)}
.btn-small{padding:.3rem .7rem;font-size:.9rem}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;align-items:center;margin-top:1.25rem}
.providers{display:grid;gap:.5rem;margin:1rem 0}.providers .btn{text-align:center}
form.inline{display:inline;margin:0}
.error,.flash{padding:.65rem .85rem;border-radius:6px;margin:0 0 1rem}
.error{background:#ffebe9;border:1px solid #cf222e;color:#82071e}
.flash.ok{background:#dafbe1;border:1px solid #1a7f37;color:#0f5323}
.field-error{color:#82071e;font-size:.9rem;margin:.3rem 0 0;font-weight:600}
.eyebrow{margin:0 0 .35rem;color:var(--muted);font-size:.8rem;font-weight:700;letter-spacing:.08em;text-transform:uppercase}
.hint,.muted{color:var(--muted);font-size:.9rem}.hint{margin:.25rem 0 0}
.error ul{margin:.25rem 0 0;padding-left:1.25rem}.error a{color:#82071e}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.6rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
thead th{font-size:.85rem;color:var(--muted);font-weight:600;border-bottom-width:2px;white-space:nowrap}
.sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
tbody th{font-weight:600}
td.num,th.num{text-align:right}
.exact{display:block;color:var(--muted);font-size:.8rem;white-space:nowrap}.nowrap{white-space:nowrap}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:999px;font-size:.8rem;font-weight:600;background:#ddf4ff;color:#0a3069;border:1px solid #54aeff;vertical-align:middle}
.badge.me{background:#dafbe1;color:#0f5323;border-color:#4ac26b}
.badge.role{background:#eaeef2;color:#1b1f24;border-color:#afb8c1}
.search{display:flex;gap:.5rem;align-items:flex-end;flex-wrap:wrap;margin:0 0 1rem}.search div{flex:1 1 14rem}.search label{margin-top:0}
.pager{display:flex;justify-content:space-between;align-items:center;gap:1rem;margin-top:1rem;flex-wrap:wrap}
.tabs{display:flex;gap:.25rem;border-bottom:1px solid var(--line);margin:0 0 1rem;padding:0;list-style:none}
.tabs a{display:block;padding:.5rem 1rem;text-decoration:none;color:var(--fg);border:1px solid transparent;border-bottom:0;border-radius:6px 6px 0 0;margin-bottom:-1px}
.tabs a[aria-current=page]{background:var(--card);border-color:var(--line);font-weight:600}
dl.props{display:grid;grid-template-columns:max-content 1fr;gap:.4rem 1.25rem;margin:0}dl.props dt{color:var(--muted)}dl.props dd{margin:0;overflow-wrap:anywhere}
fieldset{border:1px solid var(--line);border-radius:8px;padding:.25rem 1.25rem 1.25rem;margin:0 0 1rem;background:var(--card)}
legend{font-weight:700;padding:0 .4rem}
.grid{display:grid;grid-template-columns:1fr;gap:0 1.5rem}
details{margin:1rem 0 0}summary{cursor:pointer;color:var(--accent);font-weight:600}summary:hover{color:var(--accent-dark)}details[open] summary{margin-bottom:.25rem}
.warn{padding:.65rem .85rem;border-radius:6px;margin:0 0 1rem;background:#fff8c5;border:1px solid #9a6700;color:#3b2300}
.badge.mfa{background:#dafbe1;color:#0f5323;border-color:#4ac26b}
.steps{margin:0;padding-left:1.25rem}.steps>li{margin:0 0 1.25rem}.steps>li:last-child{margin-bottom:0}
.qr{display:inline-block;background:#fff;border:1px solid var(--line);border-radius:8px;padding:.5rem;margin:.5rem 0 0;line-height:0}.qr svg{display:block;width:12rem;height:12rem}
.secret{display:inline-block;font-size:1.05rem;letter-spacing:.05em;word-spacing:.3em;background:#eaeef2;border-radius:6px;padding:.3rem .6rem;margin:.25rem 0 0}
input.code{max-width:10rem;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:1.15rem;letter-spacing:.15em}
ol.codes{display:grid;grid-template-columns:repeat(auto-fill,minmax(12rem,1fr));gap:.4rem 1.5rem;margin:1rem 0;padding:1rem 1rem 1rem 2.5rem;background:#f6f8fa;border:1px solid var(--line);border-radius:8px}
ol.codes code{font-size:1.05rem;letter-spacing:.05em}
.method+.method{border-top:1px solid var(--line);margin-top:1.25rem;padding-top:1rem}
.webauthn-error:empty{margin:0}.webauthn-error{color:#82071e;font-weight:600;margin:.75rem 0 0}
[hidden]{display:none!important}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em;overflow-wrap:break-word}
.break{overflow-wrap:break-word}
@media (min-width:42rem){.grid{grid-template-columns:1fr 1fr}}
@media (max-width:42rem){
main{margin:0;border:0;border-radius:0;padding:1.25rem}main.page{margin:1rem auto 2rem;padding:0 .75rem}
.card{padding:1rem}
table.stack thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
table.stack,table.stack tbody{display:block}
table.stack tr{display:block;border:1px solid var(--line);border-radius:8px;margin:0 0 .75rem;padding:.5rem .75rem;background:var(--card)}
table.stack th,table.stack td{display:block;border:0;padding:.25rem 0;text-align:left}
table.stack td[data-label]::before{content:attr(data-label);display:block;font-size:.8rem;color:var(--muted);font-weight:600}
table.stack.compact td{padding:.1rem 0}table.stack.compact td[data-label]::before{display:inline;content:attr(data-label) ": ";font-size:.85rem}
.who{margin-left:0;width:100%;justify-content:space-between}
}
`;

/** The signed-in user's navigation; pages without it (login, errors) show a plain card. */
export interface NavModel {
  tenantName: string;
  username: string;
  isAdmin: boolean;
  csrfToken: string;
  active?: 'sessions' | 'security' | 'users' | 'settings';
}

export interface LayoutOptions {
  slug: string;
  title: string;
  /** Also published as `<meta name="csrf-token">` for scripts (SPEC §5). */
  csrfToken?: string;
  wide?: boolean;
  nav?: NavModel;
  /** An error page shows its catalogue code (docs/errors.md) in small print. */
  errorCode?: string | undefined;
  /** Same-origin script URLs, loaded with `defer` in this order (CSP: script-src 'self', nothing inline). */
  scripts?: readonly string[];
}

function topBar(slug: string, nav: NavModel): SafeHtml {
  const link = (key: NavModel['active'], href: string, label: string) =>
    html`<li><a href="${href}"${nav.active === key ? html` aria-current="page"` : ''}>${label}</a></li>`;
  return html`<header class="top"><div class="bar">
<a class="brand" href="/t/${slug}/account/sessions">Gatekeeper<small>${nav.tenantName}</small></a>
<nav aria-label="Main"><ul>
${link('sessions', `/t/${slug}/account/sessions`, 'My sessions')}
${link('security', `/t/${slug}/account/security`, 'Security')}
${nav.isAdmin ? [link('users', `/t/${slug}/portal/access-management/users`, 'Users'), link('settings', `/t/${slug}/portal/configuration/auth-settings`, 'Auth settings')] : ''}
</ul>
<div class="who"><span>Signed in as <strong class="break">${nav.username}</strong></span>
<form method="post" action="/t/${slug}/logout"><input type="hidden" name="csrf_token" value="${nav.csrfToken}"><button type="submit">Sign out</button></form></div>
</nav></div></header>`;
}

export function layout(opts: LayoutOptions, body: SafeHtml): string {
  const csrf = opts.csrfToken ?? opts.nav?.csrfToken;
  const mainClass = opts.nav ? 'page' : opts.wide ? 'wide' : '';
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
${csrf ? html`<meta name="csrf-token" content="${csrf}">` : ''}
<title>${opts.title} · Gatekeeper</title><link rel="stylesheet" href="/t/${opts.slug}/static/gatekeeper.css">
${(opts.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`)}</head>
<body><a class="skip" href="#content">Skip to content</a>
${opts.nav ? topBar(opts.slug, opts.nav) : ''}
<main id="content" class="${mainClass}">${body}${opts.errorCode ? html`<p class="hint error-code">Error code: <code>${opts.errorCode}</code></p>` : ''}</main></body></html>`
    .value;
}
