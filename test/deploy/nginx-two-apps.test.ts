// deploy/nginx/gatekeeper.conf included twice in one nginx, for two apps of two tenants (as
// an operator fronting several apps does): each app is protected by its own tenant, and
// neither app ever receives the gateway's cookies. Before the maps keyed on $gk_slug, the
// second copy's maps replaced the first's and the first app received its session cookie.
import { existsSync, readFileSync } from 'node:fs';
import t from 'tap';
import { startTestGateway, PASSWORDS } from '../helpers/gateway.js';
import { request } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { NGINX_BIN, NGINX_MISSING, startNginx } from '../helpers/nginx.js';

// Not a skip: the nginx deployment is part of the contract, so a machine without nginx fails.
if (!existsSync(NGINX_BIN)) throw new Error(NGINX_MISSING);

const TEMPLATE = readFileSync(new URL('../../deploy/nginx/gatekeeper.conf', import.meta.url), 'utf8');
const g = await startTestGateway();
t.teardown(g.stop);

const copy = (host: string, slug: string): string =>
  TEMPLATE.replaceAll('__SERVER_NAME__', host)
    .replaceAll('__GATEWAY__', g.url)
    .replaceAll('__APP__', g.upstream.url)
    .replaceAll('__SLUG__', slug);
// The two copies one after the other in http {}: what two `include` lines give nginx.
const nginx = await startNginx(copy('dashboard.acme.test', 'acme') + '\n' + copy('portal.globex.test', 'globex'));
t.teardown(nginx.stop);

type Seen = { url: string; headers: Record<string, string | undefined> };
async function atApp(host: string, path: string, cookie: string): Promise<{ status: number; seen: Seen[] }> {
  const before = g.upstream.seen.length;
  const res = await request(nginx.url, path, { headers: { host, accept: 'application/json', cookie } });
  return { status: res.status, seen: g.upstream.seen.slice(before) as Seen[] };
}

const acme = (
  await login(nginx.url, { host: 'dashboard.acme.test', slug: 'acme', username: 'alice', password: PASSWORDS.alice })
).jar.header();
const globex = (
  await login(nginx.url, { host: 'portal.globex.test', slug: 'globex', username: 'alice', password: PASSWORDS.eve })
).jar.header();

t.test('both logins went through nginx to their own tenant', async (t) => {
  t.match(acme, /^gk_acme=sess_/);
  t.match(globex, /^gk_globex=sess_/);
});

t.test('the first app (first include) gets its identity and never the session cookie', async (t) => {
  const r = await atApp('dashboard.acme.test', '/reports', `theme=dark; ${acme}; gk_acme_login=n1; lang=en`);
  t.equal(r.status, 200);
  t.equal(r.seen.length, 1);
  t.equal(r.seen[0]!.headers['x-auth-user'], 'u-alice');
  t.equal(r.seen[0]!.headers['x-auth-tenant'], 'acme');
  t.equal(r.seen[0]!.headers.cookie, 'theme=dark; lang=en', 'gk_acme and gk_acme_login removed, the rest kept');
});

t.test('the second app (second include) likewise', async (t) => {
  const r = await atApp('portal.globex.test', '/home', `${globex}; theme=light`);
  t.equal(r.status, 200);
  t.equal(r.seen.length, 1);
  t.equal(r.seen[0]!.headers['x-auth-tenant'], 'globex');
  t.equal(r.seen[0]!.headers.cookie, 'theme=light');
});

t.test("one tenant's session does not open the other tenant's app", async (t) => {
  const r = await atApp('portal.globex.test', '/home', acme);
  t.equal(r.status, 401);
  t.equal(r.seen.length, 0, 'the app saw nothing');
});

t.test('an app cookie that only looks like the other slug is kept', async (t) => {
  const r = await atApp('dashboard.acme.test', '/reports', `${acme}; gk_acmeish=1; gk_globex=x`);
  t.equal(r.status, 200);
  t.equal(r.seen[0]!.headers.cookie, 'gk_acmeish=1; gk_globex=x', "only this tenant's cookies are the gateway's here");
});
