// SPEC §4 / §5 against an attacker: forged, tampered, mixed and malformed session
// cookies; cross-tenant cookies; session fixation; re-authentication rotating the secret;
// login CSRF; and the `rd` open-redirect list.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { CookieJar, request, type Response } from '../helpers/http.js';
import { formToken, login } from '../helpers/login.js';
import { parseSetCookie } from '../helpers/set-cookie.js';
import { startTestGateway, PASSWORDS } from '../helpers/gateway.js';
import { hasCode } from '../helpers/error-code.js';

const H = 'dashboard.acme.test';
const API = { host: H, accept: 'application/json' };
const BROWSER = { host: H, accept: 'text/html' };

const g = await startTestGateway();
t.teardown(g.stop);

function b64url(n: number): string {
  return randomBytes(n).toString('base64url');
}
/** A well-formed cookie value the gateway never issued. */
function planted(): string {
  return `sess_${b64url(33).slice(0, 33)}.${b64url(32)}`;
}
const idOf = (v: string): string => v.split('.')[0]!;
const secretOf = (v: string): string => v.split('.')[1]!;

async function loginAs(
  user: 'alice' | 'bob',
  extra: { jar?: CookieJar; rd?: string; prompt?: string } = {},
): Promise<{ jar: CookieJar; value: string; res: Response }> {
  const { jar, res } = await login(g.url, { username: user, password: PASSWORDS[user], ...extra });
  const value = jar.get('gk_acme');
  if (!value) throw new Error(`login as ${user} failed: ${res.status}`);
  return { jar, value, res };
}

/** True when the cookie header authenticates a proxied API request. */
async function who(cookie: string, host = H, path = '/x'): Promise<{ status: number; user: string | undefined }> {
  const before = g.upstream.seen.length;
  const res = await request(g.url, path, { headers: { host, accept: 'application/json', cookie } });
  const seen = g.upstream.seen.slice(before);
  return { status: res.status, user: seen[0]?.headers['x-auth-user'] as string | undefined };
}

/**
 * POSTs the login form from a jar that already holds a session cookie, as a browser with
 * a login tab still open would: the form (and its nonce) is fetched without the session
 * cookie, because a signed-in GET /login redirects instead of showing the form.
 */
async function postLoginWith(jar: CookieJar, user: 'alice' | 'bob'): Promise<Response> {
  const form = await request(g.url, '/t/acme/login', { headers: BROWSER });
  jar.take(form);
  const res = await request(g.url, '/t/acme/login', {
    method: 'POST',
    form: { username: user, password: PASSWORDS[user], csrf_token: formToken(form.body), rd: '/' },
    headers: { ...BROWSER, cookie: jar.header() },
  });
  jar.take(res);
  return res;
}

function sessionCookieSet(res: Response): string | undefined {
  const c = res.setCookies.map(parseSetCookie).find((s) => s.name === 'gk_acme');
  return c && c.value !== '' && c.maxAge !== 0 ? c.value : undefined;
}

t.test('forged and tampered cookies are not authenticated', async (t) => {
  const a1 = await loginAs('alice');
  const a2 = await loginAs('alice');
  const b = await loginAs('bob');
  t.equal((await who(`gk_acme=${a1.value}`)).user, 'u-alice', 'control: the real cookie works');

  const fake = planted();
  t.match(fake, /^sess_[A-Za-z0-9_-]{33}\.[A-Za-z0-9_-]{43}$/, 'the planted value has the issued shape');
  t.same(await who(`gk_acme=${fake}`), { status: 401, user: undefined }, 'a planted cookie: 401');
  const nav = await request(g.url, '/x', { headers: { ...BROWSER, cookie: `gk_acme=${fake}` } });
  t.equal(nav.status, 302, 'a planted cookie on a browser navigation: sent to login');
  t.match(nav.headers.location, /^\/t\/acme\/login\?rd=/);
  const api = await request(g.url, '/t/acme/api/v1/session', { headers: { host: H, cookie: `gk_acme=${fake}` } });
  t.equal(api.status, 401, 'the session API does not know it either');
  hasCode(t, api, 'ERR_GK_UNAUTHENTICATED');

  const s = secretOf(a1.value);
  const flipped = `${idOf(a1.value)}.${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`;
  t.same(
    await who(`gk_acme=${flipped}`),
    { status: 401, user: undefined },
    'one character of the secret changed (first): 401',
  );
  const flippedLast = `${idOf(a1.value)}.${s.slice(0, -1)}${s.endsWith('A') ? 'B' : 'A'}`;
  t.same(
    await who(`gk_acme=${flippedLast}`),
    { status: 401, user: undefined },
    'one character of the secret changed (last): 401',
  );

  t.same(
    await who(`gk_acme=${idOf(a1.value)}.${secretOf(a2.value)}`),
    { status: 401, user: undefined },
    "a session id with another session's secret (same user): 401",
  );
  t.same(
    await who(`gk_acme=${idOf(b.value)}.${secretOf(a1.value)}`),
    { status: 401, user: undefined },
    "bob's id with alice's secret: 401",
  );
  t.same(await who(`gk_acme=${idOf(a1.value)}`), { status: 401, user: undefined }, 'the public id alone: 401');

  t.same(
    await who('', H, `/x?gk_acme=${encodeURIComponent(a1.value)}`),
    { status: 401, user: undefined },
    'a session id in the URL is never read',
  );

  t.equal((await who(`gk_acme=${a1.value}`)).user, 'u-alice', 'the real cookies still work after the attempts');
  t.equal((await who(`gk_acme=${a2.value}`)).user, 'u-alice');
  t.equal((await who(`gk_acme=${b.value}`)).user, 'u-bob');
});

t.test('malformed cookie values: clean 401/302, never 5xx', async (t) => {
  const nonAscii = Buffer.from('gk_acme=sess_é日本.ü', 'utf8').toString('latin1'); // raw UTF-8 bytes on the wire
  const values: [string, string][] = [
    ['empty', 'gk_acme='],
    ['abc', 'gk_acme=abc'],
    ['4 KB', `gk_acme=${'a'.repeat(4096)}`],
    ['4 KB issued shape', `gk_acme=sess_${'A'.repeat(33)}.${'b'.repeat(4060)}`],
    ['three parts', 'gk_acme=sess_x.y.z'],
    ['non-ASCII', nonAscii],
    ['latin1', 'gk_acme=sess_\xe9\xe9.\xff'],
    ['bad percent-encoding', 'gk_acme=%zz%'],
    ['quoted', `gk_acme="${planted()}"`],
    ['only the name', 'gk_acme'],
    ['dots only', 'gk_acme=...'],
    ['semicolons', 'gk_acme=;;;'],
    ['encoded dot', `gk_acme=${planted().replace('.', '%2E')}`],
  ];
  for (const [name, cookie] of values) {
    t.test(name, async (t) => {
      const api = await request(g.url, '/x', { headers: { ...API, cookie } });
      t.equal(api.status, 401, 'API: 401');
      hasCode(t, api, 'ERR_GK_UNAUTHENTICATED');
      t.equal(api.json().error, 'invalid_token');
      const nav = await request(g.url, '/x', { headers: { ...BROWSER, cookie } });
      t.equal(nav.status, 302, 'browser: 302 to login');
      t.equal(nav.headers['x-auth-error-code'], 'ERR_GK_UNAUTHENTICATED', 'browser: the redirect names why');
      const sess = await request(g.url, '/t/acme/api/v1/session', { headers: { host: H, cookie } });
      t.equal(sess.status, 401, 'session API: 401');
      hasCode(t, sess, 'ERR_GK_UNAUTHENTICATED');
      const form = await request(g.url, '/t/acme/login', { headers: { ...BROWSER, cookie } });
      t.equal(form.status, 200, 'the login form still renders');
    });
  }
  const ok = await request(g.url, '/public/x', { headers: API });
  t.equal(ok.status, 200, 'the gateway still answers');
});

t.test('a cookie of tenant acme means nothing to globex', async (t) => {
  const a = await loginAs('alice');
  t.same(
    await who(`gk_globex=${a.value}`, 'portal.globex.test'),
    { status: 401, user: undefined },
    'renamed gk_globex on the globex host: 401',
  );
  t.same(
    await who(`gk_acme=${a.value}`, 'portal.globex.test'),
    { status: 401, user: undefined },
    'as gk_acme on the globex host: 401',
  );
  const sess = await request(g.url, '/t/globex/api/v1/session', {
    headers: { host: 'portal.globex.test', cookie: `gk_globex=${a.value}` },
  });
  t.equal(sess.status, 401, "globex's session API does not know it");
  hasCode(t, sess, 'ERR_GK_UNAUTHENTICATED');
  const form = await request(g.url, '/t/globex/login', {
    headers: { host: 'portal.globex.test', accept: 'text/html', cookie: `gk_globex=${a.value}` },
  });
  t.equal(form.status, 200, 'globex login shows the form, not a redirect as if signed in');
  t.equal((await who(`gk_acme=${a.value}`)).user, 'u-alice', 'control: it still works on acme');
});

t.test('session fixation', async (t) => {
  t.test('a planted cookie sent to the login endpoint', async (t) => {
    const fake = planted();
    const jar = new CookieJar();
    jar.cookies.set('gk_acme', fake);
    const { res } = await login(g.url, { username: 'alice', password: PASSWORDS.alice, jar });
    t.equal(res.status, 302);
    const issued = sessionCookieSet(res);
    t.ok(issued, 'a session cookie is issued');
    t.not(idOf(issued ?? fake), idOf(fake), 'a new session id, not the planted one');
    t.not(secretOf(issued ?? fake), secretOf(fake), 'and a new secret');
    t.same(await who(`gk_acme=${fake}`), { status: 401, user: undefined }, 'the planted cookie authenticates nothing');
    t.equal((await who(`gk_acme=${issued}`)).user, 'u-alice');
  });

  t.test("an attacker's real session planted in the victim's browser", async (t) => {
    const attacker = await loginAs('bob');
    const jar = new CookieJar();
    jar.cookies.set('gk_acme', attacker.value);
    const res = await postLoginWith(jar, 'alice');
    t.equal(res.status, 302);
    const issued = sessionCookieSet(res);
    t.ok(issued);
    t.not(idOf(issued ?? attacker.value), idOf(attacker.value), 'the victim gets a session id of her own');
    t.equal((await who(`gk_acme=${issued}`)).user, 'u-alice');
    t.not((await who(`gk_acme=${attacker.value}`)).user, 'u-alice', 'the planted cookie never becomes alice');
  });

  t.test('logging in twice from one jar', async (t) => {
    const first = await loginAs('alice');
    const res = await postLoginWith(first.jar, 'alice');
    t.equal(res.status, 302);
    const second = sessionCookieSet(res);
    t.ok(second);
    t.not(idOf(second ?? first.value), idOf(first.value), 'a different session id');
    t.same(await who(`gk_acme=${first.value}`), { status: 401, user: undefined }, 'the previous session dies');
    t.equal((await who(`gk_acme=${second}`)).user, 'u-alice');
    const third = sessionCookieSet(await postLoginWith(first.jar, 'bob'));
    t.not(idOf(third ?? second!), idOf(second!), 'switching user: a different id again');
    t.same(await who(`gk_acme=${second}`), { status: 401, user: undefined });
    t.equal((await who(`gk_acme=${third}`)).user, 'u-bob');
  });
});

t.test('login CSRF', async (t) => {
  async function freshForm(): Promise<{ jar: CookieJar; token: string }> {
    const jar = new CookieJar();
    const form = await request(g.url, '/t/acme/login', { headers: BROWSER });
    jar.take(form);
    t.ok(jar.get('gk_acme_login'), 'the form sets its nonce cookie');
    return { jar, token: formToken(form.body) };
  }
  const post = (jar: CookieJar, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    request(g.url, '/t/acme/login', {
      method: 'POST',
      form: { username: 'alice', password: PASSWORDS.alice, rd: '/', ...fields },
      headers: { ...BROWSER, cookie: jar.header(), ...headers },
    });

  const cases: [string, (f: { jar: CookieJar; token: string }) => Promise<Response>][] = [
    ['no csrf_token', (f) => post(f.jar, {})],
    ['an empty csrf_token', (f) => post(f.jar, { csrf_token: '' })],
    [
      'a wrong csrf_token',
      (f) => post(f.jar, { csrf_token: f.token.slice(0, -1) + (f.token.endsWith('A') ? 'B' : 'A') }),
    ],
    ['the token without its nonce cookie', (f) => post(new CookieJar(), { csrf_token: f.token })],
    ['Origin: https://evil.test', (f) => post(f.jar, { csrf_token: f.token }, { origin: 'https://evil.test' })],
    ['Origin: null', (f) => post(f.jar, { csrf_token: f.token }, { origin: 'null' })],
    ['Sec-Fetch-Site: cross-site', (f) => post(f.jar, { csrf_token: f.token }, { 'sec-fetch-site': 'cross-site' })],
  ];
  for (const [name, send] of cases) {
    const res = await send(await freshForm());
    t.equal(res.status, 403, `${name}: 403`);
    hasCode(t, res, 'ERR_GK_CSRF', name);
    t.equal(sessionCookieSet(res), undefined, `${name}: no session cookie`);
  }
  const ok = await freshForm();
  const good = await post(
    ok.jar,
    { csrf_token: ok.token },
    { origin: 'http://dashboard.acme.test', 'sec-fetch-site': 'same-origin' },
  );
  t.equal(good.status, 302, 'control: same token, same-site Origin: logged in');
  t.ok(sessionCookieSet(good));
});

t.test('rd never becomes an open redirect', async (t) => {
  const BAD = [
    '//evil.com',
    '/\\evil.com',
    '/\\/evil.com',
    '///evil.com',
    '/\t/evil.com',
    '/%2F%2Fevil.com',
    '/%5Cevil.com',
    'https://dashboard.acme.test@evil.com',
    'http://dashboard.acme.test@evil.com/',
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'https://evil.com/',
    'http://evil.com',
    'HTTP://EVIL.COM/',
    'http://evil.com%2F@dashboard.acme.test',
    'http://evil.com#@dashboard.acme.test',
    'http://evil.com?@dashboard.acme.test',
    'http://dashboard.acme.test.evil.com/',
    'http://evil.com/dashboard.acme.test',
    'http:evil.com',
    'https:/evil.com',
    'http:\\\\evil.com',
    '\\\\evil.com',
    'evil.com',
    'http://dashboard.acme.test:3000/',
    'ftp://dashboard.acme.test/',
    ' http://evil.com',
  ];
  for (const rd of BAD) {
    const { res } = await login(g.url, { username: 'alice', password: PASSWORDS.alice, rd });
    t.equal(res.status, 302, `${JSON.stringify(rd)}: login succeeds`);
    t.equal(res.headers.location, '/', `${JSON.stringify(rd)}: Location falls back to /`);
  }
  for (const rd of [
    'http://dashboard.acme.test/ok',
    '/ok',
    '/ok?next=//evil.com',
    'http://gw.acme.test/t/acme/account/sessions',
    'http://a.dash.acme.test/ok',
  ]) {
    const { res } = await login(g.url, { username: 'alice', password: PASSWORDS.alice, rd });
    t.equal(res.status, 302);
    t.equal(res.headers.location, rd, `${rd}: kept`);
  }

  const signedIn = await loginAs('alice');
  const get = (q: string) =>
    request(g.url, `/t/acme/login?${q}`, { headers: { ...BROWSER, cookie: signedIn.jar.header() } });
  const safe = await get(`rd=${encodeURIComponent('/ok')}`);
  t.equal(safe.status, 302, 'GET login with a valid session redirects');
  t.equal(safe.headers.location, '/ok');
  const abs = await get(`rd=${encodeURIComponent('http://dashboard.acme.test/ok')}`);
  t.equal(abs.headers.location, 'http://dashboard.acme.test/ok');
  for (const rd of ['//evil.com', 'https://evil.com/', '/\\evil.com', 'javascript:alert(1)']) {
    const r = await get(`rd=${encodeURIComponent(rd)}`);
    t.equal(r.status, 302);
    t.equal(r.headers.location, '/', `GET login, signed in, rd=${rd}: /`);
  }
  const none = await get('');
  t.equal(none.headers.location, '/', 'no rd: /');
  const reauth = await get(`prompt=login&rd=${encodeURIComponent('/ok')}`);
  t.equal(reauth.status, 200, 'prompt=login shows the form instead');
});

// Last: it moves the shared clock forward.
t.test('re-authentication rotates the secret and refreshes auth_time', async (t) => {
  const a = await loginAs('alice');
  const first = await request(g.url, '/admin/x', { headers: { ...API, cookie: a.jar.header() } });
  t.equal(first.status, 200, '/admin/x right after login');

  g.clock.advance(20 * 60_000);
  const api = await request(g.url, '/admin/x', { headers: { ...API, cookie: a.jar.header() } });
  t.equal(api.status, 401, '20 minutes later: freshAuth 15m fails');
  hasCode(t, api, 'ERR_GK_REAUTH_REQUIRED');
  t.equal(api.json().error, 'insufficient_user_authentication');
  t.equal(api.json().max_age, 900);
  t.match(api.headers['www-authenticate'], /^Bearer /);
  t.match(api.headers['www-authenticate'], /error="insufficient_user_authentication"/);
  t.match(api.headers['www-authenticate'], /max_age=900/);
  const nav = await request(g.url, '/admin/x', { headers: { ...BROWSER, cookie: a.jar.header() } });
  t.equal(nav.status, 302);
  t.equal(
    nav.headers.location,
    `/t/acme/login?prompt=login&max_age=900&rd=${encodeURIComponent('http://dashboard.acme.test/admin/x')}`,
  );
  t.equal((await who(`gk_acme=${a.value}`)).user, 'u-alice', 'routes without freshAuth still work');

  const wrong = await login(g.url, { username: 'alice', password: 'nope', prompt: 'login', jar: a.jar });
  t.equal(wrong.res.status, 401, 'a wrong password at re-authentication');
  hasCode(t, wrong.res, 'ERR_GK_LOGIN_FAILED');
  t.equal(a.jar.get('gk_acme'), a.value, 'changes nothing');
  t.equal((await who(`gk_acme=${a.value}`)).user, 'u-alice');

  const re = await login(g.url, {
    username: 'alice',
    password: PASSWORDS.alice,
    prompt: 'login',
    jar: a.jar,
    rd: 'http://dashboard.acme.test/admin/x',
  });
  t.equal(re.res.status, 302);
  t.equal(re.res.headers.location, 'http://dashboard.acme.test/admin/x');
  const rotated = sessionCookieSet(re.res);
  t.ok(rotated, 'a new cookie value');
  t.equal(idOf(rotated ?? ''), idOf(a.value), 'the session id stays the same');
  t.not(secretOf(rotated ?? a.value), secretOf(a.value), 'the secret is rotated');
  t.same(
    await who(`gk_acme=${a.value}`),
    { status: 401, user: undefined },
    'the old cookie value stops working at once',
  );

  const again = await request(g.url, '/admin/x', { headers: { ...API, cookie: `gk_acme=${rotated}` } });
  t.equal(again.status, 200, '/admin/x works again');
  t.equal(
    again.json<{ headers: Record<string, string> }>().headers['x-auth-time'],
    String(Math.floor(g.clock.now() / 1000)),
    'auth_time is now',
  );
  const sess = await request(g.url, '/t/acme/api/v1/session', { headers: { host: H, cookie: `gk_acme=${rotated}` } });
  t.equal(sess.json<{ session: { id: string; authTime: string } }>().session.id, idOf(a.value));
  t.equal(
    sess.json<{ session: { id: string; authTime: string } }>().session.authTime,
    new Date(g.clock.now()).toISOString(),
  );

  const asBob = await loginAs('bob');
  const bobReauthAsAlice = await login(g.url, {
    username: 'alice',
    password: PASSWORDS.alice,
    prompt: 'login',
    jar: asBob.jar,
  });
  const other = sessionCookieSet(bobReauthAsAlice.res);
  t.not(
    idOf(other ?? asBob.value),
    idOf(asBob.value),
    "prompt=login as another user never re-authenticates bob's session",
  );
  t.not((await who(`gk_acme=${asBob.value}`)).user, 'u-alice');
});
