// Login throttling (SPEC §2 loginThrottle, §5): per username and per client IP, 429 with
// Retry-After, the same answers for an unknown user as for a wrong password, temporary.
// Client addresses are set with X-Forwarded-For (the test client is a trusted proxy), so
// each case has addresses of its own.
import t from 'tap';
import { CookieJar, request, type Response } from '../helpers/http.js';
import { formToken, login } from '../helpers/login.js';
import { startTestGateway, PASSWORDS } from '../helpers/gateway.js';
import { hasCode } from '../helpers/error-code.js';

const MIN = 60_000;
const g = await startTestGateway({ settings: 'loginThrottle: { maxFailures: 3, window: 15m, lockout: 30m }' });
t.teardown(g.stop);

async function attempt(username: string, password: string, ip: string): Promise<Response> {
  const { res } = await login(g.url, { username, password, headers: { 'x-forwarded-for': ip } });
  return res;
}

function message(res: Response): string | null {
  return /<p class="error"[^>]*>([^<]*)<\/p>/.exec(res.body)?.[1] ?? null;
}

/** The page with its per-request parts (the form nonce, the echoed username) blanked out. */
function shape(res: Response, username: string): string {
  return res.body.replaceAll(formToken(res.body), 'NONCE').replaceAll(`value="${username}"`, 'value="USER"');
}

function audits(event: string): Record<string, unknown>[] {
  return g.logs.flatMap((l) => {
    const o = JSON.parse(l) as Record<string, unknown>;
    return o.audit === event ? [o] : [];
  });
}

const LOCKED = 'Too many failed sign-in attempts. Try again in 30 minutes.';
const GENERIC = 'Invalid username or password.';

t.test('per username: 3 wrong passwords lock it, even the right password then gets 429', async (t) => {
  // Three addresses with one failure each: only the username's counter reaches 3.
  const fails = [
    await attempt('bob', 'wrong-1', '198.51.100.1'),
    await attempt('bob', 'wrong-2', '198.51.100.2'),
    await attempt('bob', 'wrong-3', '198.51.100.3'),
  ];
  for (const f of fails) {
    t.equal(f.status, 401, 'a wrong password: 401');
    hasCode(t, f, 'ERR_GK_LOGIN_FAILED');
    t.equal(message(f), GENERIC);
    t.equal(f.headers['retry-after'], undefined, 'no Retry-After yet');
  }
  const locked = await attempt('bob', PASSWORDS.bob, '198.51.100.4');
  t.equal(locked.status, 429, 'the right password from a fresh address: 429');
  hasCode(t, locked, 'ERR_GK_THROTTLED');
  t.equal(locked.headers['retry-after'], String(30 * 60), 'Retry-After: the lockout in seconds');
  t.equal(message(locked), LOCKED, 'the lockout message');
  t.match(locked.body, /name="csrf_token"/, 'with the form');
  t.equal(locked.headers['cache-control'], 'no-store');
  t.notOk(
    locked.setCookies.some((c) => c.startsWith('gk_acme=') && !c.startsWith('gk_acme=;')),
    'no session cookie',
  );
  t.match(audits('login_failed').at(-1), { userId: 'u-bob', reason: 'locked_out', ip: '198.51.100.4' }, 'audited');
  t.equal(
    (await attempt('BOB', PASSWORDS.bob, '198.51.100.5')).status,
    429,
    'the username is compared case-insensitively',
  );
  t.equal(
    (await attempt('alice', PASSWORDS.alice, '198.51.100.4')).status,
    302,
    'another user from the same address is not affected',
  );

  // Temporary: 10 minutes later it is still locked with less to wait; 31 minutes after, it works.
  g.clock.advance(10 * MIN);
  const later = await attempt('bob', PASSWORDS.bob, '198.51.100.6');
  t.equal(later.status, 429);
  hasCode(t, later, 'ERR_GK_THROTTLED');
  t.equal(later.headers['retry-after'], String(20 * 60), 'Retry-After counts down');
  t.equal(message(later), 'Too many failed sign-in attempts. Try again in 20 minutes.');
  g.clock.advance(21 * MIN);
  const ok = await attempt('bob', PASSWORDS.bob, '198.51.100.7');
  t.equal(ok.status, 302, 'after 31 minutes the login works');
});

t.test('an unknown username gets exactly the same answers (non-enumeration)', async (t) => {
  const run = async (username: string, password: (i: number) => string, net: string): Promise<Response[]> => {
    const out: Response[] = [];
    for (let i = 1; i <= 5; i++) out.push(await attempt(username, password(i), `${net}.${i}`));
    return out;
  };
  // Known user: three wrong passwords, then the right one (locked), then a wrong one (locked).
  const known = await run('alice', (i) => (i === 4 ? PASSWORDS.alice : `wrong-${i}`), '203.0.113');
  const unknown = await run('mallory', (i) => `guess-${i}`, '192.0.2');
  t.same(
    known.map((r) => r.status),
    [401, 401, 401, 429, 429],
    'known user: statuses',
  );
  t.same(
    unknown.map((r) => r.status),
    [401, 401, 401, 429, 429],
    'unknown user: the same statuses',
  );
  t.same(unknown.map(message), known.map(message), 'the same messages');
  t.same(
    unknown.map((r) => r.headers['retry-after']),
    known.map((r) => r.headers['retry-after']),
    'the same Retry-After',
  );
  for (let i = 0; i < 5; i++) {
    t.equal(shape(unknown[i]!, 'mallory'), shape(known[i]!, 'alice'), `attempt ${i + 1}: the same page`);
    t.same(
      Object.keys(unknown[i]!.headers).sort(),
      Object.keys(known[i]!.headers).sort(),
      `attempt ${i + 1}: the same headers`,
    );
  }
  const reasons = audits('login_failed').filter((e) => e.ip === '192.0.2.1' || e.ip === '192.0.2.4');
  t.match(
    reasons,
    [
      { reason: 'unknown_user', userId: null },
      { reason: 'locked_out', userId: null },
    ],
    'the audit (not the client) tells them apart',
  );
  g.clock.advance(31 * MIN); // let alice go
});

t.test('per IP: failures spread over many usernames from one address lock that address', async (t) => {
  const ip = '198.51.100.99';
  for (const name of ['carol', 'dave', 'erin']) t.equal((await attempt(name, 'x', ip)).status, 401, `${name}: 401`);
  const locked = await attempt('alice', PASSWORDS.alice, ip);
  t.equal(locked.status, 429, 'then even a valid login from that address: 429');
  hasCode(t, locked, 'ERR_GK_THROTTLED');
  t.equal(locked.headers['retry-after'], String(30 * 60));
  t.equal(message(locked), LOCKED);
  t.equal((await attempt('alice', PASSWORDS.alice, '198.51.100.98')).status, 302, 'alice from another address: fine');
  g.clock.advance(31 * MIN);
  t.equal((await attempt('alice', PASSWORDS.alice, ip)).status, 302, 'the address lock is temporary too');
});

t.test('a success resets the username counter (not the address counter)', async (t) => {
  t.equal((await attempt('bob', 'wrong', '10.1.0.1')).status, 401);
  t.equal((await attempt('bob', 'wrong', '10.1.0.1')).status, 401);
  t.equal((await attempt('bob', PASSWORDS.bob, '10.1.0.2')).status, 302, 'a success after 2 failures');
  t.equal((await attempt('bob', 'wrong', '10.1.0.3')).status, 401);
  t.equal((await attempt('bob', 'wrong', '10.1.0.3')).status, 401);
  t.equal(
    (await attempt('bob', PASSWORDS.bob, '10.1.0.4')).status,
    302,
    'two more failures: not locked (the count started again)',
  );
  // The first address still has its 2 failures: one more locks it.
  t.equal((await attempt('nobody', 'x', '10.1.0.1')).status, 401);
  t.equal(
    (await attempt('alice', PASSWORDS.alice, '10.1.0.1')).status,
    429,
    'the address counter was not reset by the success',
  );
});

t.test('the window: failures older than the window do not add up', async (t) => {
  t.equal((await attempt('alice', 'wrong', '10.2.0.1')).status, 401);
  t.equal((await attempt('alice', 'wrong', '10.2.0.2')).status, 401);
  g.clock.advance(16 * MIN);
  t.equal((await attempt('alice', 'wrong', '10.2.0.3')).status, 401, 'a third failure after the window');
  t.equal(
    (await attempt('alice', PASSWORDS.alice, '10.2.0.4')).status,
    302,
    'is a first failure of a new window: not locked',
  );
});

t.test('parallel guesses do not get past maxFailures', async (t) => {
  // 12 wrong passwords for one username at once, from 12 addresses (so only the username
  // counter can stop them): at most maxFailures (3) passwords may be checked (401), the
  // rest must be refused (429) — otherwise a lockout only limits sequential guessing.
  g.clock.advance(31 * MIN);
  // Each guess first gets its form (nonce cookie + token), then all 12 are posted at once.
  const forms = await Promise.all(
    Array.from({ length: 12 }, async (_, i) => {
      const ip = `10.3.0.${i + 1}`;
      const jar = new CookieJar();
      const form = await request(g.url, '/t/acme/login', {
        headers: { host: 'dashboard.acme.test', accept: 'text/html', 'x-forwarded-for': ip },
      });
      jar.take(form);
      return { ip, jar, token: formToken(form.body) };
    }),
  );
  const results = await Promise.all(
    forms.map((f, i) =>
      request(g.url, '/t/acme/login', {
        method: 'POST',
        headers: { host: 'dashboard.acme.test', accept: 'text/html', cookie: f.jar.header(), 'x-forwarded-for': f.ip },
        form: { username: 'alice', password: `parallel-guess-${i}`, csrf_token: f.token, rd: '/' },
      }),
    ),
  );
  const checked = results.filter((r) => r.status === 401).length;
  t.same(
    [...new Set(results.map((r) => r.status))].sort(),
    checked === 12 ? [401] : [401, 429],
    'only 401 and 429 answers',
  );
  t.ok(checked <= 3, `passwords checked: ${checked} (at most 3)`);
  t.equal((await attempt('alice', PASSWORDS.alice, '10.3.1.1')).status, 429, 'afterwards the username is locked');
});
