// Throttles that hold under concurrency (SPEC §5, the login row and "(client
// authentication)"): attempts are counted per subject (username, client_id) and per client
// IP atomically BEFORE the password or secret is checked, so parallel guesses get exactly
// maxFailures checks; a lockout refuses without a check, is not extended by what it
// refuses, and when it ends the count starts over. On the memory store and on real Redis.
// Each case uses addresses of its own (X-Forwarded-For from the trusted test client).
import t, { type Test } from 'tap';
import { CookieJar, request, type Response } from '../helpers/http.js';
import { formToken, login } from '../helpers/login.js';
import { startRedis } from '../helpers/redis.js';
import { startTestGateway, PASSWORDS, SECRETS, type TestGateway } from '../helpers/gateway.js';

const SEC = 1000;
const MIN = 60 * SEC;
const DASH = 'dashboard.acme.test';
const MAX = 5;
const SETTINGS = `loginThrottle: { maxFailures: ${MAX}, window: 1m, lockout: 3s }`;

const redis = await startRedis();
t.teardown(() => redis.stop());
const memory = await startTestGateway({ settings: SETTINGS });
t.teardown(memory.stop);
const onRedis = await startTestGateway({ settings: SETTINGS, storeYaml: `store:\n  redis: ${redis.url}/0` });
t.teardown(onRedis.stop);

interface Try {
  ip: string;
  username: string;
  password: string;
}

/** Gets every form first (nonce cookie + token), then posts all the logins at once. */
async function parallelLogins(g: TestGateway, tries: Try[]): Promise<Response[]> {
  const forms = await Promise.all(
    tries.map(async (x) => {
      const jar = new CookieJar();
      const form = await request(g.url, '/t/acme/login', {
        headers: { host: DASH, accept: 'text/html', 'x-forwarded-for': x.ip },
      });
      jar.take(form);
      return { jar, token: formToken(form.body) };
    }),
  );
  return Promise.all(
    tries.map((x, i) =>
      request(g.url, '/t/acme/login', {
        method: 'POST',
        headers: { host: DASH, accept: 'text/html', cookie: forms[i]!.jar.header(), 'x-forwarded-for': x.ip },
        form: { username: x.username, password: x.password, csrf_token: forms[i]!.token, rd: '/' },
      }),
    ),
  );
}

async function attempt(g: TestGateway, username: string, password: string, ip: string): Promise<Response> {
  return (await login(g.url, { username, password, headers: { 'x-forwarded-for': ip } })).res;
}

function oauthRequest(
  g: TestGateway,
  path: 'token' | 'revoke' | 'introspect',
  clientId: string,
  secret: string,
  ip: string,
  form: Record<string, string>,
): Promise<Response> {
  return request(g.url, `/t/acme/api/v1/oauth/${path}`, {
    method: 'POST',
    headers: {
      host: DASH,
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      'x-forwarded-for': ip,
    },
    form,
  });
}

const tokenRequest = (g: TestGateway, clientId: string, secret: string, ip: string): Promise<Response> =>
  oauthRequest(g, 'token', clientId, secret, ip, { grant_type: 'client_credentials' });

/** Password checks made since `from` (a log index): each one is audited with its result. */
function checks(g: TestGateway, from: number): number {
  return g.logs
    .slice(from)
    .filter((l) => /"audit":"login_failed"/.test(l) && /"reason":"(bad_password|unknown_user)"/.test(l)).length;
}

const count = (rs: Response[], status: number): number => rs.filter((r) => r.status === status).length;

/** Every refusal says when to come back: within the lockout (3 s). */
function refusedWithRetryAfter(t: Test, rs: Response[]): void {
  for (const r of rs.filter((x) => x.status === 429)) {
    t.ok(
      ['1', '2', '3'].includes(String(r.headers['retry-after'])),
      `Retry-After ${String(r.headers['retry-after'])} within the lockout`,
    );
  }
}

for (const [name, g] of [
  ['memory', memory],
  ['redis', onRedis],
] as const) {
  t.test(`${name}: 12 parallel wrong logins from one address get exactly ${MAX} password checks`, async (t) => {
    g.clock.advance(2 * MIN);
    const ip = '198.51.100.10';
    const from = g.logs.length;
    const results = await parallelLogins(
      g,
      Array.from({ length: 12 }, (_, i) => ({ ip, username: i % 2 ? 'alice' : 'bob', password: `wrong-${i}` })),
    );
    t.equal(count(results, 401), MAX, `${MAX} answered 401 (checked)`);
    t.equal(count(results, 429), 12 - MAX, 'the rest 429 (refused before any check)');
    t.equal(checks(g, from), MAX, `${MAX} password checks in the audit`);
    refusedWithRetryAfter(t, results);
    t.equal(
      (await attempt(g, 'alice', PASSWORDS.alice, ip)).status,
      429,
      'the address is locked, even for the right password',
    );
    t.equal(
      (await attempt(g, 'alice', PASSWORDS.alice, '198.51.100.11')).status,
      302,
      'alice from another address is fine',
    );
  });

  t.test(
    `${name}: 12 parallel wrong passwords for one username from 12 addresses get exactly ${MAX} checks`,
    async (t) => {
      g.clock.advance(2 * MIN);
      const from = g.logs.length;
      const results = await parallelLogins(
        g,
        Array.from({ length: 12 }, (_, i) => ({ ip: `10.9.0.${i + 1}`, username: 'bob', password: `guess-${i}` })),
      );
      t.equal(count(results, 401), MAX);
      t.equal(count(results, 429), 12 - MAX);
      t.equal(checks(g, from), MAX);
      refusedWithRetryAfter(t, results);
      t.equal(
        (await attempt(g, 'bob', PASSWORDS.bob, '10.9.1.1')).status,
        429,
        'bob is locked, even from a fresh address',
      );
    },
  );

  t.test(
    `${name}: a lockout ends on time; attempts during it do not extend it; then the count starts over`,
    async (t) => {
      g.clock.advance(2 * MIN);
      const ip = '198.51.100.20';
      for (let i = 0; i < MAX; i++)
        t.equal((await attempt(g, 'alice', `wrong-${i}`, ip)).status, 401, `wrong password ${i + 1}: 401`);
      const locked = await attempt(g, 'alice', PASSWORDS.alice, ip);
      t.equal(locked.status, 429, 'locked');
      t.equal(locked.headers['retry-after'], '3', 'for the lockout (3 s)');
      g.clock.advance(2 * SEC);
      const during = await attempt(g, 'alice', PASSWORDS.alice, ip);
      t.equal(during.status, 429, 'still locked after 2 s');
      t.equal(during.headers['retry-after'], '1', 'and the refused attempt did not extend the lockout');
      g.clock.advance(1 * SEC);
      t.equal(
        (await attempt(g, 'alice', PASSWORDS.alice, ip)).status,
        302,
        'when the lockout ends the right password is accepted at once',
      );
      for (let i = 0; i < MAX - 1; i++)
        t.equal(
          (await attempt(g, 'alice', `again-${i}`, ip)).status,
          401,
          `a fresh count: failure ${i + 1} is checked`,
        );
      t.equal(
        (await attempt(g, 'alice', PASSWORDS.alice, ip)).status,
        302,
        `${MAX - 1} failures after a lockout do not lock`,
      );
    },
  );

  t.test(
    `${name}: a flood of wrong client secrets gets exactly ${MAX} checks, then 429 without a secret check`,
    async (t) => {
      g.clock.advance(2 * MIN);
      const ip = '198.51.100.30';
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => tokenRequest(g, 'billing-service', `wrong-${i}`, ip)),
      );
      t.equal(count(results, 401), MAX, `${MAX} secrets checked (401 invalid_client)`);
      t.equal(count(results, 429), 12 - MAX, 'the rest: 429');
      refusedWithRetryAfter(t, results);
      for (const r of results.filter((x) => x.status === 429)) {
        t.match(r.json(), { error: 'temporarily_unavailable' }, 'RFC 6749 §5.2 body');
        t.equal(r.headers['cache-control'], 'no-store');
        t.equal(r.headers['www-authenticate'], undefined, 'no Basic challenge: this is not a credential verdict');
      }
      const right = await tokenRequest(g, 'billing-service', SECRETS.billing, '198.51.100.31');
      t.equal(right.status, 429, 'the client is locked: even the right secret is not checked');
      t.equal(right.json().error, 'temporarily_unavailable');
      for (const path of ['revoke', 'introspect'] as const) {
        const r = await oauthRequest(g, path, 'billing-service', SECRETS.billing, '198.51.100.32', { token: 'x' });
        t.equal(r.status, 429, `${path}: the same throttle`);
        t.ok(r.headers['retry-after'], `${path}: with Retry-After`);
      }
      t.equal(
        (await attempt(g, 'alice', PASSWORDS.alice, ip)).status,
        302,
        'client-authentication failures do not lock logins from that address',
      );
      g.clock.advance(3 * SEC);
      t.equal(
        (await tokenRequest(g, 'billing-service', SECRETS.billing, '198.51.100.31')).status,
        200,
        'after the lockout the right secret works',
      );
    },
  );

  t.test(`${name}: wrong secrets for several clients from one address: the address gets ${MAX} checks`, async (t) => {
    g.clock.advance(2 * MIN);
    const ip = '198.51.100.40';
    const clients = ['billing-service', 'other-client', 'billing-api-client', 'resource-server'];
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => tokenRequest(g, clients[i % 4]!, `wrong-${i}`, ip)),
    );
    t.equal(count(results, 401), MAX);
    t.equal(count(results, 429), 12 - MAX);
    refusedWithRetryAfter(t, results);
    t.equal((await tokenRequest(g, 'other-client', SECRETS.other, ip)).status, 429, 'the address is locked');
    t.equal(
      (await tokenRequest(g, 'other-client', SECRETS.other, '198.51.100.41')).status,
      200,
      'the client itself is not (at most 3 failures)',
    );
  });
}
