// GET /t/{slug}/auth over real HTTP (SPEC §6): nginx and Traefik header sets, every answer
// (200/401/302/303/403/404/400/503), path tricks, forwarded headers from untrusted peers,
// spoofed identity headers, and the exact requests Traefik and Envoy send.
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import t, { type Test } from 'tap';
import { request, type Response } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { storeDown, startTestGateway, PASSWORDS } from '../helpers/gateway.js';
import { hasCode } from '../helpers/error-code.js';

const H = 'dashboard.acme.test';
const ID_HEADERS = [
  'x-auth-user',
  'x-auth-email',
  'x-auth-name',
  'x-auth-roles',
  'x-auth-tenant',
  'x-auth-session',
  'x-auth-time',
  'x-auth-jwt',
];

const g = await startTestGateway();
t.teardown(g.stop);
const alice = (await login(g.url, { username: 'alice', password: PASSWORDS.alice })).jar;
const bob = (await login(g.url, { username: 'bob', password: PASSWORDS.bob })).jar;

/** What nginx's `auth_request` location of deploy/nginx/gatekeeper.conf sends. */
function nginxAsks(uri: string, extra: Record<string, string | string[]> = {}, method = 'GET'): Promise<Response> {
  return request(g.url, '/t/acme/auth', {
    headers: {
      host: H,
      'x-forwarded-host': H,
      'x-forwarded-proto': 'http',
      'x-original-uri': uri,
      'x-original-method': method,
      accept: 'application/json',
      ...extra,
    },
  });
}

/** What Traefik's forwardAuth sends (the gateway is addressed by its own name). */
function traefikAsks(uri: string, extra: Record<string, string> = {}, method = 'GET', query = ''): Promise<Response> {
  return request(g.url, `/t/acme/auth${query}`, {
    headers: {
      host: 'gatekeeper:8080',
      'x-forwarded-host': H,
      'x-forwarded-proto': 'https',
      'x-forwarded-uri': uri,
      'x-forwarded-method': method,
      'x-forwarded-for': '198.51.100.9',
      accept: 'application/json',
      ...extra,
    },
  });
}

/** The identity headers present in an answer. */
function identityIn(res: Response): string[] {
  return ID_HEADERS.filter((h) => res.headers[h] !== undefined);
}

function loginUrlFor(origin: string, uri: string, extra = ''): string {
  return `${origin}/t/acme/login?${extra}rd=${encodeURIComponent(origin + uri)}`;
}

/** The status we expect, no-store, and no identity on an answer that grants none. */
function assertRefusal(t: Test, res: Response, status: number, what: string, code: string): void {
  t.equal(res.status, status, what);
  hasCode(t, res, code, what);
  t.equal(res.headers['cache-control'], 'no-store', `${what}: no-store`);
  t.same(identityIn(res), [], `${what}: no identity headers`);
}

t.test('allowed: 200, empty body, identity headers (nginx header set)', async (t) => {
  const res = await nginxAsks('/reports?x=1', { cookie: alice.header() });
  t.equal(res.status, 200);
  t.equal(res.body, '', 'empty body');
  t.equal(res.headers['cache-control'], 'no-store');
  t.equal(res.headers['x-auth-user'], 'u-alice');
  t.equal(res.headers['x-auth-email'], 'alice@acme.test');
  t.equal(res.headers['x-auth-name'], 'Alice Admin');
  t.equal(res.headers['x-auth-roles'], 'admin');
  t.equal(res.headers['x-auth-tenant'], 'acme');
  t.equal(res.headers['x-auth-session'], alice.get('gk_acme')!.split('.')[0]);
  t.equal(res.headers['x-auth-time'], String(Math.floor(g.clock.now() / 1000)));
  const jwks = (await request(g.url, '/t/acme/.well-known/jwks.json', { headers: { host: H } })).json<JSONWebKeySet>();
  const assertion = await jwtVerify(String(res.headers['x-auth-jwt']), createLocalJWKSet(jwks), {
    audience: 'dashboard',
    issuer: 'http://gw.acme.test/t/acme',
    currentDate: new Date(g.clock.now()),
  });
  t.equal(assertion.payload.sub, 'u-alice', 'X-Auth-Jwt: the signed assertion the proxy would send, aud = the app');

  const anon = await nginxAsks('/public/page');
  t.equal(anon.status, 200, 'an anonymous route is allowed without a credential');
  t.same(identityIn(anon), [], 'anonymous: no identity headers');

  const head = await nginxAsks('/reports', { cookie: bob.header() }, 'HEAD');
  t.equal(head.status, 200, 'the original method is what the policy sees');
});

t.test('allowed: Traefik header set', async (t) => {
  const res = await traefikAsks('/reports', { cookie: bob.header() });
  t.equal(res.status, 200);
  t.equal(res.body, '');
  t.equal(res.headers['x-auth-user'], 'u-bob');
  t.equal(res.headers['x-auth-roles'], '', 'bob has no roles');
});

t.test('not signed in: 401 with X-Auth-Redirect and Location on the original host', async (t) => {
  const res = await nginxAsks('/reports?x=1');
  assertRefusal(t, res, 401, 'nginx, no cookie', 'ERR_GK_UNAUTHENTICATED');
  const url = loginUrlFor('http://dashboard.acme.test', '/reports?x=1');
  t.equal(res.headers['x-auth-redirect'], url);
  t.equal(res.headers.location, url);
  t.equal(res.headers['www-authenticate'], 'Bearer realm="acme"');
  t.equal(res.json().error, 'invalid_token');

  const tr = await traefikAsks('/reports');
  assertRefusal(t, tr, 401, 'Traefik without mode=redirect', 'ERR_GK_UNAUTHENTICATED');
  t.equal(
    tr.headers.location,
    loginUrlFor('https://dashboard.acme.test', '/reports'),
    'the proto comes from X-Forwarded-Proto',
  );

  const bad = await nginxAsks('/reports', { cookie: 'gk_acme=sess_nope.nope' });
  assertRefusal(t, bad, 401, 'an invalid cookie is no credential', 'ERR_GK_UNAUTHENTICATED');
});

t.test('mode=redirect: 302/303 for browsers, 401 for XHR and non-HTML', async (t) => {
  const browser = { accept: 'text/html,application/xhtml+xml' };
  const url = loginUrlFor('https://dashboard.acme.test', '/reports?x=1');
  const get = await traefikAsks('/reports?x=1', browser, 'GET', '?mode=redirect');
  assertRefusal(t, get, 302, 'browser GET', 'ERR_GK_UNAUTHENTICATED');
  t.equal(get.headers.location, url);
  const head = await traefikAsks('/reports?x=1', browser, 'HEAD', '?mode=redirect');
  assertRefusal(t, head, 302, 'browser HEAD', 'ERR_GK_UNAUTHENTICATED');
  const post = await traefikAsks('/reports?x=1', browser, 'POST', '?mode=redirect');
  assertRefusal(t, post, 303, 'browser POST: 303 so the login page is fetched with GET', 'ERR_GK_UNAUTHENTICATED');
  t.equal(post.headers.location, url);
  const xhr = await traefikAsks(
    '/reports',
    { ...browser, 'x-requested-with': 'XMLHttpRequest' },
    'GET',
    '?mode=redirect',
  );
  assertRefusal(t, xhr, 401, 'XHR keeps the 401', 'ERR_GK_UNAUTHENTICATED');
  t.ok(xhr.headers['x-auth-redirect']);
  const api = await traefikAsks('/reports', {}, 'GET', '?mode=redirect');
  assertRefusal(t, api, 401, 'non-HTML keeps the 401', 'ERR_GK_UNAUTHENTICATED');
  const nginxBrowser = await nginxAsks('/reports', browser);
  assertRefusal(
    t,
    nginxBrowser,
    401,
    'without mode=redirect a browser gets the 401 (nginx redirects itself)',
    'ERR_GK_UNAUTHENTICATED',
  );
  assertRefusal(
    t,
    await traefikAsks('/reports', {}, 'GET', '?mode=other'),
    400,
    'an unknown mode is a configuration error',
    'ERR_GK_BAD_REQUEST',
  );
});

t.test('forbidden and unknown hosts', async (t) => {
  const res = await nginxAsks('/admin/x', { cookie: bob.header() });
  assertRefusal(t, res, 403, 'bob on /admin/x', 'ERR_GK_FORBIDDEN');
  t.equal(res.json().error, 'insufficient_scope');
  t.equal((await nginxAsks('/admin/x', { cookie: alice.header() })).status, 200, 'alice may');

  const globexHost = await nginxAsks('/x', { cookie: alice.header(), 'x-forwarded-host': 'portal.globex.test' });
  assertRefusal(t, globexHost, 404, "another tenant's host asked under /t/acme", 'ERR_GK_UNKNOWN_HOST');
  const acmeUnderGlobex = await request(g.url, '/t/globex/auth', {
    headers: { host: H, 'x-original-uri': '/x', 'x-original-method': 'GET', cookie: alice.header() },
  });
  assertRefusal(
    t,
    acmeUnderGlobex,
    404,
    "an acme host asked under /t/globex, with acme's cookie",
    'ERR_GK_UNKNOWN_HOST',
  );
  assertRefusal(
    t,
    await nginxAsks('/x', { cookie: alice.header(), 'x-forwarded-host': 'nowhere.test' }),
    404,
    'a host of no app',
    'ERR_GK_UNKNOWN_HOST',
  );
});

t.test('path tricks in X-Original-URI get the decision of the path they mean', async (t) => {
  for (const uri of [
    '/admin',
    '//admin',
    '/./admin',
    '/x/../admin',
    '/x/%2e%2e/admin',
    '/%61dmin',
    '/admin;x',
    '/admin/?q=/public/',
  ]) {
    assertRefusal(t, await nginxAsks(uri, { cookie: bob.header() }), 403, `bob ${uri}`, 'ERR_GK_FORBIDDEN');
    t.equal((await nginxAsks(uri, { cookie: alice.header() })).status, 200, `alice ${uri}`);
    assertRefusal(t, await traefikAsks(uri, { cookie: bob.header() }), 403, `bob ${uri} (Traefik)`, 'ERR_GK_FORBIDDEN');
  }
  t.equal((await nginxAsks('/public/x?next=/admin')).status, 200, 'the query never takes part in matching');
  assertRefusal(
    t,
    await nginxAsks('/admin?next=/public/x', { cookie: bob.header() }),
    403,
    'nor can it unlock a path',
    'ERR_GK_FORBIDDEN',
  );
  for (const uri of [
    '/admin%2fx',
    '/public%2f..%2fadmin',
    '/..',
    '/x\\admin',
    '/%zz',
    'admin',
    'http://dashboard.acme.test/admin',
  ]) {
    assertRefusal(
      t,
      await nginxAsks(uri, { cookie: alice.header() }),
      400,
      `unsafe ${uri}`,
      uri.startsWith('/') ? 'ERR_GK_BAD_PATH' : 'ERR_GK_BAD_REQUEST',
    );
  }
});

t.test('malformed or ambiguous forwarded headers: 400, no decision', async (t) => {
  // Each case starts from a valid nginx request for an allowed path and breaks one thing
  // (null removes a header), so only the breakage can explain the 400.
  const valid = {
    host: H,
    'x-forwarded-host': H,
    'x-original-uri': '/x',
    'x-original-method': 'GET',
    cookie: alice.header(),
  };
  t.equal((await request(g.url, '/t/acme/auth', { headers: valid })).status, 200, 'the unbroken request is allowed');
  const cases: [string, Record<string, string | string[] | null>][] = [
    ['no original URI', { 'x-original-uri': null }],
    ['no original method', { 'x-original-method': null }],
    ['a method that is no token', { 'x-original-method': 'GET /admin' }],
    [
      'both header sets (a client smuggling X-Original-URI through Traefik)',
      { 'x-forwarded-uri': '/x', 'x-forwarded-method': 'GET' },
    ],
    ['X-Original-URI twice', { 'x-original-uri': ['/public/x', '/x'] }],
    ['X-Forwarded-Host twice', { 'x-forwarded-host': [H, 'portal.globex.test'] }],
    ['a host that would move the login URL elsewhere', { 'x-forwarded-host': 'dashboard.acme.test:80@evil.test' }],
    ['a host with a path', { 'x-forwarded-host': 'dashboard.acme.test/evil' }],
    ['an unknown proto', { 'x-forwarded-proto': 'javascript' }],
  ];
  for (const [what, change] of cases) {
    const headers: Record<string, string | string[]> = { ...valid };
    for (const [k, v] of Object.entries(change)) {
      if (v === null) delete headers[k];
      else headers[k] = v;
    }
    assertRefusal(t, await request(g.url, '/t/acme/auth', { headers }), 400, what, 'ERR_GK_BAD_REQUEST');
  }
  assertRefusal(
    t,
    await request(g.url, '/t/acme/auth', { headers: { host: H, cookie: alice.header() } }),
    400,
    'nothing forwarded at all',
    'ERR_GK_BAD_REQUEST',
  );
});

t.test('a spoofed X-Auth-User in the auth request is never echoed back', async (t) => {
  const spoof = {
    'x-auth-user': 'u-alice',
    'x-auth-roles': 'admin',
    'x-auth-email': 'alice@acme.test',
    x_auth_user: 'u-alice',
  };
  const asBob = await nginxAsks('/x', { cookie: bob.header(), ...spoof });
  t.equal(asBob.status, 200);
  t.equal(asBob.headers['x-auth-user'], 'u-bob');
  t.equal(asBob.headers['x-auth-roles'], '');
  t.equal(asBob.headers['x-auth-email'], 'bob@acme.test');
  const anon = await nginxAsks('/public/x', spoof);
  t.equal(anon.status, 200);
  t.same(identityIn(anon), [], 'anonymous: no identity headers');
  assertRefusal(
    t,
    await nginxAsks('/admin/x', { cookie: bob.header(), ...spoof }),
    403,
    'spoofed roles grant nothing',
    'ERR_GK_FORBIDDEN',
  );
  assertRefusal(t, await nginxAsks('/x', spoof), 401, 'spoofed identity without a cookie', 'ERR_GK_UNAUTHENTICATED');
});

t.test('store down: 503, never 401 or 200', async (t) => {
  const real = g.gw.deps.store;
  const down = storeDown(real);
  g.gw.deps.store = down;
  t.teardown(() => {
    g.gw.deps.store = real;
  });
  const res = await nginxAsks('/x', { cookie: alice.header() });
  assertRefusal(t, res, 503, 'store down', 'ERR_GK_STORE_UNAVAILABLE');
  t.equal(res.json().error, 'temporarily_unavailable');
  assertRefusal(
    t,
    await traefikAsks('/x', { cookie: alice.header(), accept: 'text/html' }, 'GET', '?mode=redirect'),
    503,
    'a browser is not sent to login',
    'ERR_GK_STORE_UNAVAILABLE',
  );
});

t.test('forwarded headers from a peer outside trustedProxies: 400, no decision', async (t) => {
  const strict = await startTestGateway({ trustedProxies: '[10.0.0.0/8]' });
  t.teardown(strict.stop);
  const jar = (await login(strict.url, { username: 'alice', password: PASSWORDS.alice })).jar;
  const nginxStyle = await request(strict.url, '/t/acme/auth', {
    headers: { host: H, 'x-original-uri': '/x', 'x-original-method': 'GET', cookie: jar.header() },
  });
  assertRefusal(t, nginxStyle, 400, 'nginx headers from 127.0.0.1, a valid cookie', 'ERR_GK_BAD_FORWARDED');
  t.equal(nginxStyle.json().error, 'invalid_request');
  const traefikStyle = await request(strict.url, '/t/acme/auth?mode=redirect', {
    headers: {
      host: 'gatekeeper',
      'x-forwarded-host': H,
      'x-forwarded-uri': '/x',
      'x-forwarded-method': 'GET',
      'x-forwarded-proto': 'https',
      accept: 'text/html',
      cookie: jar.header(),
    },
  });
  assertRefusal(t, traefikStyle, 400, 'Traefik headers from 127.0.0.1', 'ERR_GK_BAD_FORWARDED');
  assertRefusal(
    t,
    await request(strict.url, '/t/acme/auth', {
      headers: { host: H, 'x-original-uri': '/x', 'x-original-method': 'GET' },
    }),
    400,
    'without a cookie: still no decision',
    'ERR_GK_BAD_FORWARDED',
  );
  t.ok(
    strict.logs.some((l) => l.includes('"reason":"untrusted_peer"')),
    'the refusal is logged with its reason',
  );
});

t.test('exactly what Traefik forwardAuth sends (trustForwardHeader: true, behind its entrypoint)', async (t) => {
  // Traefik (pkg/middlewares/auth/forward.go) makes a GET to `address`, copies the client's
  // headers minus hop-by-hop ones, and sets X-Forwarded-For/-Method/-Proto/-Host/-Uri (and
  // -Port) from the entrypoint's values; Go's client adds Accept-Encoding.
  const traefik = (cookie: string | null, uri: string, method: string, extra: Record<string, string> = {}) =>
    request(g.url, '/t/acme/auth?mode=redirect', {
      headers: {
        host: 'gatekeeper:8080',
        'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0',
        accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
        'accept-language': 'en',
        ...(cookie ? { cookie } : {}),
        'x-forwarded-for': '198.51.100.9',
        'x-forwarded-host': H,
        'x-forwarded-method': method,
        'x-forwarded-port': '443',
        'x-forwarded-proto': 'https',
        'x-forwarded-server': 'traefik-5d8c7',
        'x-forwarded-uri': uri,
        'x-real-ip': '198.51.100.9',
        'accept-encoding': 'gzip',
        ...extra,
      },
    });
  const anon = await traefik(null, '/reports?x=1', 'GET');
  assertRefusal(t, anon, 302, 'signed out: Traefik relays the 302', 'ERR_GK_UNAUTHENTICATED');
  t.equal(anon.headers.location, loginUrlFor('https://dashboard.acme.test', '/reports?x=1'));
  const ok = await traefik(alice.header(), '/reports?x=1', 'GET');
  t.equal(ok.status, 200);
  t.equal(ok.headers['x-auth-user'], 'u-alice', 'authResponseHeaders copies these to the app');
  const post = await traefik(null, '/reports', 'POST');
  assertRefusal(t, post, 303, 'a browser POST', 'ERR_GK_UNAUTHENTICATED');
  assertRefusal(t, await traefik(bob.header(), '/admin', 'GET'), 403, 'bob on /admin', 'ERR_GK_FORBIDDEN');
  // Traefik copies client headers: a client adding X-Original-URI must not steer the decision.
  assertRefusal(
    t,
    await traefik(bob.header(), '/admin', 'GET', { 'x-original-uri': '/public/x', 'x-original-method': 'GET' }),
    400,
    'smuggled X-Original-URI',
    'ERR_GK_BAD_REQUEST',
  );
});

t.test("exactly what Envoy's ext_authz HTTP service sends", async (t) => {
  // Envoy (ext_authz HTTP service) keeps the ORIGINAL method and sends `path_prefix` + the
  // original path and query, with the original Host, Authorization, Content-Length: 0 and
  // the allowed_headers. A denial is relayed to the client as it is.
  const before = g.upstream.seen.length;
  const envoy = (method: string, path: string, cookie: string | null, extra: Record<string, string> = {}) =>
    request(g.url, `/t/acme/auth${path}`, {
      method,
      headers: {
        host: H,
        'content-length': '0',
        'x-envoy-expected-rq-timeout-ms': '200',
        ...(cookie ? { cookie } : {}),
        ...extra,
      },
    });
  const ok = await envoy('GET', '/reports?x=1', alice.header());
  t.equal(ok.status, 200, 'alice: allowed');
  t.equal(ok.headers['x-auth-user'], 'u-alice');
  t.equal((await envoy('DELETE', '/reports/1', alice.header())).status, 200, 'the original method is the one judged');
  assertRefusal(t, await envoy('GET', '/admin/x', bob.header()), 403, 'bob on /admin', 'ERR_GK_FORBIDDEN');
  assertRefusal(t, await envoy('POST', '/admin/x', bob.header()), 403, 'bob POST on /admin', 'ERR_GK_FORBIDDEN');
  const anon = await envoy('GET', '/reports', null, { accept: 'text/html' });
  assertRefusal(t, anon, 302, 'a browser without a session is sent to login', 'ERR_GK_UNAUTHENTICATED');
  t.equal(anon.headers.location, loginUrlFor('http://dashboard.acme.test', '/reports', ''));
  assertRefusal(
    t,
    await envoy('GET', '/reports', null, { accept: 'application/json' }),
    401,
    'an API client gets 401',
    'ERR_GK_UNAUTHENTICATED',
  );
  t.equal((await envoy('GET', '/public/x', null)).status, 200, 'anonymous route');
  for (const trick of ['//admin', '/x/../admin', '/%61dmin', '/admin;x']) {
    assertRefusal(t, await envoy('GET', trick, bob.header()), 403, `bob ${trick}`, 'ERR_GK_FORBIDDEN');
  }
  assertRefusal(t, await envoy('GET', '/a%2fb', alice.header()), 400, 'an encoded slash', 'ERR_GK_BAD_PATH');
  t.equal(g.upstream.seen.length, before, 'nothing reached the app');
});

t.test('freshAuth: 401 asks for a new login (prompt=login, max_age)', async (t) => {
  // Last: it moves the shared clock.
  g.clock.advance(16 * 60_000);
  const res = await nginxAsks('/admin/x', { cookie: alice.header() });
  assertRefusal(t, res, 401, 'alice, password entered 16 minutes ago', 'ERR_GK_REAUTH_REQUIRED');
  t.equal(res.headers.location, loginUrlFor('http://dashboard.acme.test', '/admin/x', 'prompt=login&max_age=900&'));
  t.match(res.headers['www-authenticate'], /error="insufficient_user_authentication".*max_age=900/);
  t.equal(res.json().max_age, 900);
  const redirect = await traefikAsks(
    '/admin/x',
    { cookie: alice.header(), accept: 'text/html' },
    'GET',
    '?mode=redirect',
  );
  assertRefusal(t, redirect, 302, 'mode=redirect', 'ERR_GK_REAUTH_REQUIRED');
  t.equal(
    redirect.headers.location,
    loginUrlFor('https://dashboard.acme.test', '/admin/x', 'prompt=login&max_age=900&'),
  );
});
