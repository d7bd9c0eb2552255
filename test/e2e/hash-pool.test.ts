// The bound on concurrent password / secret hash checks, end to end (SPEC §5 "(client
// authentication)"): while every slot and queue place is taken, a login and a client
// authentication get 503 with Retry-After at once, the refusal is not counted as a failed
// attempt, and once a slot is free the same requests go through. The test takes the
// gateway's one slot and one queue place itself, as in-flight checks would.
import t from 'tap';
import { HashPool } from '../../src/session/hash-pool.js';
import { request, type Response } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { startTestGateway, PASSWORDS, SECRETS } from '../helpers/gateway.js';
import { hasCode } from '../helpers/error-code.js';

const DASH = 'dashboard.acme.test';
const pool = new HashPool({ slots: 1, queue: 1, maxWaitMs: 60_000 });
const g = await startTestGateway({
  hashPool: pool,
  settings: 'loginThrottle: { maxFailures: 2, window: 15m, lockout: 30m }',
});
t.teardown(g.stop);

const attempt = async (username: string, password: string, ip: string): Promise<Response> =>
  (await login(g.url, { username, password, headers: { 'x-forwarded-for': ip } })).res;

function oauth(path: 'token' | 'introspect', form: Record<string, string>): Promise<Response> {
  return request(g.url, `/t/acme/api/v1/oauth/${path}`, {
    method: 'POST',
    headers: {
      host: DASH,
      authorization: `Basic ${Buffer.from(`billing-service:${SECRETS.billing}`).toString('base64')}`,
    },
    form,
  });
}

t.test('a saturated pool answers 503 with Retry-After, without counting an attempt', async (t) => {
  let release!: () => void;
  const held = pool.run(() => new Promise<void>((resolve) => (release = resolve)));
  const queued = pool.run(async () => {});
  t.same(pool.load, { running: 1, waiting: 1 }, 'every slot and queue place is taken');

  const busy = await attempt('alice', PASSWORDS.alice, '192.0.2.50');
  t.equal(busy.status, 503, 'the right password: 503 (no slot)');
  hasCode(t, busy, 'ERR_GK_BUSY', 'login');
  t.equal(busy.headers['retry-after'], '1');
  t.match(busy.body, /name="csrf_token"/, 'with the form');
  t.match(busy.body, /busy/i, 'saying the service is busy');
  t.notOk(
    busy.setCookies.some((c) => c.startsWith('gk_acme=') && !c.startsWith('gk_acme=;')),
    'no session',
  );

  for (let i = 0; i < 3; i++)
    t.equal((await attempt('bob', `wrong-${i}`, '192.0.2.51')).status, 503, `bob, wrong password ${i + 1}: 503 too`);

  const token = await oauth('token', { grant_type: 'client_credentials' });
  t.equal(token.status, 503, 'client authentication: 503');
  t.equal(token.headers['retry-after'], '1');
  t.match(token.json(), { error: 'temporarily_unavailable' });
  hasCode(t, token, 'ERR_GK_BUSY', 'client authentication');
  t.equal((await oauth('introspect', { token: 'x' })).status, 503, 'on introspect too');
  t.same(pool.load, { running: 1, waiting: 1 }, 'nothing more queued: the refusals cost no hash');

  release();
  await Promise.all([held, queued]);
  t.equal((await attempt('alice', PASSWORDS.alice, '192.0.2.50')).status, 302, 'with a free slot the login works');
  t.equal((await oauth('token', { grant_type: 'client_credentials' })).status, 200, 'and so does the client');
  // maxFailures is 2: had the three 503s counted, bob would be locked now.
  t.equal(
    (await attempt('bob', 'wrong-a', '192.0.2.51')).status,
    401,
    'the refused attempts did not count: a first failure',
  );
  t.equal((await attempt('bob', 'wrong-b', '192.0.2.51')).status, 401, 'a second');
  t.equal((await attempt('bob', PASSWORDS.bob, '192.0.2.51')).status, 429, 'and then the lockout');
});

t.test(
  'a client secret that verified a moment ago needs no hash slot; another secret or a later call does',
  async (t) => {
    t.equal(
      (await oauth('token', { grant_type: 'client_credentials' })).status,
      200,
      'verified once, with a free slot',
    );
    let release!: () => void;
    const held = pool.run(() => new Promise<void>((resolve) => (release = resolve)));
    const queued = pool.run(async () => {});
    t.equal(
      (await oauth('token', { grant_type: 'client_credentials' })).status,
      200,
      'the same secret again: no hash needed',
    );
    t.equal((await oauth('introspect', { token: 'x' })).status, 200, 'on introspect too');
    const wrong = await request(g.url, '/t/acme/api/v1/oauth/token', {
      method: 'POST',
      headers: {
        host: DASH,
        authorization: `Basic ${Buffer.from('billing-service:not-the-secret').toString('base64')}`,
      },
      form: { grant_type: 'client_credentials' },
    });
    t.equal(wrong.status, 503, 'a different secret is never taken from the cache: it needs a slot');
    hasCode(t, wrong, 'ERR_GK_BUSY');
    g.clock.advance(5 * 60_000 + 1);
    t.equal(
      (await oauth('token', { grant_type: 'client_credentials' })).status,
      503,
      'after five minutes the secret is checked again',
    );
    release();
    await Promise.all([held, queued]);
  },
);
