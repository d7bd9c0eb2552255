// Concurrent-session limits (SPEC §4): evict-oldest and reject, atomic under 20 parallel
// logins, expired sessions not counted — on the memory store and on a real Redis.
import { createHash, randomBytes } from 'node:crypto';
import t, { type Test } from 'tap';
import { CookieJar, request, type Response } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { startRedis } from '../helpers/redis.js';
import { startTestGateway, PASSWORDS, SECRETS, type TestGateway } from '../helpers/gateway.js';
import { hasCode } from '../helpers/error-code.js';

const DASH = 'dashboard.acme.test';
const LIMIT_YAML = 'maxConcurrentSessions: 2\nconcurrentSessionPolicy: evict-oldest';

const redis = await startRedis();
t.teardown(() => redis.stop());
const memory = await startTestGateway({ settings: LIMIT_YAML });
t.teardown(memory.stop);
const onRedis = await startTestGateway({ settings: LIMIT_YAML, storeYaml: `store:\n  redis: ${redis.url}/0` });
t.teardown(onRedis.stop);

interface Signed {
  jar: CookieJar;
  cookie: string;
  sid: string;
  res: Response;
}

async function attempt(g: TestGateway): Promise<Signed> {
  const { jar, res } = await login(g.url, { username: 'bob', password: PASSWORDS.bob });
  const cookie = jar.get('gk_acme');
  return { jar, cookie: cookie ? `gk_acme=${cookie}` : '', sid: cookie?.split('.')[0] ?? '', res };
}

async function signIn(g: TestGateway): Promise<Signed> {
  const s = await attempt(g);
  if (s.res.status !== 302 || !s.cookie) throw new Error(`login: ${s.res.status}`);
  return s;
}

async function atApp(g: TestGateway, cookie: string): Promise<number> {
  return (await request(g.url, '/reports', { headers: { host: DASH, accept: 'application/json', cookie } })).status;
}

async function alive(g: TestGateway): Promise<string[]> {
  return (await g.gw.deps.store.listUserSessions('acme', 'u-bob', g.clock.now())).map((s) => s.id).sort();
}

async function adminToken(g: TestGateway): Promise<string> {
  const res = await request(g.url, '/t/acme/api/v1/oauth/token', {
    method: 'POST',
    headers: {
      host: DASH,
      authorization: `Basic ${Buffer.from(`billing-service:${SECRETS.billing}`).toString('base64')}`,
    },
    form: { grant_type: 'client_credentials' },
  });
  return res.json<{ access_token: string }>().access_token;
}

/** Tenant settings through the admin API (applied on this instance before it answers). */
async function setLimit(t: Test, g: TestGateway, max: number, policy: 'evict-oldest' | 'reject'): Promise<void> {
  const res = await request(g.url, '/t/acme/api/v1/configuration/auth-settings', {
    method: 'PATCH',
    headers: { host: DASH, authorization: `Bearer ${await adminToken(g)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ maxConcurrentSessions: max, concurrentSessionPolicy: policy }),
  });
  t.equal(res.status, 200, `settings: ${max} / ${policy}`);
}

/** The admin API's view: bob's sessions (id → lastActiveAt). */
async function adminList(g: TestGateway): Promise<Map<string, string>> {
  const res = await request(g.url, '/t/acme/api/v1/users/u-bob/sessions', {
    headers: { host: DASH, authorization: `Bearer ${await adminToken(g)}` },
  });
  return new Map(
    res.json<{ sessions: { id: string; lastActiveAt: string }[] }>().sessions.map((s) => [s.id, s.lastActiveAt]),
  );
}

const OTHER = `Basic ${Buffer.from(`other-client:${SECRETS.other}`).toString('base64')}`;

/** Authorization code + PKCE through other-client on a login session: a `kind: token` session. */
async function codeFlow(g: TestGateway, jar: CookieJar): Promise<{ access_token: string; refresh_token: string }> {
  const verifier = randomBytes(32).toString('base64url');
  const q = new URLSearchParams({
    client_id: 'other-client',
    redirect_uri: 'http://other.acme.test/cb',
    response_type: 'code',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  const auth = await request(g.url, `/t/acme/oauth/authorize?${q}`, {
    headers: { host: DASH, accept: 'text/html', cookie: jar.header() },
  });
  const code = new URL(String(auth.headers.location)).searchParams.get('code');
  if (!code) throw new Error(`authorize: ${auth.status} ${auth.headers.location}`);
  const res = await request(g.url, '/t/acme/api/v1/oauth/token', {
    method: 'POST',
    headers: { host: DASH, authorization: OTHER },
    form: {
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'http://other.acme.test/cb',
      code_verifier: verifier,
    },
  });
  if (res.status !== 200) throw new Error(`exchange: ${res.status} ${res.body}`);
  return res.json();
}

function audits(g: TestGateway, event: string): Record<string, unknown>[] {
  return g.logs.flatMap((l) => {
    const o = JSON.parse(l) as Record<string, unknown>;
    return o.audit === event ? [o] : [];
  });
}

for (const [storeName, g] of [
  ['memory', memory],
  ['redis', onRedis],
] as const) {
  t.test(`${storeName} store`, async (t) => {
    t.beforeEach(async () => {
      await g.gw.deps.store.deleteUserSessions('acme', 'u-bob');
    });

    await t.test('evict-oldest: the third login evicts the least recently active session', async (t) => {
      await setLimit(t, g, 2, 'evict-oldest');
      const first = await signIn(g);
      g.clock.advance(2 * 60_000);
      const second = await signIn(g);
      g.clock.advance(2 * 60_000);
      // Using the first session makes it the more recent one.
      t.equal(await atApp(g, first.cookie), 200);
      const usedAt = new Date(g.clock.now()).toISOString();
      // The activity write is not awaited by the request: read it back until the store has it.
      let seen = await adminList(g);
      for (let i = 0; i < 50 && seen.get(first.sid) !== usedAt; i++) seen = await adminList(g);
      t.equal(seen.get(first.sid), usedAt, 'the first session is now the most recently active');

      g.clock.advance(60_000);
      const third = await signIn(g);
      t.equal(third.res.status, 302, 'the third login succeeds');
      t.same(await alive(g), [first.sid, third.sid].sort(), 'the second (least recently active) was evicted');
      t.equal(await atApp(g, second.cookie), 401, 'the evicted cookie is dead');
      t.equal(await atApp(g, first.cookie), 200, 'the recently used one lives');
      t.equal(await atApp(g, third.cookie), 200);
      t.match(
        audits(g, 'session_revoked').find((e) => e.sessionId === second.sid),
        { userId: 'u-bob', reason: 'concurrent_limit' },
        'audited',
      );

      // Now make the third the most recent one, and log in once more.
      g.clock.advance(2 * 60_000);
      t.equal(await atApp(g, third.cookie), 200);
      const thirdUsedAt = new Date(g.clock.now()).toISOString();
      seen = await adminList(g);
      for (let i = 0; i < 50 && seen.get(third.sid) !== thirdUsedAt; i++) seen = await adminList(g);
      t.equal(seen.get(third.sid), thirdUsedAt);
      const fourth = await signIn(g);
      t.same(await alive(g), [third.sid, fourth.sid].sort(), 'then the first (now least recently active) goes');
      t.equal(await atApp(g, first.cookie), 401);
    });

    await t.test('reject: the third login gets 409 with the form and the reason', async (t) => {
      await setLimit(t, g, 2, 'reject');
      const a = await signIn(g);
      const b = await signIn(g);
      const failedBefore = audits(g, 'login_failed').length;
      const third = await attempt(g);
      t.equal(third.res.status, 409);
      hasCode(t, third.res, 'ERR_GK_SESSION_LIMIT');
      t.match(third.res.headers['content-type'], /text\/html/);
      t.match(third.res.body, /name="csrf_token"/, 'the login form again');
      t.match(third.res.body, /name="password"/);
      t.match(third.res.body, /maximum number of concurrent sessions has been reached/, 'with the reason');
      t.match(third.res.body, /value="bob"/, 'the username kept');
      t.equal(third.cookie, '', 'no session cookie');
      t.same(await alive(g), [a.sid, b.sid].sort(), 'the existing sessions are untouched');
      t.equal(await atApp(g, a.cookie), 200);
      t.equal(await atApp(g, b.cookie), 200);
      t.match(
        audits(g, 'login_failed').slice(failedBefore),
        [{ userId: 'u-bob', reason: 'concurrent_session_limit' }],
        'audited',
      );
    });

    await t.test('reject: expired sessions stop counting', async (t) => {
      await setLimit(t, g, 2, 'reject');
      const a = await signIn(g);
      await signIn(g);
      t.equal((await attempt(g)).res.status, 409, 'full');
      g.clock.advance(30 * 60_000 + 1_000); // past idleTimeout (30m)
      t.same(await alive(g), [], 'both idle-expired');
      const fresh = await attempt(g);
      t.equal(fresh.res.status, 302, 'a new login is not refused');
      t.equal(await atApp(g, fresh.cookie), 200);
      t.equal(await atApp(g, a.cookie), 401, 'the expired one is dead');
      t.equal((await attempt(g)).res.status, 302, 'and a second one fits too');
      t.equal((await attempt(g)).res.status, 409, 'the third is refused again');
    });

    await t.test('20 parallel logins with limit 3 (evict-oldest) never leave more than 3 alive', async (t) => {
      await setLimit(t, g, 3, 'evict-oldest');
      const results = await Promise.all(Array.from({ length: 20 }, () => attempt(g)));
      t.same(
        results.map((r) => r.res.status),
        Array(20).fill(302),
        'every login succeeds (older ones are evicted)',
      );
      const ids = await alive(g);
      t.equal(ids.length, 3, 'exactly 3 alive in the store');
      const working = [];
      for (const r of results) if ((await atApp(g, r.cookie)) === 200) working.push(r.sid);
      t.same(working.sort(), ids, 'and exactly those cookies work');
      t.equal((await adminList(g)).size, 3, 'the admin API agrees');
    });

    await t.test('20 parallel logins with limit 3 (reject): exactly 3 succeed', async (t) => {
      await setLimit(t, g, 3, 'reject');
      const results = await Promise.all(Array.from({ length: 20 }, () => attempt(g)));
      const statuses = results.map((r) => r.res.status);
      t.equal(statuses.filter((s) => s === 302).length, 3, '3 logins succeed');
      t.equal(statuses.filter((s) => s === 409).length, 17, '17 are refused');
      const ids = await alive(g);
      t.equal(ids.length, 3, '3 alive');
      t.same(
        results
          .filter((r) => r.res.status === 302)
          .map((r) => r.sid)
          .sort(),
        ids,
        'the ones that got a cookie',
      );
    });

    await t.test('sessions of the authorization-code grant do not take up login slots', async (t) => {
      // exchangeCode creates token sessions with no limit ("the limit is for interactive
      // logins"); they must then not count against, nor be evicted by, browser logins.
      await setLimit(t, g, 2, 'reject');
      const s1 = await signIn(g);
      await codeFlow(g, s1.jar);
      const s2 = await attempt(g);
      t.equal(s2.res.status, 302, 'reject: a second browser login next to one browser + one token session is allowed');

      await g.gw.deps.store.deleteUserSessions('acme', 'u-bob');
      await setLimit(t, g, 2, 'evict-oldest');
      const b1 = await signIn(g);
      g.clock.advance(2 * 60_000);
      const app = await codeFlow(g, b1.jar);
      const appSid = app.refresh_token.split('.')[0]!;
      g.clock.advance(2 * 60_000);
      const b2 = await signIn(g);
      // Read from the store: a request with b1's cookie would count as activity.
      const afterB2 = await alive(g);
      t.ok(
        afterB2.includes(b1.sid) && afterB2.includes(appSid),
        'evict-oldest: one browser session + one token session, and the second browser login evicts neither',
      );
      g.clock.advance(2 * 60_000);
      const b3 = await signIn(g);
      const afterB3 = await alive(g);
      t.ok(afterB3.includes(b2.sid) && afterB3.includes(b3.sid), 'the two most recent browser sessions are alive');
      t.ok(afterB3.includes(appSid), "the third browser login evicts a browser session, never the app's token session");
      const r = await request(g.url, '/t/acme/api/v1/oauth/token', {
        method: 'POST',
        headers: { host: DASH, authorization: OTHER },
        form: { grant_type: 'refresh_token', refresh_token: app.refresh_token },
      });
      t.equal(r.status, 200, "so the app's refresh token still works");
      t.equal(await atApp(g, b2.cookie), 200);
      t.equal(await atApp(g, b3.cookie), 200);
    });

    await t.test('unlimited (0): nothing is evicted', async (t) => {
      await setLimit(t, g, 0, 'reject');
      const results = await Promise.all(Array.from({ length: 6 }, () => attempt(g)));
      t.same(
        results.map((r) => r.res.status),
        Array(6).fill(302),
      );
      t.equal((await alive(g)).length, 6);
    });
  });
}
