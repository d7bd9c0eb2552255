// Revoking a session closes the WebSocket connections it opened (SPEC §4), on every
// instance: by logout, by the admin's revoke-all, by self-service revoke, by an access
// token's session; so does its absolute expiry, while an open socket counts as activity
// (SPEC §3.5). Two gateways share one Redis; each close is awaited as the socket's `close`
// event, bounded by a subtest timeout.
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import t from 'tap';
import WebSocket from 'ws';
import { CookieJar, request } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { startRedis } from '../helpers/redis.js';
import { startTestGateway, PASSWORDS, SECRETS, type TestGateway } from '../helpers/gateway.js';

const DASH = 'dashboard.acme.test';
const WITHIN = { timeout: 1000 };

const redis = await startRedis();
t.teardown(() => redis.stop());
const storeYaml = `store:\n  redis: ${redis.url}/0`;
const a = await startTestGateway({ storeYaml });
t.teardown(a.stop);
const b = await startTestGateway({ storeYaml });
t.teardown(b.stop);

interface Signed {
  cookie: string;
  csrf: string;
  sid: string;
}

async function signIn(user: 'alice' | 'bob' = 'bob'): Promise<Signed> {
  const { jar, res } = await login(a.url, { username: user, password: PASSWORDS[user] });
  const v = jar.get('gk_acme');
  if (res.status !== 302 || !v) throw new Error(`login: ${res.status}`);
  const cookie = `gk_acme=${v}`;
  const s = await request(a.url, '/t/acme/api/v1/session', { headers: { host: DASH, cookie } });
  return { cookie, csrf: s.json<{ csrfToken: string }>().csrfToken, sid: v.split('.')[0]! };
}

interface Live {
  ws: WebSocket;
  closed: Promise<unknown>;
}

/** Opens a socket through the gateway and proves the upstream echoes on it. */
async function openWs(g: TestGateway, headers: Record<string, string>): Promise<Live> {
  const ws = new WebSocket(`${g.url.replace('http', 'ws')}/socket`, { headers: { host: DASH, ...headers } });
  const closed = once(ws, 'close');
  const [hello] = await Promise.race([
    once(ws, 'message'),
    once(ws, 'unexpected-response').then((args) => {
      throw new Error(`upgrade refused: ${(args[1] as { statusCode?: number }).statusCode}`);
    }),
  ]);
  if (!JSON.parse(String(hello)).hello) throw new Error('no identity at the upstream');
  const echoed = once(ws, 'message');
  ws.send('ping');
  const [m] = await echoed;
  if (String(m) !== 'ping') throw new Error('no echo');
  return { ws, closed };
}

/** The upgrade status for these credentials (101 = it would open). */
/** `101`, or a refusal's status and error code (`401 ERR_GK_UNAUTHENTICATED`). */
function upgradeStatus(g: TestGateway, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${g.url.replace('http', 'ws')}/socket`, { headers: { host: DASH, ...headers } });
    ws.once('open', () => {
      ws.close();
      resolve('101');
    });
    ws.once('unexpected-response', (_req, res) =>
      resolve(`${res.statusCode ?? 0} ${String(res.headers['x-auth-error-code'])}`),
    );
    ws.once('error', reject);
  });
}

async function adminToken(): Promise<string> {
  const res = await request(a.url, '/t/acme/api/v1/oauth/token', {
    method: 'POST',
    headers: {
      host: DASH,
      authorization: `Basic ${Buffer.from(`billing-service:${SECRETS.billing}`).toString('base64')}`,
    },
    form: { grant_type: 'client_credentials' },
  });
  return res.json<{ access_token: string }>().access_token;
}

/** Each case starts with no sessions of bob (so revoke-all counts are exact). */
async function fresh(): Promise<void> {
  await a.gw.deps.store.deleteUserSessions('acme', 'u-bob');
}

t.test('logout closes the socket its session opened', async (t) => {
  await fresh();
  const s = await signIn();
  const live = await openWs(a, { cookie: s.cookie });
  await t.test('closed within a second of the logout', WITHIN, async (t) => {
    const res = await request(a.url, '/t/acme/logout', {
      method: 'POST',
      headers: { host: DASH, cookie: s.cookie, 'x-csrf-token': s.csrf },
    });
    t.equal(res.status, 303);
    await live.closed;
    t.pass('closed');
  });
  t.equal(
    await upgradeStatus(a, { cookie: s.cookie }),
    '401 ERR_GK_UNAUTHENTICATED',
    'a new upgrade with that cookie is refused',
  );
});

t.test("the admin's revoke-all closes every socket of the user, and only those", async (t) => {
  await fresh();
  const s1 = await signIn();
  const s2 = await signIn();
  const alice = await signIn('alice');
  const token = await adminToken();
  const one = await openWs(a, { cookie: s1.cookie });
  const two = await openWs(a, { cookie: s2.cookie });
  const other = await openWs(a, { cookie: alice.cookie });
  await t.test('closed within a second of revoke-all', WITHIN, async (t) => {
    const res = await request(a.url, '/t/acme/api/v1/users/u-bob/sessions/revoke-all', {
      method: 'POST',
      headers: { host: DASH, authorization: `Bearer ${token}` },
    });
    t.same(res.json(), { revoked: 2 });
    await Promise.all([one.closed, two.closed]);
    t.pass('both closed');
  });
  t.equal(other.ws.readyState, WebSocket.OPEN, "alice's socket stays open");
  const echoed = once(other.ws, 'message');
  other.ws.send('still here');
  t.equal(String((await echoed)[0]), 'still here');
  other.ws.close();
});

t.test('self-service revoke of another of my sessions closes its socket', async (t) => {
  await fresh();
  const here = await signIn();
  const there = await signIn();
  const mine = await openWs(a, { cookie: here.cookie });
  const theirs = await openWs(a, { cookie: there.cookie });
  await t.test('closed within a second of DELETE /me/sessions/{id}', WITHIN, async (t) => {
    const res = await request(a.url, `/t/acme/api/v1/me/sessions/${there.sid}`, {
      method: 'DELETE',
      headers: { host: DASH, cookie: here.cookie, 'x-csrf-token': here.csrf },
    });
    t.equal(res.status, 204);
    await theirs.closed;
    t.pass('closed');
  });
  t.equal(mine.ws.readyState, WebSocket.OPEN, "the caller's own socket stays open");
  mine.ws.close();
});

t.test('a socket opened with a bearer token closes when its session is revoked', async (t) => {
  await fresh();
  const s = await signIn();
  const st = await request(a.url, '/t/acme/api/v1/session/token', {
    method: 'POST',
    headers: { host: DASH, cookie: s.cookie, 'x-csrf-token': s.csrf },
  });
  const at = st.json<{ access_token: string }>().access_token;
  const live = await openWs(a, { authorization: `Bearer ${at}` });
  const token = await adminToken();
  await t.test('closed within a second of revoking the session', WITHIN, async (t) => {
    const res = await request(a.url, `/t/acme/api/v1/users/u-bob/sessions/${s.sid}`, {
      method: 'DELETE',
      headers: { host: DASH, authorization: `Bearer ${token}` },
    });
    t.equal(res.status, 204);
    await live.closed;
    t.pass('closed');
  });
});

t.test('across instances: the socket is open on B, revoke-all is made on A', async (t) => {
  await fresh();
  const s = await signIn();
  const onB = await openWs(b, { cookie: s.cookie });
  const alsoOnA = await openWs(a, { cookie: s.cookie });
  const token = await adminToken();
  await t.test("B's socket closes within a second", WITHIN, async (t) => {
    const res = await request(a.url, '/t/acme/api/v1/users/u-bob/sessions/revoke-all', {
      method: 'POST',
      headers: { host: DASH, authorization: `Bearer ${token}` },
    });
    t.same(res.json(), { revoked: 1 });
    await Promise.all([onB.closed, alsoOnA.closed]);
    t.pass('closed on both instances');
  });
  t.equal(await upgradeStatus(b, { cookie: s.cookie }), '401 ERR_GK_UNAUTHENTICATED', 'B refuses a new upgrade');
});

t.test('across instances: logout on A closes the socket on B', async (t) => {
  await fresh();
  const s = await signIn();
  const onB = await openWs(b, { cookie: s.cookie });
  await t.test("B's socket closes within a second", WITHIN, async (t) => {
    const res = await request(a.url, '/t/acme/logout', {
      method: 'POST',
      headers: { host: DASH, cookie: s.cookie, 'x-csrf-token': s.csrf },
    });
    t.equal(res.status, 303);
    await onB.closed;
    t.pass('closed');
  });
});

t.test('RFC 7009 revocation of an access token closes the socket it opened', async (t) => {
  await fresh();
  const s = await signIn();
  const jar = new CookieJar();
  jar.cookies.set('gk_acme', s.cookie.slice('gk_acme='.length));
  const verifier = randomBytes(32).toString('base64url');
  const q = new URLSearchParams({
    client_id: 'other-client',
    redirect_uri: 'http://other.acme.test/cb',
    response_type: 'code',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  const auth = await request(a.url, `/t/acme/oauth/authorize?${q}`, {
    headers: { host: DASH, accept: 'text/html', cookie: jar.header() },
  });
  const code = new URL(String(auth.headers.location)).searchParams.get('code')!;
  const other = `Basic ${Buffer.from(`other-client:${SECRETS.other}`).toString('base64')}`;
  const tokens = (
    await request(a.url, '/t/acme/api/v1/oauth/token', {
      method: 'POST',
      headers: { host: DASH, authorization: other },
      form: {
        grant_type: 'authorization_code',
        code,
        redirect_uri: 'http://other.acme.test/cb',
        code_verifier: verifier,
      },
    })
  ).json<{ access_token: string }>();
  const byToken = await openWs(b, { authorization: `Bearer ${tokens.access_token}` });
  const byCookie = await openWs(b, { cookie: s.cookie });
  await t.test("the token's socket on B closes within a second of /oauth/revoke on A", WITHIN, async (t) => {
    const res = await request(a.url, '/t/acme/api/v1/oauth/revoke', {
      method: 'POST',
      headers: { host: DASH, authorization: other },
      form: { token: tokens.access_token },
    });
    t.equal(res.status, 200);
    await byToken.closed;
    t.pass('closed');
  });
  t.equal(
    byCookie.ws.readyState,
    WebSocket.OPEN,
    "the login session's own socket stays open (only that token was revoked)",
  );
  byCookie.ws.close();
});

t.test('a session evicted by the concurrent-session limit loses its socket', async (t) => {
  await fresh();
  const token = await adminToken();
  const patch = (body: unknown) =>
    request(a.url, '/t/acme/api/v1/configuration/auth-settings', {
      method: 'PATCH',
      headers: { host: DASH, authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  t.equal((await patch({ maxConcurrentSessions: 1, concurrentSessionPolicy: 'evict-oldest' })).status, 200);
  t.teardown(async () => {
    await patch({ maxConcurrentSessions: 0 });
  });
  const s = await signIn();
  const live = await openWs(b, { cookie: s.cookie });
  await t.test('closed within a second of the evicting login', WITHIN, async (t) => {
    await signIn();
    await live.closed;
    t.pass('closed');
  });
});

// Expiry (SPEC §3.5): an open socket is activity of its session, but absolute expiry closes
// it. The instances' clocks are ManualClocks; the sweep runs on a real 1-second timer and
// reads them, so a case advances the clock and awaits the `close` event (bounded).
const SWEEP = { timeout: 3000 };
const DAY = 24 * 3600_000;
const atApp = async (g: TestGateway, cookie: string): Promise<number> =>
  (await request(g.url, '/reports', { headers: { host: DASH, accept: 'application/json', cookie } })).status;
/** Both instances' clocks move together, as real clocks would. */
const advance = (ms: number): void => {
  for (const g of [a, b]) g.clock.advance(ms);
};

t.test('an open socket keeps its session from idling out, and stops doing so once closed', async (t) => {
  await fresh();
  const s = await signIn();
  const live = await openWs(a, { cookie: s.cookie });
  advance(20 * 60_000);
  await a.gw.deps.live.sweep(); // what the timer does every second: the socket is activity
  advance(20 * 60_000); // 40 min since the last request, idleTimeout 30m
  t.equal(await atApp(a, s.cookie), 200, 'the session is alive: the socket counted as activity');
  t.equal(live.ws.readyState, WebSocket.OPEN, 'the socket stays open');
  live.ws.close();
  await live.closed;
  advance(31 * 60_000);
  t.equal(await atApp(a, s.cookie), 401, 'without a socket (nor requests) the idle timeout applies again');
});

t.test("absolute expiry closes the session's sockets on every instance", async (t) => {
  await fresh();
  const s = await signIn();
  const onA = await openWs(a, { cookie: s.cookie });
  const onB = await openWs(b, { cookie: s.cookie });
  // 23h40m in steps shorter than idleTimeout, each followed by the sweep a second-by-second
  // timer would have run: the sockets keep the session from idling out.
  for (let i = 0; i < 71; i++) {
    advance(20 * 60_000);
    await Promise.all([a.gw.deps.live.sweep(), b.gw.deps.live.sweep()]);
  }
  t.equal(onA.ws.readyState, WebSocket.OPEN, 'open 20 minutes before the absolute expiry (sessionLifetime 24h)');
  t.equal(onB.ws.readyState, WebSocket.OPEN);
  await t.test('both close by the timer-driven sweep once the clocks pass sessionLifetime', SWEEP, async (t) => {
    advance(21 * 60_000);
    await Promise.all([onA.closed, onB.closed]);
    t.pass('closed on A and on B');
  });
  t.equal(await upgradeStatus(a, { cookie: s.cookie }), '401 ERR_GK_UNAUTHENTICATED', 'a new upgrade is refused');
  const audited = a.logs.concat(b.logs).filter((l) => l.includes('"audit":"session_expired"') && l.includes(s.sid));
  t.equal(audited.length, 1, 'audited once, although both instances noticed');
  t.match(audited[0], /"reason":"absolute"/);
});

t.test('expiry noticed by a request on A closes the socket on B (announced on the bus)', async (t) => {
  await fresh();
  const s = await signIn();
  const onB = await openWs(b, { cookie: s.cookie });
  await t.test("B's socket closes, although B's own clock has not reached the expiry", WITHIN, async (t) => {
    a.clock.advance(DAY + 60_000);
    t.equal(await atApp(a, s.cookie), 401, 'A finds the session expired');
    await onB.closed;
    t.pass('closed on B');
  });
  b.clock.advance(DAY + 60_000); // the instances' clocks agree again
});
