// The login session life cycle over real HTTP: redirect to login, login, identity at the
// upstream, the session API, logout.
import t from 'tap';
import { request } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { parseSetCookie } from '../helpers/set-cookie.js';
import { startTestGateway, PASSWORDS } from '../helpers/gateway.js';

const H = 'dashboard.acme.test';

t.test('login flow on plain http', async (t) => {
  const g = await startTestGateway();
  t.teardown(g.stop);

  const nav = await request(g.url, '/reports?x=1', { headers: { host: H, accept: 'text/html' } });
  t.equal(nav.status, 302, 'a browser is sent to login');
  t.equal(nav.headers.location, `/t/acme/login?rd=${encodeURIComponent('http://dashboard.acme.test/reports?x=1')}`);

  const api = await request(g.url, '/reports', { headers: { host: H, accept: 'application/json' } });
  t.equal(api.status, 401);
  t.equal(api.headers['www-authenticate'], 'Bearer realm="acme"');
  t.equal(api.json().error, 'invalid_token');

  const xhr = await request(g.url, '/reports', {
    headers: { host: H, accept: 'text/html', 'x-requested-with': 'XMLHttpRequest' },
  });
  t.equal(xhr.status, 401, 'an XHR is not redirected');

  const form = await request(g.url, '/t/acme/login', { headers: { host: H, accept: 'text/html' } });
  t.equal(form.status, 200);
  t.equal(form.headers['cache-control'], 'no-store');
  t.match(form.headers['content-security-policy'], /default-src 'none'/);
  t.equal(form.headers['x-frame-options'], 'DENY');

  const { jar, res } = await login(g.url, {
    username: 'alice',
    password: PASSWORDS.alice,
    rd: 'http://dashboard.acme.test/reports?x=1',
  });
  t.equal(res.status, 302);
  t.equal(res.headers.location, 'http://dashboard.acme.test/reports?x=1');
  t.equal(res.headers['cache-control'], 'no-store');
  const set = res.setCookies.map(parseSetCookie).find((c) => c.name === 'gk_acme');
  t.ok(set, 'session cookie gk_acme on plain http');
  t.equal(set!.attributes.get('httponly'), true);
  t.equal(set!.attributes.get('path'), '/');
  t.equal(set!.attributes.get('samesite'), 'Lax');
  t.notOk(set!.attributes.has('secure'), 'no Secure on http');
  t.notOk(set!.attributes.has('max-age'), 'a browser-session cookie without remember-me');
  t.match(set!.value, /^sess_[A-Za-z0-9_-]{33}\.[A-Za-z0-9_-]{43}$/);

  const proxied = await request(g.url, '/reports?x=1', { headers: { host: H, cookie: `${jar.header()}; theme=dark` } });
  t.equal(proxied.status, 200);
  const seen = proxied.json<{ url: string; headers: Record<string, string> }>();
  t.equal(seen.url, '/reports?x=1');
  t.equal(seen.headers['x-auth-user'], 'u-alice');
  t.equal(seen.headers['x-auth-email'], 'alice@acme.test');
  t.equal(seen.headers['x-auth-name'], 'Alice Admin');
  t.equal(seen.headers['x-auth-roles'], 'admin');
  t.equal(seen.headers['x-auth-tenant'], 'acme');
  t.equal(seen.headers['x-auth-session'], set!.value.split('.')[0]);
  t.equal(seen.headers['x-auth-time'], String(Math.floor(g.clock.now() / 1000)));
  t.equal(seen.headers.cookie, 'theme=dark', 'the gateway cookie never reaches the app');
  t.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
  t.equal(seen.headers['x-forwarded-host'], H);

  const sessionApi = await request(g.url, '/t/acme/api/v1/session', { headers: { host: H, cookie: jar.header() } });
  t.equal(sessionApi.status, 200);
  const body = sessionApi.json<{ session: Record<string, unknown>; csrfToken: string }>();
  t.equal(body.session.id, set!.value.split('.')[0]);
  t.equal(body.session.kind, 'browser');
  t.equal(body.session.userId, 'u-alice');
  t.equal(body.session.current, true);
  t.equal(body.session.rememberMe, false);
  t.equal(body.session.authMethod, 'password');
  t.equal(body.session.createdAt, new Date(g.clock.now()).toISOString());
  t.equal(body.session.idleExpiresAt, new Date(g.clock.now() + 30 * 60_000).toISOString());
  t.type(body.csrfToken, 'string');

  const noToken = await request(g.url, '/t/acme/logout', {
    method: 'POST',
    form: {},
    headers: { host: H, cookie: jar.header() },
  });
  t.equal(noToken.status, 403, 'logout without the CSRF token changes nothing');
  const stillIn = await request(g.url, '/x', { headers: { host: H, cookie: jar.header() } });
  t.equal(stillIn.status, 200);

  const crossSite = await request(g.url, '/t/acme/logout', {
    method: 'POST',
    form: { csrf_token: body.csrfToken },
    headers: { host: H, cookie: jar.header(), origin: 'https://evil.test' },
  });
  t.equal(crossSite.status, 403, 'a cross-site logout changes nothing');

  const getLogout = await request(g.url, '/t/acme/logout', { headers: { host: H, cookie: jar.header() } });
  t.equal(getLogout.status, 200, 'GET shows a confirmation, it does not log out');
  t.equal((await request(g.url, '/x', { headers: { host: H, cookie: jar.header() } })).status, 200);

  const out = await request(g.url, '/t/acme/logout', {
    method: 'POST',
    form: { csrf_token: body.csrfToken },
    headers: { host: H, cookie: jar.header() },
  });
  t.equal(out.status, 303);
  const cleared = out.setCookies.map(parseSetCookie).find((c) => c.name === 'gk_acme');
  t.equal(cleared?.maxAge, 0, 'logout clears the cookie');
  const after = await request(g.url, '/x', { headers: { host: H, cookie: jar.header(), accept: 'application/json' } });
  t.equal(after.status, 401, 'the old cookie is dead after logout');
  t.ok(
    g.logs.some((l) => l.includes('"audit":"session_revoked"')),
    'logout is audited',
  );
});

t.test('a wrong password and an unknown user get the same answer', async (t) => {
  const g = await startTestGateway();
  t.teardown(g.stop);
  const wrong = await login(g.url, { username: 'alice', password: 'nope' });
  const unknown = await login(g.url, { username: 'mallory', password: 'nope' });
  t.equal(wrong.res.status, 401);
  t.equal(unknown.res.status, 401);
  const msg = (b: string) => /<p class="error" role="alert">([^<]*)<\/p>/.exec(b)?.[1];
  t.equal(msg(wrong.res.body), 'Invalid username or password.');
  t.equal(msg(unknown.res.body), msg(wrong.res.body));
  t.notOk(wrong.jar.get('gk_acme'), 'no session cookie');
});

t.test("a tenant's session cookie is nothing at another tenant's gateway endpoints", async (t) => {
  const g = await startTestGateway();
  t.teardown(g.stop);
  const { jar } = await login(g.url, { username: 'alice', password: PASSWORDS.alice });
  const value = jar.get('gk_acme')!;
  // Same user id (u-alice) exists in globex: the acme session must still mean nothing there.
  const asGlobex = await request(g.url, '/t/globex/api/v1/session', {
    headers: { host: 'portal.globex.test', cookie: `gk_globex=${value}` },
  });
  t.equal(asGlobex.status, 401);
  const mine = await request(g.url, '/t/globex/api/v1/me/sessions', {
    headers: { host: 'portal.globex.test', cookie: `gk_globex=${value}` },
  });
  t.equal(mine.status, 401);
  const logout = await request(g.url, '/t/globex/logout', {
    method: 'POST',
    form: {},
    headers: { host: 'portal.globex.test', cookie: `gk_globex=${value}` },
  });
  t.equal(logout.status, 303, 'nothing to log out at globex');
  t.equal(
    (await request(g.url, '/x', { headers: { host: 'dashboard.acme.test', cookie: jar.header() } })).status,
    200,
    'and the acme session is untouched',
  );
});
