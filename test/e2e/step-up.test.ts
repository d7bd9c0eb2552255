// Forced re-authentication (SPEC §2 freshAuth, §3, §4): /admin/** needs role admin and
// an authentication at most 15 minutes old; /billing/** writes need 5 minutes. Browsers are
// sent to login?prompt=login&max_age=N, APIs get RFC 9470's insufficient_user_authentication.
// Re-authentication rotates the cookie secret, keeps the session id, updates authTime.
import t from 'tap';
import { CookieJar, request, type Response } from '../helpers/http.js';
import { formToken, login } from '../helpers/login.js';
import { parseSetCookie } from '../helpers/set-cookie.js';
import { startTestGateway, PASSWORDS } from '../helpers/gateway.js';
import { hasCode } from '../helpers/error-code.js';

const DASH = 'dashboard.acme.test';
const MIN = 60_000;

const g = await startTestGateway();
t.teardown(g.stop);

function get(
  path: string,
  cookie: string,
  accept = 'application/json',
  extra: Record<string, string> = {},
): Promise<Response> {
  return request(g.url, path, { headers: { host: DASH, accept, cookie, ...extra } });
}

async function signIn(
  user: 'alice' | 'bob',
  rememberMe = false,
): Promise<{ jar: CookieJar; res: Response; value: string }> {
  const { jar, res } = await login(g.url, { username: user, password: PASSWORDS[user], rememberMe });
  const value = jar.get('gk_acme');
  if (res.status !== 302 || !value) throw new Error(`login: ${res.status}`);
  return { jar, res, value };
}

async function sessionApi(
  cookie: string,
): Promise<{ id: string; authTime: string; expiresAt: string; rememberMe: boolean }> {
  const res = await request(g.url, '/t/acme/api/v1/session', { headers: { host: DASH, cookie } });
  if (res.status !== 200) throw new Error(`session api: ${res.status}`);
  return res.json<{ session: { id: string; authTime: string; expiresAt: string; rememberMe: boolean } }>().session;
}

function audits(event: string): Record<string, unknown>[] {
  return g.logs.flatMap((l) => {
    const o = JSON.parse(l) as Record<string, unknown>;
    return o.audit === event ? [o] : [];
  });
}

const iso = (ms: number): string => new Date(ms).toISOString();

t.test('/admin/** after 20 minutes: browser redirect, API challenge, audit; re-auth rotates the secret', async (t) => {
  const { jar, value: original } = await signIn('alice');
  const cookie = `gk_acme=${original}`;
  const sid = original.split('.')[0]!;
  const loggedInAt = g.clock.now();
  t.equal((await get('/admin/users', cookie)).status, 200, 'fresh: 200');

  g.clock.advance(20 * MIN);
  const before = audits('reauth_required').length;
  const nav = await get('/admin/users?tab=2', cookie, 'text/html');
  t.equal(nav.status, 302, 'a browser is redirected');
  t.equal(nav.headers['x-auth-error-code'], 'ERR_GK_REAUTH_REQUIRED', 'the redirect names why');
  t.equal(
    nav.headers.location,
    `/t/acme/login?prompt=login&max_age=900&rd=${encodeURIComponent('http://dashboard.acme.test/admin/users?tab=2')}`,
  );

  const api = await get('/admin/users', cookie);
  t.equal(api.status, 401, 'an API gets 401');
  hasCode(t, api, 'ERR_GK_REAUTH_REQUIRED');
  const www = String(api.headers['www-authenticate']);
  t.match(www, /^Bearer /);
  t.match(www, /error="insufficient_user_authentication"/);
  t.match(www, /max_age=900/);
  t.match(www, /realm="acme"/);
  t.match(api.json(), { error: 'insufficient_user_authentication', max_age: 900 });
  t.type(api.json().error_description, 'string');
  const xhr = await get('/admin/users', cookie, 'text/html', { 'x-requested-with': 'XMLHttpRequest' });
  t.equal(xhr.status, 401, 'an XHR is not redirected');
  hasCode(t, xhr, 'ERR_GK_REAUTH_REQUIRED', 'XHR');
  const ev = audits('reauth_required').slice(before);
  t.equal(ev.length, 3, 'each refusal audited');
  t.match(ev[0], { tenant: 'acme', userId: 'u-alice', sessionId: sid, ip: '127.0.0.1' });

  t.equal((await get('/reports', cookie)).status, 200, 'routes without freshAuth still work');

  // The login page for re-authentication.
  const form = await request(
    g.url,
    `/t/acme/login?prompt=login&max_age=900&rd=${encodeURIComponent('http://dashboard.acme.test/admin/users')}`,
    { headers: { host: DASH, accept: 'text/html', cookie } },
  );
  t.equal(form.status, 200);
  t.match(form.body, /Confirm your password to continue/);
  t.match(form.body, /<input[^>]*name="username"[^>]*value="alice"[^>]*readonly/, 'the username is fixed');
  t.match(form.body, /name="prompt" value="login"/);
  t.notMatch(form.body, /name="remember_me"/, 'no remember-me choice on re-authentication');

  // A wrong password changes nothing.
  jar.take(form);
  const wrong = await request(g.url, '/t/acme/login', {
    method: 'POST',
    headers: { host: DASH, accept: 'text/html', cookie: jar.header() },
    form: {
      username: 'alice',
      password: 'nope',
      csrf_token: formToken(form.body),
      rd: '/admin/users',
      prompt: 'login',
    },
  });
  t.equal(wrong.status, 401, 'wrong password: 401');
  hasCode(t, wrong, 'ERR_GK_LOGIN_FAILED');
  t.match(wrong.body, /Confirm your password to continue/, 'the re-authentication form again');
  t.equal((await get('/reports', cookie)).status, 200, 'the session is untouched');

  g.clock.advance(MIN);
  const reauthAt = g.clock.now();
  const { res } = await login(g.url, {
    username: 'alice',
    password: PASSWORDS.alice,
    prompt: 'login',
    rd: 'http://dashboard.acme.test/admin/users',
    jar,
  });
  t.equal(res.status, 302);
  t.equal(res.headers.location, 'http://dashboard.acme.test/admin/users', 'back to where the user was going');
  const set = res.setCookies.map(parseSetCookie).find((c) => c.name === 'gk_acme');
  t.ok(set, 'a new cookie');
  t.equal(set!.maxAge, null, 'still a browser-session cookie (no remember-me)');
  const rotated = set!.value;
  t.not(rotated, original, 'the cookie value changed');
  t.equal(rotated.split('.')[0], sid, 'the same session id');
  t.not(rotated.split('.')[1], original.split('.')[1], 'a new secret');

  t.equal((await get('/reports', cookie)).status, 401, 'the old cookie value is dead at once');
  t.equal((await get('/admin/users', cookie, 'text/html')).status, 302);
  const newCookie = `gk_acme=${rotated}`;
  const s = await sessionApi(newCookie);
  t.equal(s.id, sid);
  t.equal(s.authTime, iso(reauthAt), 'authTime updated');
  t.equal(s.expiresAt, iso(loggedInAt + 24 * 60 * MIN), 'the expiry is the original one');
  const again = await get('/admin/users', newCookie);
  t.equal(again.status, 200, 'the route works again');
  t.equal(
    again.json<{ headers: Record<string, string> }>().headers['x-auth-time'],
    String(Math.floor(reauthAt / 1000)),
    'X-Auth-Time is the new authTime',
  );
  t.match(audits('login_succeeded').at(-1), { sessionId: sid, reason: 'reauthentication' });
});

t.test('re-authentication keeps remember-me: the cookie Max-Age and the original expiry', async (t) => {
  const { jar, res: first, value } = await signIn('alice', true);
  const loggedInAt = g.clock.now();
  const firstSet = first.setCookies.map(parseSetCookie).find((c) => c.name === 'gk_acme')!;
  t.equal(firstSet.maxAge, 30 * 86_400, 'remember-me: Max-Age 30d');
  const cookie = `gk_acme=${value}`;
  const s0 = await sessionApi(cookie);
  t.equal(s0.rememberMe, true);
  t.equal(s0.expiresAt, iso(loggedInAt + 30 * 86_400_000));

  // A remembered session is not a fresh authentication: its authTime stays the login's.
  g.clock.advance(20 * MIN);
  t.equal((await get('/reports', cookie)).status, 200, 'remember-me keeps it alive (no idle timeout)');
  t.equal((await sessionApi(cookie)).authTime, iso(loggedInAt), 'authTime is still the original login');
  t.equal((await get('/admin/x', cookie)).status, 401, 'so /admin asks for a fresh login');

  const reauthAt = g.clock.now();
  const { res } = await login(g.url, {
    username: 'alice',
    password: PASSWORDS.alice,
    prompt: 'login',
    rd: '/admin/x',
    jar,
  });
  t.equal(res.status, 302);
  const set = res.setCookies.map(parseSetCookie).find((c) => c.name === 'gk_acme')!;
  t.equal(set.maxAge, 30 * 86_400 - 20 * 60, 'Max-Age: what is left of the remember-me duration');
  t.equal(set.value.split('.')[0], value.split('.')[0], 'same session');
  const s1 = await sessionApi(`gk_acme=${set.value}`);
  t.equal(s1.expiresAt, iso(loggedInAt + 30 * 86_400_000), 'the original expiry, not extended');
  t.equal(s1.rememberMe, true);
  t.equal(s1.authTime, iso(reauthAt));
  t.equal((await get('/admin/x', `gk_acme=${set.value}`)).status, 200);
  t.equal((await get('/admin/x', cookie)).status, 401, 'the old cookie value is dead');
});

t.test('/billing/** writes need a 5-minute-fresh login; reads do not', async (t) => {
  const { value } = await signIn('bob');
  const cookie = `gk_acme=${value}`;
  const post = (accept: string): Promise<Response> =>
    request(g.url, '/billing/x', {
      method: 'POST',
      headers: { host: DASH, accept, cookie, 'content-type': 'application/json' },
      body: '{}',
    });
  t.equal((await post('application/json')).status, 200, 'fresh: the write passes');

  g.clock.advance(6 * MIN);
  const w = await post('application/json');
  t.equal(w.status, 401, 'after 6 minutes: POST /billing/x → 401');
  hasCode(t, w, 'ERR_GK_REAUTH_REQUIRED');
  t.match(w.json(), { error: 'insufficient_user_authentication', max_age: 300 });
  t.match(String(w.headers['www-authenticate']), /error="insufficient_user_authentication".*max_age=300/);
  t.equal((await post('text/html')).status, 401, 'a browser POST is not redirected (only GET/HEAD are)');
  const r = await get('/billing/x', cookie);
  t.equal(r.status, 200, 'GET /billing/x → 200');
  t.equal(
    (
      await request(g.url, '/billing/x', {
        method: 'DELETE',
        headers: { host: DASH, accept: 'application/json', cookie },
      })
    ).status,
    401,
    'DELETE is a write too',
  );
});

t.test('roles come before freshness: a non-admin gets 403, fresh or not', async (t) => {
  const { value } = await signIn('bob');
  const cookie = `gk_acme=${value}`;
  t.equal((await get('/admin/x', cookie)).status, 403, 'fresh bob: 403');
  g.clock.advance(20 * MIN);
  t.equal((await get('/admin/x', cookie)).status, 403, 'stale bob: 403, not a re-authentication prompt');
  const page = await get('/admin/x', cookie, 'text/html');
  t.equal(page.status, 403, 'a browser too');
  hasCode(t, page, 'ERR_GK_FORBIDDEN', 'the 403 page');
});

t.test("an access token bound to a session follows the session's authTime", async (t) => {
  const { jar, value } = await signIn('alice');
  const cookie = `gk_acme=${value}`;
  const csrf = (await request(g.url, '/t/acme/api/v1/session', { headers: { host: DASH, cookie } })).json<{
    csrfToken: string;
  }>().csrfToken;
  const st = await request(g.url, '/t/acme/api/v1/session/token', {
    method: 'POST',
    headers: { host: DASH, cookie, 'x-csrf-token': csrf },
  });
  const bearer = { authorization: `Bearer ${st.json<{ access_token: string }>().access_token}` };
  t.equal(
    (await request(g.url, '/admin/x', { headers: { host: DASH, accept: 'application/json', ...bearer } })).status,
    200,
  );
  g.clock.advance(16 * MIN);
  const stale = await request(g.url, '/admin/x', { headers: { host: DASH, accept: 'application/json', ...bearer } });
  t.equal(stale.status, 401);
  hasCode(t, stale, 'ERR_GK_REAUTH_REQUIRED', 'bearer');
  t.match(stale.json(), { error: 'insufficient_user_authentication', max_age: 900 });
  const { res } = await login(g.url, {
    username: 'alice',
    password: PASSWORDS.alice,
    prompt: 'login',
    rd: '/admin/x',
    jar,
  });
  t.equal(res.status, 302);
  t.equal(
    (await request(g.url, '/admin/x', { headers: { host: DASH, accept: 'application/json', ...bearer } })).status,
    200,
    'after re-authentication the same token passes',
  );
});
