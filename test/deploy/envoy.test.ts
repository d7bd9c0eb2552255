// deploy/envoy/envoy.yaml: its structure (current field names, the client's identity headers
// removed before ext_authz runs) and its requests replayed against a real gateway through a
// model of Envoy's documented filter order (test/helpers/envoy-model.ts; no Envoy binary and
// no validator of Envoy's API schema are available to the test suite).
import t from 'tap';
import { startTestGateway, PASSWORDS } from '../helpers/gateway.js';
import { loadEnvoyConfig, throughEnvoy, type EnvoyConfig } from '../helpers/envoy-model.js';
import { login } from '../helpers/login.js';

const FILE = new URL('../../deploy/envoy/envoy.yaml', import.meta.url);
const IDENTITY = ['user', 'email', 'name', 'roles', 'tenant', 'session', 'time', 'jwt'].map((n) => `x-auth-${n}`);
const H = 'dashboard.acme.test';
const cfg = loadEnvoyConfig(FILE);

t.test('structure: filters in order, current field names', async (t) => {
  t.same(
    cfg.filters.map((f) => f.name),
    ['envoy.filters.http.header_mutation', 'envoy.filters.http.ext_authz', 'envoy.filters.http.router'],
    'the client headers are removed before ext_authz, the router last',
  );
  const removed = (
    cfg.filters[0]!.config.mutations as { request_mutations: { remove: string }[] }
  ).request_mutations.map((m) => m.remove);
  for (const h of IDENTITY) t.ok(removed.includes(h), `header_mutation removes ${h}`);
  const authz = cfg.filters[1]!.config;
  t.equal(authz['@type'], 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz');
  t.equal(authz.failure_mode_allow, false, 'gateway down → denied');
  t.ok(authz.allowed_headers, 'allowed_headers on the filter (the current field)');
  const service = authz.http_service as Record<string, unknown>;
  t.notOk(service.authorization_request, 'not the deprecated http_service.authorization_request.allowed_headers');
  t.equal(service.path_prefix, '/t/acme/auth');
  t.notOk(cfg.virtualHost.request_headers_to_remove, 'no removal in the router, after ext_authz');
  t.equal(
    (cfg.hcm.common_http_protocol_options as Record<string, unknown>).headers_with_underscores_action,
    'DROP_HEADER',
  );
});

const g = await startTestGateway();
t.teardown(g.stop);
const alice = (await login(g.url, { host: H, username: 'alice', password: PASSWORDS.alice })).jar.header();
const bob = (await login(g.url, { host: H, username: 'bob', password: PASSWORDS.bob })).jar.header();
const forged = { 'x-auth-user': 'u-evil', 'x-auth-roles': 'admin', x_auth_user: 'u-evil' };
const go = (c: EnvoyConfig, method: string, path: string, headers: Record<string, string>) =>
  throughEnvoy(c, g.url, { method, path, headers: { host: H, ...headers } });

t.test('signed in: the app gets the gateway identity, never the client copies', async (t) => {
  const r = await go(cfg, 'GET', '/reports?x=1', { cookie: alice, accept: 'application/json', ...forged });
  t.equal(r.denied, null);
  t.equal(r.forwarded?.cluster, 'app');
  t.equal(r.forwarded?.headers['x-auth-user'], 'u-alice');
  t.equal(r.forwarded?.headers['x-auth-roles'], 'admin', "alice's own role");
  t.match(r.forwarded?.headers['x-auth-jwt'], /^ey/, 'the signed assertion');
  t.notOk(r.forwarded?.headers.x_auth_user, 'the underscore spelling is dropped');
});

t.test('anonymous route: no identity at all reaches the app', async (t) => {
  const r = await go(cfg, 'GET', '/public/x', { accept: 'text/html', ...forged });
  t.equal(r.forwarded?.cluster, 'app');
  for (const h of IDENTITY) t.notOk(r.forwarded?.headers[h], `no ${h}`);
  t.notOk(r.forwarded?.headers.x_auth_user);
});

t.test('denials are relayed: 302 to login, 401 for APIs, 403, method judged', async (t) => {
  const nav = await go(cfg, 'GET', '/reports', { accept: 'text/html' });
  t.equal(nav.denied?.status, 302);
  t.match(nav.denied?.headers.location, /^http:\/\/dashboard\.acme\.test\/t\/acme\/login\?rd=/);
  const api = await go(cfg, 'GET', '/reports', { accept: 'application/json' });
  t.equal(api.denied?.status, 401);
  t.match(api.denied?.headers['www-authenticate'], /^Bearer realm="acme"/);
  t.equal((await go(cfg, 'GET', '/admin/x', { cookie: bob })).denied?.status, 403);
  t.equal((await go(cfg, 'POST', '/admin/x', { cookie: bob })).denied?.status, 403);
});

t.test('the login pages go to the gateway unchecked', async (t) => {
  const r = await go(cfg, 'GET', '/t/acme/login', { accept: 'text/html', ...forged });
  t.equal(r.forwarded?.cluster, 'gatekeeper');
  t.notOk(r.forwarded?.headers['x-auth-user'], 'identity headers removed on this route too');
});

t.test('control: removing the headers in the router (the old example) loses the identity', async (t) => {
  // The model must be able to fail: the earlier example removed x-auth-* at the virtual host.
  const old: EnvoyConfig = {
    ...cfg,
    virtualHost: { ...cfg.virtualHost, request_headers_to_remove: IDENTITY },
    filters: cfg.filters.slice(1),
  };
  const r = await go(old, 'GET', '/reports', { cookie: alice });
  t.equal(r.denied, null);
  t.notOk(r.forwarded?.headers['x-auth-user'], 'the app would get no identity');
});
