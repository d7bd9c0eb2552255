// A real nginx running deploy/nginx/gatekeeper.conf in front of a real gateway and app
// (SPEC §6): login through nginx, allowed/denied/redirected requests, identity headers at
// the app and never a client's copy, the path-bypass list, and gateway or store down → 500.
import { existsSync, readFileSync } from 'node:fs';
import t from 'tap';
import { storeDown, startTestGateway, PASSWORDS } from '../helpers/gateway.js';
import { request, type Response } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { NGINX_BIN, NGINX_MISSING, startNginx } from '../helpers/nginx.js';

// Not a skip: the nginx deployment is part of the contract, so a machine without nginx fails.
if (!existsSync(NGINX_BIN)) throw new Error(NGINX_MISSING);

const H = 'dashboard.acme.test';
const BROWSER = { host: H, accept: 'text/html,application/xhtml+xml' };
const API = { host: H, accept: 'application/json' };
const TEMPLATE = readFileSync(new URL('../../deploy/nginx/gatekeeper.conf', import.meta.url), 'utf8');

const g = await startTestGateway();
t.teardown(g.stop);
const site = TEMPLATE.replaceAll('__SERVER_NAME__', H)
  .replaceAll('__GATEWAY__', g.url)
  .replaceAll('__APP__', g.upstream.url)
  .replaceAll('__SLUG__', 'acme');
const unfilled = [...new Set(site.match(/__[A-Z_]+__/g))].filter((p) => p !== '__LISTEN__');
if (unfilled.length > 0)
  throw new Error(`deploy/nginx/gatekeeper.conf has placeholders this test does not fill: ${unfilled.join(', ')}`);
const nginx = await startNginx(site);
t.teardown(nginx.stop);

type Seen = { method: string; url: string; headers: Record<string, string | undefined> };

/** One request through nginx, and what the app saw because of it. */
async function via(
  path: string,
  headers: Record<string, string>,
  method = 'GET',
): Promise<{ res: Response; atApp: Seen[] }> {
  const before = g.upstream.seen.length;
  const res = await request(nginx.url, path, { method, headers });
  return { res, atApp: g.upstream.seen.slice(before) as Seen[] };
}

// Signed in through nginx below; the other tests use these.
let alice = '';
let bob = '';

t.test('login through nginx: redirect, form, session, identity at the app', async (t) => {
  const first = await via('/reports?x=1', BROWSER);
  t.equal(first.res.status, 302, 'a signed-out browser is sent to login');
  const location = new URL(first.res.headers.location!);
  t.equal(location.origin, 'http://dashboard.acme.test', 'on the app host nginx serves');
  t.equal(location.pathname, '/t/acme/login');
  t.equal(location.searchParams.get('rd'), 'http://dashboard.acme.test/reports?x=1');
  t.equal(first.res.headers['cache-control'], 'no-store');
  t.equal(first.atApp.length, 0, 'the app saw nothing');

  const form = await via(location.pathname + location.search, BROWSER);
  t.equal(form.res.status, 200, 'the login form, served by the gateway through nginx');
  t.match(form.res.body, /name="csrf_token"/);

  const { jar, res } = await login(nginx.url, {
    host: H,
    username: 'alice',
    password: PASSWORDS.alice,
    rd: location.searchParams.get('rd')!,
  });
  t.equal(res.status, 302, 'the form posted through nginx signs in');
  t.equal(res.headers.location, 'http://dashboard.acme.test/reports?x=1', 'back to where the browser was going');
  alice = jar.header();
  t.match(alice, /^gk_acme=sess_/);

  const back = await via('/reports?x=1', { ...BROWSER, cookie: `${alice}; theme=dark` });
  t.equal(back.res.status, 200);
  t.equal(back.atApp.length, 1);
  const seen = back.atApp[0]!;
  t.equal(seen.url, '/reports?x=1');
  t.equal(seen.headers['x-auth-user'], 'u-alice');
  t.equal(seen.headers['x-auth-email'], 'alice@acme.test');
  t.equal(seen.headers['x-auth-name'], 'Alice Admin');
  t.equal(seen.headers['x-auth-roles'], 'admin');
  t.equal(seen.headers['x-auth-tenant'], 'acme');
  t.equal(seen.headers['x-auth-session'], jar.get('gk_acme')!.split('.')[0]);
  t.equal(seen.headers['x-auth-time'], String(Math.floor(g.clock.now() / 1000)));
  t.match(seen.headers['x-auth-jwt'], /^[\w-]+\.[\w-]+\.[\w-]+$/, 'X-Auth-Jwt, a compact JWS');
  t.equal(seen.headers.cookie, 'theme=dark', "the gateway's cookie does not reach the app");
  t.equal(seen.headers.host, H);

  bob = (await login(nginx.url, { host: H, username: 'bob', password: PASSWORDS.bob })).jar.header();
  t.match(bob, /^gk_acme=sess_/);
});

t.test('allowed, denied and redirected requests', async (t) => {
  const denied = await via('/admin/x', { ...BROWSER, cookie: bob });
  t.equal(denied.res.status, 403, 'bob on /admin: 403');
  t.equal(denied.atApp.length, 0);
  const allowed = await via('/admin/x', { ...API, cookie: alice });
  t.equal(allowed.res.status, 200, 'alice on /admin');
  t.equal(allowed.atApp[0]?.headers['x-auth-roles'], 'admin');

  const api = await via('/reports', API);
  t.equal(api.res.status, 401, 'an API call gets the 401, not a redirect');
  t.equal(api.res.headers['www-authenticate'], 'Bearer realm="acme"', "with the gateway's challenge");
  t.equal(api.res.headers['cache-control'], 'no-store');
  const xhr = await via('/reports', { ...BROWSER, 'x-requested-with': 'XMLHttpRequest' });
  t.equal(xhr.res.status, 401, 'an XHR gets the 401');
  const post = await via('/reports', BROWSER, 'POST');
  t.equal(post.res.status, 401, 'a browser POST gets the 401 (SPEC §3)');
  const head = await via('/reports', BROWSER, 'HEAD');
  t.equal(head.res.status, 302, 'a browser HEAD is redirected');
  for (const r of [api, xhr, post, head]) t.equal(r.atApp.length, 0, 'the app saw none of them');

  const anon = await via('/public/x', API);
  t.equal(anon.res.status, 200, 'anonymous routes need no login');
  t.notOk(anon.atApp[0]?.headers['x-auth-user'], 'and carry no identity');

  t.equal(
    (await via('/t/acme/auth', { ...API, cookie: alice, 'x-original-uri': '/x', 'x-original-method': 'GET' })).res
      .status,
    404,
    'the decision endpoint is not exposed through nginx',
  );
  // The Envoy form: a client must not be able to ask the gateway, through trusted nginx,
  // about an "original request" of its own making (forged X-Forwarded-Uri/Method).
  for (const path of ['/t/acme/auth/admin/x', '/t/acme//auth/admin', '/t/acme/auth/']) {
    const envoy = await via(path, {
      ...API,
      'x-forwarded-uri': '/public/x',
      'x-forwarded-method': 'GET',
      'x-forwarded-host': 'dashboard.acme.test',
    });
    t.equal(envoy.res.status, 404, `${path}: the Envoy decision endpoint is not exposed through nginx`);
  }
});

t.test("a client's X-Auth-* never reaches the app", async (t) => {
  const spoof = {
    'x-auth-user': 'u-alice',
    'X-AUTH-ROLES': 'admin',
    x_auth_user: 'u-alice',
    'x-auth-tenant': 'globex',
    'x-auth-redirect': 'https://evil.test/',
    'x-auth-jwt': 'forged',
  };
  const asBob = await via('/x', { ...API, cookie: bob, ...spoof });
  t.equal(asBob.res.status, 200);
  const h = asBob.atApp[0]!.headers;
  t.equal(h['x-auth-user'], 'u-bob');
  t.equal(h['x-auth-tenant'], 'acme');
  t.notOk(h['x-auth-roles'], 'bob has no roles: no header, and not the spoofed one');
  t.notOk(h.x_auth_user, 'the underscore spelling is dropped by nginx');
  t.notOk(h['x-auth-redirect']);
  t.not(h['x-auth-jwt'], 'forged', 'no forged assertion');
  t.match(h['x-auth-jwt'], /^[\w-]+\.[\w-]+\.[\w-]+$/, "the gateway's own assertion instead");

  const anon = await via('/public/x', { ...API, ...spoof });
  t.equal(anon.res.status, 200);
  const a = anon.atApp[0]!.headers;
  t.same(
    Object.keys(a).filter((k) => /^x[-_]auth[-_]/i.test(k)),
    [],
    'anonymous: no X-Auth-* at all',
  );

  t.equal((await via('/admin/x', { ...API, cookie: bob, ...spoof })).res.status, 403, 'spoofed roles grant nothing');

  // nginx passes client headers into the auth subrequest unless the config overrides them:
  // a client naming another host, URI or method must still get the decision for its own
  // request (exactly 403; a 500 would mean the gateway saw the client's copies).
  const steer = {
    'x-forwarded-host': 'portal.globex.test',
    'x-forwarded-uri': '/public/x',
    'x-forwarded-method': 'OPTIONS',
    'x-original-uri': '/public/x',
    'x-original-method': 'OPTIONS',
    'x-forwarded-proto': 'javascript',
  };
  const steered = await via('/admin/x', { ...API, cookie: bob, ...steer });
  t.equal(steered.res.status, 403, 'forwarded headers from the client steer nothing');
  t.equal(steered.atApp.length, 0);
});

t.test('the path-bypass list through nginx', async (t) => {
  for (const path of [
    '/admin',
    '//admin',
    '/./admin',
    '/x/../admin',
    '/x/%2e%2e/admin',
    '/%61dmin',
    '/admin;x',
    '/admin/?next=/public/',
  ]) {
    const { res, atApp } = await via(path, { ...API, cookie: bob });
    t.not(res.status, 200, `bob ${path}: ${res.status}`);
    t.equal(res.status, 403, `bob ${path}: the decision for /admin`);
    t.equal(atApp.length, 0, `bob ${path}: the app never saw it`);
  }
  for (const path of ['/admin%2fx', '/public/..%2fadmin', '/public/%2e%2e%2fadmin']) {
    const { res, atApp } = await via(path, { ...API, cookie: alice });
    t.equal(res.status, 500, `${path}: the gateway's 400 becomes nginx's 500`);
    t.equal(atApp.length, 0, `${path}: never the app`);
  }
  // nginx forwards the client's spelling as is (proxy_pass without a URI); the decision was
  // taken on its normalised meaning, so an app that normalises lands on the same page.
  const dotted = await via('/x/../admin/y', { ...API, cookie: alice });
  t.equal(dotted.res.status, 200);
  t.equal(dotted.atApp[0]?.url, '/x/../admin/y');
});

t.test('store down: the gateway answers 503, nginx 500, the app nothing', async (t) => {
  const real = g.gw.deps.store;
  g.gw.deps.store = storeDown(real);
  t.teardown(() => {
    g.gw.deps.store = real;
  });
  const { res, atApp } = await via('/x', { ...BROWSER, cookie: alice });
  t.equal(res.status, 500);
  t.equal(atApp.length, 0);
  t.ok(await nginx.waitForLog(/^500 GET "\/x" .*auth=503$/), 'the access log shows the 503 behind the 500');
});

t.test('access-log excerpt: allowed, denied, redirected', async (t) => {
  const allowed = await nginx.waitForLog(/^200 GET "\/reports\?x=1" upstream=200 auth=200$/);
  const denied = await nginx.waitForLog(/^403 GET "\/admin\/x" .*auth=403$/);
  const redirected = await nginx.waitForLog(/^302 GET "\/reports\?x=1" .*auth=401$/);
  t.comment('nginx access log (status method "uri" upstream=$upstream_status auth=<auth subrequest status>):');
  for (const line of [allowed, denied, redirected]) t.comment(`  ${line}`);
  t.pass('allowed, denied and redirected requests are logged');
});

t.test('gateway down: nginx answers 500, never the app', async (t) => {
  await g.gw.stop();
  for (const [path, headers] of [
    ['/x', { ...BROWSER, cookie: alice }],
    ['/public/x', API],
    ['/admin/x', { ...API, cookie: bob }],
  ] as const) {
    const { res, atApp } = await via(path, headers);
    t.equal(res.status, 500, `${path}: 500`);
    t.equal(atApp.length, 0, `${path}: the app saw nothing`);
  }
  t.match(nginx.errorLog(), /connect\(\) failed \(111: Connection refused\)/, 'nginx logs why');
});
