// deploy/traefik/dynamic.yml: its forwardAuth requests replayed against a real gateway through
// a model of Traefik's router and middlewares read from the file (test/helpers/traefik-model.ts;
// no Traefik binary here): identity from the gateway only, underscore spellings removed,
// denials relayed, the login pages routed to the gateway.
import t from 'tap';
import { startTestGateway, PASSWORDS } from '../helpers/gateway.js';
import { login } from '../helpers/login.js';
import { loadTraefikConfig, throughTraefik } from '../helpers/traefik-model.js';

const cfg = loadTraefikConfig(new URL('../../deploy/traefik/dynamic.yml', import.meta.url));
const H = 'dashboard.acme.test';
const IDENTITY = ['User', 'Email', 'Name', 'Roles', 'Tenant', 'Session', 'Time', 'Jwt'].map((n) => `X-Auth-${n}`);

const g = await startTestGateway();
t.teardown(g.stop);
const alice = (await login(g.url, { host: H, username: 'alice', password: PASSWORDS.alice })).jar.header();
const bob = (await login(g.url, { host: H, username: 'bob', password: PASSWORDS.bob })).jar.header();
const forged = {
  'X-Auth-User': 'u-evil',
  X_Auth_User: 'u-evil',
  'x-auth_roles': 'admin',
  'X-Forwarded-Uri': '/public/x',
};
const go = (method: string, uri: string, headers: Record<string, string>) =>
  throughTraefik(cfg, g.url, { method, host: H, uri, clientIp: '198.51.100.7', headers: { Host: H, ...headers } });

t.test(
  'the file: every identity header in authResponseHeaders, and the address is the acme forward-auth',
  async (t) => {
    const fa = (cfg.middlewares.gatekeeper as { forwardAuth: { authResponseHeaders: string[]; address: string } })
      .forwardAuth;
    t.same(fa.authResponseHeaders, IDENTITY);
    t.equal(new URL(fa.address).pathname, '/t/acme/auth');
    t.equal(new URL(fa.address).searchParams.get('mode'), 'redirect');
  },
);

t.test('signed in: the app gets the gateway identity, never the client copies', async (t) => {
  const r = await go('GET', '/reports?x=1', { Cookie: alice, Accept: 'application/json', ...forged });
  t.equal(r.denied, null);
  t.equal(r.forwarded?.service, 'dashboard');
  t.equal(r.forwarded?.headers['X-Auth-User'], 'u-alice', 'judged on /reports, not the forged X-Forwarded-Uri');
  t.equal(r.forwarded?.headers['X-Auth-Roles'], 'admin');
  t.notOk(r.forwarded?.headers.X_auth_user, 'X_Auth_User removed');
  t.notOk(r.forwarded?.headers['X-Auth_roles'], 'x-auth_roles removed');
});

t.test('anonymous route: no identity reaches the app', async (t) => {
  const r = await go('GET', '/public/x', { Accept: 'text/html', ...forged });
  t.equal(r.forwarded?.service, 'dashboard');
  for (const h of IDENTITY) t.notOk(r.forwarded?.headers[h], `no ${h}`);
});

t.test('denials are relayed: 302/303 to login for browsers, 401 for APIs, 403', async (t) => {
  const nav = await go('GET', '/reports?x=1', { Accept: 'text/html' });
  t.equal(nav.denied?.status, 302);
  t.equal(
    nav.denied?.headers.location,
    `https://${H}/t/acme/login?rd=${encodeURIComponent(`https://${H}/reports?x=1`)}`,
  );
  t.equal((await go('POST', '/reports', { Accept: 'text/html' })).denied?.status, 303);
  t.equal((await go('GET', '/reports', { Accept: 'application/json' })).denied?.status, 401);
  t.equal((await go('GET', '/admin/x', { Cookie: bob })).denied?.status, 403);
});

t.test('the login pages go to the gateway, without the forwardAuth middleware', async (t) => {
  const r = await go('GET', '/t/acme/login', { Accept: 'text/html' });
  t.equal(r.denied, null);
  t.equal(r.forwarded?.service, 'gatekeeper');
});
