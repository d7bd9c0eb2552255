// TOTP on the Redis store (SPEC §13): enrolment, the second step and a replayed code refused,
// with the factor, the pending sign-in and the used step kept in Redis; and two gateway
// instances on one Redis: a sign-in started on A finishes on B, a code used on one instance
// is refused on the other, and one code raced on both makes one session.
import t from 'tap';
import { startTestGateway, PASSWORDS, type TestGateway } from '../helpers/gateway.js';
import { CookieJar, request, type Response } from '../helpers/http.js';
import { formToken, login } from '../helpers/login.js';
import { codeAt, field } from '../helpers/mfa.js';
import { redisCli, startRedis } from '../helpers/redis.js';

const DASH = 'dashboard.acme.test';
const MIN = 60_000;

const redis = await startRedis();
t.teardown(() => redis.stop());
const storeYaml = `store:\n  redis: ${redis.url}/0`;
const A = await startTestGateway({ storeYaml });
t.teardown(A.stop);
const B = await startTestGateway({ storeYaml });
t.teardown(B.stop);

const page = (jar: CookieJar) => ({
  host: DASH,
  accept: 'text/html',
  cookie: jar.header(),
  origin: `http://${DASH}`,
});

async function get(gw: TestGateway, jar: CookieJar, path: string): Promise<Response> {
  const res = await request(gw.url, path, { headers: page(jar) });
  jar.take(res);
  return res;
}

async function post(gw: TestGateway, jar: CookieJar, path: string, form: Record<string, string>): Promise<Response> {
  const res = await request(gw.url, path, { method: 'POST', form, headers: page(jar) });
  jar.take(res);
  return res;
}

/** Both instances' clocks at one time (they share the store: its TTLs and TOTP steps). */
function advance(ms: number): void {
  A.clock.advance(ms);
  B.clock.advance(ms);
}

/** The first step on `gw`; the second-step page fetched on `stepOn` (default the same). */
async function pendingSignIn(gw: TestGateway, stepOn = gw): Promise<{ jar: CookieJar; csrf: string }> {
  const { jar, res } = await login(gw.url, { username: 'bob', password: PASSWORDS.bob });
  if (res.status !== 302 || !/^\/t\/acme\/login\/mfa\?/.test(String(res.headers.location)))
    throw new Error(`first step: ${res.status} ${res.headers.location}`);
  const step = await get(stepOn, jar, String(res.headers.location));
  if (step.status !== 200) throw new Error(`second step page: ${step.status}`);
  return { jar, csrf: formToken(step.body) };
}

const bobSessions = async () => (await A.gw.deps.store.listUserSessions('acme', 'u-bob', A.clock.now())).length;
let secret = '';

t.test('TOTP enrolment and the second step on Redis; a replayed code is refused', async (t) => {
  const { jar } = await login(A.url, { username: 'bob', password: PASSWORDS.bob });
  t.ok(jar.get('gk_acme'));
  const setup = await get(A, jar, '/t/acme/account/security/totp');
  t.equal(setup.status, 200);
  secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(setup.body)![1]!.replace(/ /g, '');
  const enrolCode = codeAt(secret, A.clock.now());
  const enrolled = await post(A, jar, '/t/acme/account/security/totp', {
    csrf_token: field(setup.body, 'csrf_token'),
    pending: field(setup.body, 'pending'),
    code: enrolCode,
  });
  t.equal(enrolled.status, 200, 'recovery codes shown');
  const onB = await B.gw.deps.factors.listFactors('acme', 'u-bob');
  t.same(
    onB.map((f) => f.kind),
    ['totp'],
    'the factor is in Redis (B sees it)',
  );
  const stored = onB[0]!;
  t.notOk(JSON.stringify(stored).includes(secret), 'the secret is stored sealed');
  const keys = (await redisCli(redis.port, '--scan', '--pattern', '*')).split('\n').filter(Boolean);
  t.ok(keys.length > 0, `${keys.length} keys in Redis, none holding the secret in clear`);
  for (const k of keys) {
    const type = (await redisCli(redis.port, 'type', k)).trim();
    const dump =
      type === 'hash'
        ? await redisCli(redis.port, 'hgetall', k)
        : type === 'string'
          ? await redisCli(redis.port, 'get', k)
          : type === 'set'
            ? await redisCli(redis.port, 'smembers', k)
            : '';
    if (dump.includes(secret)) t.fail(`the secret in clear under ${k}`);
  }

  // The confirming code cannot sign in.
  const first = await pendingSignIn(A);
  t.notOk(first.jar.get('gk_acme'), 'no session before the second step');
  const reuse = await post(A, first.jar, '/t/acme/login/mfa', { csrf_token: first.csrf, code: enrolCode });
  t.equal(reuse.status, 401, 'the enrolment code is used');
  advance(MIN);
  const code = codeAt(secret, A.clock.now());
  const ok = await post(A, first.jar, '/t/acme/login/mfa', { csrf_token: formToken(reuse.body), code });
  t.equal(ok.status, 302);
  t.ok(first.jar.get('gk_acme'), 'signed in with two factors');
  const session = await request(A.url, '/t/acme/api/v1/session', { headers: page(first.jar) });
  t.same(session.json<{ session: { amr: string[] } }>().session.amr, ['pwd', 'otp', 'mfa']);

  const again = await pendingSignIn(A);
  const replay = await post(A, again.jar, '/t/acme/login/mfa', { csrf_token: again.csrf, code });
  t.equal(replay.status, 401, 'the same code again: refused');
  t.equal(replay.headers['x-auth-error-code'], 'ERR_GK_MFA_FAILED');
  t.notOk(again.jar.get('gk_acme'));
  const older = await post(A, again.jar, '/t/acme/login/mfa', {
    csrf_token: formToken(replay.body),
    code: codeAt(secret, A.clock.now() - 30_000),
  });
  t.equal(older.status, 401, 'an older step than the one used: refused');
});

t.test('two instances on one Redis: a code used on one is refused on the other', async (t) => {
  advance(MIN);
  // Started on A, finished on B: the pending sign-in is in Redis.
  const cross = await pendingSignIn(A, B);
  const code = codeAt(secret, B.clock.now());
  const onB = await post(B, cross.jar, '/t/acme/login/mfa', { csrf_token: cross.csrf, code });
  t.equal(onB.status, 302, 'a sign-in started on A finishes on B');
  t.ok(cross.jar.get('gk_acme'));
  t.equal(
    (await request(A.url, '/mfa-any/x', { headers: { ...page(cross.jar), accept: 'application/json' } })).status,
    200,
    'the session passes an mfa route on A',
  );
  const onA = await pendingSignIn(A);
  const refused = await post(A, onA.jar, '/t/acme/login/mfa', { csrf_token: onA.csrf, code });
  t.equal(refused.status, 401, 'the code used on B is refused on A');
  t.notOk(onA.jar.get('gk_acme'));

  // One new code raced on both instances, three sign-ins each: one session.
  advance(MIN);
  const raced = codeAt(secret, A.clock.now());
  const pendings = [];
  for (const gw of [A, B, A, B, A, B]) pendings.push({ gw, ...(await pendingSignIn(gw)) });
  const before = await bobSessions();
  const results = await Promise.all(
    pendings.map((p) => post(p.gw, p.jar, '/t/acme/login/mfa', { csrf_token: p.csrf, code: raced })),
  );
  t.same(results.map((r) => r.status).sort(), [302, 401, 401, 401, 401, 401], 'one of six passes');
  t.equal(await bobSessions(), before + 1, 'one new session');
});

t.test('a pending sign-in taken on one instance is gone on the other', async (t) => {
  advance(MIN);
  const p = await pendingSignIn(A);
  const cookie = p.jar.header();
  const code = codeAt(secret, A.clock.now());
  const done = await post(A, p.jar, '/t/acme/login/mfa', { csrf_token: p.csrf, code });
  t.equal(done.status, 302);
  // The same pending cookie posted again on B (with a fresh code): the pending sign-in is used.
  advance(MIN);
  const replay = await request(B.url, '/t/acme/login/mfa', {
    method: 'POST',
    form: { csrf_token: p.csrf, code: codeAt(secret, B.clock.now()) },
    headers: { ...page(new CookieJar()), cookie },
  });
  t.equal(replay.status, 303, 'back to the login');
  t.match(replay.headers.location, /^\/t\/acme\/login\?/);
  t.notOk(
    replay.setCookies.some((c) => /^gk_acme=[^;]/.test(c)),
    'no session cookie',
  );
});
