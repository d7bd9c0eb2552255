// The self-service session API (SPEC §5): my sessions with this one flagged current,
// revoke one of mine (404 for anyone else's), revoke all the others; CSRF for cookie callers.
import t from 'tap';
import { CookieJar, request, type Response } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { startTestGateway, PASSWORDS, SECRETS } from '../helpers/gateway.js';

const DASH = 'dashboard.acme.test';
const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';

const g = await startTestGateway();
t.teardown(g.stop);

type H = Record<string, string>;
interface Signed {
  jar: CookieJar;
  cookie: string;
  csrf: string;
  sid: string;
}

interface SessionJson {
  id: string;
  userId: string;
  userAgent: string;
  device: { type: string; os: string | null; browser: string | null };
  current?: boolean;
  [k: string]: unknown;
}

async function signIn(user: 'alice' | 'bob', ua = CHROME): Promise<Signed> {
  const { jar, res } = await login(g.url, { username: user, password: PASSWORDS[user], headers: { 'user-agent': ua } });
  if (res.status !== 302 || !jar.get('gk_acme')) throw new Error(`login of ${user}: ${res.status}`);
  const s = await request(g.url, '/t/acme/api/v1/session', { headers: { host: DASH, cookie: jar.header() } });
  const body = s.json<{ csrfToken: string; session: { id: string } }>();
  return { jar, cookie: jar.header(), csrf: body.csrfToken, sid: body.session.id };
}

function me(method: string, path: string, headers: H = {}): Promise<Response> {
  return request(g.url, `/t/acme/api/v1/me/sessions${path}`, {
    method,
    headers: { host: DASH, accept: 'application/json', ...headers },
  });
}
const cookieOf = (s: Signed): H => ({ cookie: s.cookie, 'x-csrf-token': s.csrf });

async function mine(s: Signed): Promise<SessionJson[]> {
  const res = await me('GET', '', { cookie: s.cookie });
  if (res.status !== 200) throw new Error(`GET me/sessions: ${res.status}`);
  return res.json<{ sessions: SessionJson[] }>().sessions;
}

async function atApp(cookie: string): Promise<number> {
  return (await request(g.url, '/reports', { headers: { host: DASH, accept: 'application/json', cookie } })).status;
}

async function storeIds(userId: string): Promise<string[]> {
  return (await g.gw.deps.store.listUserSessions('acme', userId, g.clock.now())).map((s) => s.id).sort();
}

async function clean(userId: string): Promise<void> {
  await g.gw.deps.store.deleteUserSessions('acme', userId);
}

t.test('GET /me/sessions: two logins from two browsers, this one flagged current, devices parsed', async (t) => {
  await clean('u-bob');
  const desk = await signIn('bob', FIREFOX);
  const phone = await signIn('bob', IPHONE);
  const alice = await signIn('alice');

  const res = await me('GET', '', { cookie: desk.cookie });
  t.equal(res.status, 200);
  t.equal(res.headers['cache-control'], 'no-store');
  const list = res.json<{ sessions: SessionJson[] }>().sessions;
  t.equal(list.length, 2, "only bob's two sessions");
  t.notOk(
    list.some((s) => s.id === alice.sid),
    "never alice's",
  );
  const d = list.find((s) => s.id === desk.sid);
  const p = list.find((s) => s.id === phone.sid);
  t.equal(d?.current, true, "the caller's session is current");
  t.equal(p?.current, false, 'the other is not');
  t.same(d?.device, { type: 'desktop', os: 'Linux', browser: 'Firefox 121' });
  t.same(p?.device, { type: 'mobile', os: 'iOS 17.1', browser: 'Mobile Safari 17' });
  t.equal(p?.userAgent, IPHONE);
  t.match(d, {
    kind: 'browser',
    userId: 'u-bob',
    clientId: null,
    ipAddress: '127.0.0.1',
    location: null,
    authMethod: 'password',
    rememberMe: false,
  });
  for (const s of list) t.match(s.id, /^sess_[A-Za-z0-9_-]{33}$/);

  const fromPhone = await mine(phone);
  t.equal(fromPhone.find((s) => s.id === phone.sid)?.current, true, 'seen from the phone, the phone is current');
  t.equal(fromPhone.find((s) => s.id === desk.sid)?.current, false);

  const st = await request(g.url, '/t/acme/api/v1/session/token', {
    method: 'POST',
    headers: { host: DASH, ...cookieOf(desk) },
  });
  const token = st.json<{ access_token: string }>().access_token;
  const byToken = await me('GET', '', { authorization: `Bearer ${token}` });
  t.equal(byToken.status, 200, 'a user bearer token works too');
  t.equal(
    byToken.json<{ sessions: SessionJson[] }>().sessions.find((s) => s.id === desk.sid)?.current,
    true,
    'its session is current',
  );
});

t.test('who may call it: 401 without credentials, 403 for a client token without a user', async (t) => {
  const none = await me('GET', '');
  t.equal(none.status, 401);
  t.match(String(none.headers['www-authenticate']), /^Bearer realm="acme"/);
  t.equal((await me('POST', '/revoke-others')).status, 401);
  t.equal((await me('DELETE', `/sess_${'A'.repeat(33)}`)).status, 401);
  t.equal(
    (await me('GET', '', { cookie: 'gk_acme=sess_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.bogus' })).status,
    401,
    'a forged cookie',
  );

  const cc = await request(g.url, '/t/acme/api/v1/oauth/token', {
    method: 'POST',
    headers: {
      host: DASH,
      authorization: `Basic ${Buffer.from(`billing-service:${SECRETS.billing}`).toString('base64')}`,
    },
    form: { grant_type: 'client_credentials' },
  });
  const clientToken = cc.json<{ access_token: string }>().access_token;
  t.equal(
    (await me('GET', '', { authorization: `Bearer ${clientToken}` })).status,
    403,
    'client_credentials: no user, no sessions of its own',
  );
  t.equal((await me('POST', '/revoke-others', { authorization: `Bearer ${clientToken}` })).status, 403);
});

t.test('DELETE /me/sessions/{id}: 204, the revoked browser is signed out; 404 for anything not mine', async (t) => {
  await clean('u-bob');
  const a = await signIn('bob', CHROME);
  const b = await signIn('bob', IPHONE);
  const alice = await signIn('alice');
  t.equal(await atApp(b.cookie), 200);

  const del = await me('DELETE', `/${b.sid}`, cookieOf(a));
  t.equal(del.status, 204);
  t.equal(del.body, '');
  t.equal(await atApp(b.cookie), 401, 'the revoked jar gets 401 at the app');
  const nav = await request(g.url, '/reports', { headers: { host: DASH, accept: 'text/html', cookie: b.cookie } });
  t.equal(nav.status, 302, 'and a browser is sent to login');
  t.equal(await atApp(a.cookie), 200, 'the caller is still signed in');
  t.same(
    (await mine(a)).map((s) => s.id),
    [a.sid],
  );
  const ev = g.logs
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((o) => o.audit === 'session_revoked' && o.sessionId === b.sid);
  t.match(ev, { tenant: 'acme', userId: 'u-bob', reason: 'self_revoked' }, 'audited');

  t.equal((await me('DELETE', `/${b.sid}`, cookieOf(a))).status, 404, 'again: 404');
  const foreign = await me('DELETE', `/${alice.sid}`, cookieOf(a));
  t.equal(foreign.status, 404, "another user's session id: 404");
  t.equal(await atApp(alice.cookie), 200, "alice's session is untouched");
  t.equal((await me('DELETE', `/sess_${'B'.repeat(33)}`, cookieOf(a))).status, 404, 'an unknown id: 404');
  t.equal((await me('DELETE', '/whatever', cookieOf(a))).status, 404, 'a malformed id: 404');

  const self = await me('DELETE', `/${a.sid}`, cookieOf(a));
  t.equal(self.status, 204, 'one may revoke the current session too');
  t.equal(await atApp(a.cookie), 401, 'and is then signed out');
});

t.test('POST /me/sessions/revoke-others: { revoked: N }, the caller survives', async (t) => {
  await clean('u-bob');
  const a = await signIn('bob', CHROME);
  const others = [await signIn('bob', FIREFOX), await signIn('bob', IPHONE), await signIn('bob')];
  const alice = await signIn('alice');

  const res = await me('POST', '/revoke-others', cookieOf(a));
  t.equal(res.status, 200);
  t.same(res.json(), { revoked: 3 });
  t.equal(await atApp(a.cookie), 200, 'the caller survives');
  for (const o of others) t.equal(await atApp(o.cookie), 401, `${o.sid} is dead`);
  t.same(await storeIds('u-bob'), [a.sid]);
  t.equal(await atApp(alice.cookie), 200, "another user's session is untouched");
  const again = await me('POST', '/revoke-others', cookieOf(a));
  t.same(again.json(), { revoked: 0 }, 'nothing left to revoke');
  const list = await mine(a);
  t.same(
    list.map((s) => [s.id, s.current]),
    [[a.sid, true]],
  );
});

t.test('CSRF: a cross-site Origin or a missing or wrong token → 403 and nothing changes', async (t) => {
  await clean('u-bob');
  const a = await signIn('bob', CHROME);
  const b = await signIn('bob', IPHONE);
  const alice = await signIn('alice');
  const bad: { name: string; headers: H }[] = [
    { name: 'no X-CSRF-Token', headers: { cookie: a.cookie } },
    { name: 'an empty X-CSRF-Token', headers: { cookie: a.cookie, 'x-csrf-token': '' } },
    { name: 'a wrong X-CSRF-Token', headers: { cookie: a.cookie, 'x-csrf-token': 'A'.repeat(a.csrf.length) } },
    { name: "the other session's token", headers: { cookie: a.cookie, 'x-csrf-token': b.csrf } },
    { name: "alice's token", headers: { cookie: a.cookie, 'x-csrf-token': alice.csrf } },
    { name: 'Origin https://evil.test', headers: { ...cookieOf(a), origin: 'https://evil.test' } },
    { name: 'Origin null', headers: { ...cookieOf(a), origin: 'null' } },
    {
      name: 'Origin of a look-alike host',
      headers: { ...cookieOf(a), origin: 'http://dashboard.acme.test.evil.test' },
    },
    { name: 'Sec-Fetch-Site: cross-site', headers: { ...cookieOf(a), 'sec-fetch-site': 'cross-site' } },
  ];
  for (const c of bad) {
    const del = await me('DELETE', `/${b.sid}`, c.headers);
    t.equal(del.status, 403, `DELETE with ${c.name}: 403`);
    const others = await me('POST', '/revoke-others', c.headers);
    t.equal(others.status, 403, `revoke-others with ${c.name}: 403`);
  }
  t.equal(await atApp(b.cookie), 200, 'the other session is alive');
  t.same(await storeIds('u-bob'), [a.sid, b.sid].sort(), 'nothing was revoked');

  const ok = await me('POST', '/revoke-others', {
    ...cookieOf(a),
    origin: 'http://gw.acme.test',
    'sec-fetch-site': 'same-origin',
  });
  t.equal(ok.status, 200, "the gateway's own origin with the token works");
  t.same(ok.json(), { revoked: 1 });
  t.equal(await atApp(b.cookie), 401);
});

// Last: it moves the clock.
t.test('revoke-others counts the sessions it ended, not the ones that had already expired', async (t) => {
  await clean('u-bob');
  await signIn('bob', FIREFOX);
  const old = await signIn('bob', FIREFOX);
  g.clock.advance(20 * 60_000);
  const a = await signIn('bob', CHROME);
  const b = await signIn('bob', IPHONE);
  g.clock.advance(15 * 60_000); // the first two are idle-expired (30m), a and b are not
  const list = await mine(a);
  t.same(list.map((s) => s.id).sort(), [a.sid, b.sid].sort(), 'two live sessions listed');
  t.equal(
    (await me('DELETE', `/${old.sid}`, cookieOf(a))).status,
    404,
    'DELETE of my expired session: 404 (expired sessions are gone)',
  );
  const res = await me('POST', '/revoke-others', cookieOf(a));
  t.equal(res.status, 200);
  t.same(res.json(), { revoked: 1 }, 'one other live session was revoked');
  t.equal(await atApp(b.cookie), 401);
  t.equal(await atApp(a.cookie), 200);
});
