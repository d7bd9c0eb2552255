// The built-in demo upstream for `npm start`: shows the identity headers it received
// from the gateway, so a newcomer sees who they are right after logging in.
import http from 'node:http';
import { html } from '../ui/html.js';

const SHOWN = [
  'x-auth-user',
  'x-auth-email',
  'x-auth-name',
  'x-auth-roles',
  'x-auth-tenant',
  'x-auth-session',
  'x-auth-time',
  'x-request-id',
  'x-forwarded-for',
];

export function createDemoApp(opts: { tenantSlug: string }): http.Server {
  return http.createServer((req, res) => {
    const h = req.headers;
    if ((req.url ?? '').startsWith('/api/')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ path: req.url, headers: Object.fromEntries(SHOWN.map((k) => [k, h[k] ?? null])) }));
      return;
    }
    // Links to the gateway's pages of the tenant that let this request in (two demo tenants share this app).
    const t =
      typeof h['x-auth-tenant'] === 'string' && /^[a-z0-9-]{1,63}$/.test(h['x-auth-tenant'])
        ? h['x-auth-tenant']
        : opts.tenantSlug;
    const name = typeof h['x-auth-name'] === 'string' ? decodeURIComponent(h['x-auth-name']) : null;
    const page = html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Demo app</title><link rel="stylesheet" href="/t/${t}/static/gatekeeper.css"></head><body><main class="wide">
<h1>${name ? `Hello, ${name}` : 'Hello, anonymous visitor'}</h1>
<p class="muted">This is the demo app behind Gatekeeper. It received <code>${req.method ?? ''} ${req.url ?? ''}</code> with these headers:</p>
<table><thead><tr><th scope="col">Header</th><th scope="col">Value</th></tr></thead><tbody>
${SHOWN.map((k) => html`<tr><td><code>${k}</code></td><td><code>${String(h[k] ?? '—')}</code></td></tr>`)}
</tbody></table>
<p><a href="/">Home</a> · <a href="/public/">A public page</a> · <a href="/admin/">Admins only</a> · <a href="/t/${t}/api/v1/session">My session (JSON)</a> · <a href="/t/${t}/logout">Sign out</a></p>
</main></body></html>`;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(page.value);
  });
}
