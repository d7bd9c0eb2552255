// The Redis store against a private standalone redis-server: every concern's contract, the
// key layout and TTLs, and outages. The same contract on a Cluster and on Sentinel is in
// redis-cluster.test.ts and redis-sentinel.test.ts.
import { once } from 'node:events';
import t from 'tap';
import { Redis } from 'ioredis';
import pino from 'pino';
import { tagOfSessionId, userTag } from '../../src/session/ids.js';
import { effectiveExpiry } from '../../src/session/model.js';
import { createStore } from '../../src/store/index.js';
import { RedisStore } from '../../src/store/redis.js';
import { ownSlot } from '../../src/store/redis-keys.js';
import { StoreUnavailableError, type SessionRecord, type SessionStore } from '../../src/store/types.js';
import { ManualClock } from '../../src/util/clock.js';
import { freePort } from '../helpers/net.js';
import { startRedis } from '../helpers/redis.js';
import { runStoreContract, sessionFor } from './contract.js';
import { redisFixture } from './contract-redis.js';

const log = pino({ level: 'silent' });
const unlimited = { max: 0, policy: 'evict-oldest' } as const;
const MIN = 60_000;

const server = await startRedis();
t.teardown(() => server.stop());

runStoreContract(t, 'redis', redisFixture({ url: server.url }));

t.test('key layout, and every key carries a TTL', async (t) => {
  const clock = new ManualClock();
  const store = new RedisStore({ url: server.url }, { keyPrefix: 'gk:ttl:', log });
  const raw = new Redis(server.url);
  t.teardown(async () => {
    await store.close();
    await raw.quit();
  });
  const two = { max: 2, policy: 'evict-oldest' } as const;
  // Three logins with a limit of two: the first is evicted, then one is deleted.
  const [evicted, s0, s1] = [2, 1, 0].map((ago) => sessionFor(clock, { lastActiveAt: clock.now() - ago * MIN })) as [
    SessionRecord,
    SessionRecord,
    SessionRecord,
  ];
  for (const s of [evicted, s0, s1]) await store.createSession(s, two, clock.now());
  const remember = sessionFor(clock, {
    userId: 'u2',
    idleTimeoutMs: null,
    rememberMe: true,
    expiresAt: clock.now() + 30 * 24 * 60 * MIN,
  });
  await store.createSession(remember, unlimited, clock.now());
  const u3 = sessionFor(clock, { userId: 'u3' });
  await store.createSession(u3, unlimited, clock.now());
  await store.deleteUserSessions('acme', 'u3');
  clock.advance(MIN);
  t.ok(await store.updateSession('acme', s0.id, { lastActiveAt: clock.now() }, clock.now()));
  t.ok(await store.deleteSession('acme', s1.id));

  // Token state: a chain rotated once, a chain deleted with its session, a code, a denied
  // token, a failed and an unsettled throttle attempt, and the tenant settings.
  const tokenSession = (userId: string) =>
    sessionFor(clock, { userId, kind: 'token', clientId: 'c', idleTimeoutMs: null });
  const [ts, gone] = [tokenSession('u4'), tokenSession('u5')];
  const chain = { clientId: 'c', currentHash: 'h0', expiresAt: clock.now() + 10 * MIN };
  for (const x of [ts, gone]) {
    await store.createSession(x, unlimited, clock.now());
    await store.saveRefreshChain('acme', x.id, chain, clock.now());
  }
  const rotate = {
    presentedHash: 'h0',
    nextHash: 'h1',
    successorBox: 'box',
    expiresAt: clock.now() + 60 * MIN,
    now: clock.now(),
    graceMs: 0,
  };
  t.equal((await store.rotateRefreshToken('acme', ts.id, rotate)).result, 'rotated');
  t.ok(await store.deleteSession('acme', gone.id));
  await store.saveAuthCode('acme', 'codehash', 'payload', 5 * MIN);
  await store.denyToken('acme', 'jti-1', clock.now() + 2 * MIN, clock.now());
  await store.denyToken('acme', 'jti-expired', clock.now(), clock.now());
  const thrRule = { windowMs: 15 * MIN, maxFailures: 5, lockoutMs: MIN, inFlightMs: MIN };
  const failed = { subject: 'u:alice', source: 'ip:203.0.113.7', id: 'a1' };
  await store.admitAttempt('acme', failed, thrRule, clock.now());
  await store.settleAttempt('acme', failed, 'failed', thrRule, clock.now());
  const inFlight = { subject: 'u:bob', source: 'ip:203.0.113.8', id: 'a2' };
  await store.admitAttempt('acme', inFlight, thrRule, clock.now());
  await store.setTenantSettings('acme', '{}');

  const tag = tagOfSessionId(s0.id);
  const tsBase = `gk:ttl:{acme:${tagOfSessionId(ts.id)}}:`;
  const keys = (await raw.keys('gk:ttl:*')).sort();
  t.same(
    keys,
    [
      `gk:ttl:{acme:${tag}}:s:${s0.id}`,
      `gk:ttl:{acme:${tagOfSessionId(remember.id)}}:s:${remember.id}`,
      `gk:ttl:{acme:${tag}}:u:u1`,
      `gk:ttl:{acme:${tag}}:ul:u1`,
      `gk:ttl:{acme:${tag}}:ux:u1`,
      `gk:ttl:{acme:${tagOfSessionId(remember.id)}}:u:u2`,
      `gk:ttl:{acme:${tagOfSessionId(remember.id)}}:ul:u2`,
      `gk:ttl:{acme:${tagOfSessionId(remember.id)}}:ux:u2`,
      // u3's revoke-all: its revocation generation (with a TTL, like everything else).
      `gk:ttl:{acme:${userTag('acme', 'u3')}}:rv`,
      // Sessions removed before their time leave a tombstone for the rest of their life.
      `gk:ttl:{acme:${tag}}:t:${evicted.id}`,
      `gk:ttl:{acme:${tag}}:t:${s1.id}`,
      `gk:ttl:{acme:${tagOfSessionId(gone.id)}}:t:${gone.id}`,
      `gk:ttl:{acme:${userTag('acme', 'u3')}}:t:${u3.id}`,
      `${tsBase}s:${ts.id}`,
      `${tsBase}u:u4`,
      `${tsBase}ux:u4`,
      `${tsBase}rt:${ts.id}`,
      `${tsBase}rtu:${ts.id}`,
      `gk:ttl:${ownSlot('acme', 'code', 'codehash')}codehash`,
      `gk:ttl:${ownSlot('acme', 'jti', 'jti-1')}jti-1`,
      'gk:ttl:{acme}:jti:jti-1', // the copy an instance of the earlier version reads
      'gk:ttl:{acme}:settings',
      ...['u:alice', 'ip:203.0.113.7', 'u:bob', 'ip:203.0.113.8'].map((k) => `gk:ttl:${ownSlot('acme', 'thr', k)}${k}`),
    ].sort(),
  );
  // Tenant settings saved through the API never expire (SPEC §4); nothing else lives forever.
  for (const key of keys) {
    if (key === 'gk:ttl:{acme}:settings') t.equal(await raw.pttl(key), -1, `${key} has no TTL`);
    else t.ok((await raw.pttl(key)) > 0, `${key} has a TTL`);
  }
  t.strictSame(await raw.hgetall(`${tsBase}rt:${ts.id}`), {
    clientId: 'c',
    cur: 'h1',
    exp: String(rotate.expiresAt),
    prev: 'h0',
    rotatedAt: String(clock.now()),
    box: 'box',
  });
  t.same(await raw.smembers(`${tsBase}rtu:${ts.id}`), ['h0']);
  for (const k of ['rt', 'rtu']) {
    const ttl = await raw.pttl(`${tsBase}${k}:${ts.id}`);
    t.ok(ttl > 59 * MIN && ttl <= 60 * MIN, `${k} TTL ${ttl} follows the successor's expiry`);
  }
  const codeTtl = await raw.pttl(`gk:ttl:${ownSlot('acme', 'code', 'codehash')}codehash`);
  t.ok(codeTtl > 4 * MIN && codeTtl <= 5 * MIN, `code TTL ${codeTtl}`);
  const jtiTtl = await raw.pttl(`gk:ttl:${ownSlot('acme', 'jti', 'jti-1')}jti-1`);
  t.ok(jtiTtl > MIN && jtiTtl <= 2 * MIN, `deny TTL ${jtiTtl}`);
  for (const k of ['u:alice', 'ip:203.0.113.7']) {
    const thrTtl = await raw.pttl(`gk:ttl:${ownSlot('acme', 'thr', k)}${k}`);
    t.ok(thrTtl > 14 * MIN && thrTtl <= 15 * MIN, `throttle ${k} TTL ${thrTtl} = the window`);
  }
  for (const k of ['u:bob', 'ip:203.0.113.8']) {
    const thrTtl = await raw.pttl(`gk:ttl:${ownSlot('acme', 'thr', k)}${k}`);
    t.ok(thrTtl > 0 && thrTtl <= MIN, `throttle ${k} TTL ${thrTtl} = the attempt in flight`);
  }
  t.equal(await raw.type(`gk:ttl:{acme:${tag}}:s:${s0.id}`), 'hash');
  t.same(await raw.zrange(`gk:ttl:{acme:${tag}}:u:u1`, 0, -1, 'WITHSCORES'), [s0.id, String(clock.now())]);
  t.notOk(await raw.hexists(`gk:ttl:{acme:${tag}}:s:${s0.id}`, 'clientId'), 'null is left out');

  // The TTL follows the effective expiry, and the index outlives its members.
  const idleTtl = await raw.pttl(`gk:ttl:{acme:${tag}}:s:${s0.id}`);
  t.ok(idleTtl <= 30 * MIN && idleTtl > 29 * MIN, `idle session TTL ${idleTtl}`);
  // Read a moment later than the session's TTL, so allow for the time between the reads.
  const indexTtl = await raw.pttl(`gk:ttl:{acme:${tag}}:u:u1`);
  t.ok(indexTtl >= idleTtl - 100, `index TTL ${indexTtl} ≥ member TTL ${idleTtl}`);
  const rememberTtl = await raw.pttl(`gk:ttl:{acme:${tagOfSessionId(remember.id)}}:s:${remember.id}`);
  t.ok(rememberTtl > 29 * 24 * 60 * MIN, `remember-me TTL ${rememberTtl}`);
  t.equal(effectiveExpiry(remember), remember.expiresAt);
});

t.test('createStore builds a RedisStore from a url', async (t) => {
  const store: SessionStore = createStore(
    { redis: { url: server.url }, keyPrefix: 'gk:factory:' },
    { clock: new ManualClock(), log },
  );
  t.teardown(() => store.close());
  t.equal(store.kind, 'redis');
  await t.resolves(store.ping());
});

t.test('Redis unreachable from the start: calls reject, nothing hangs', async (t) => {
  const port = await freePort(); // nobody listens here
  const store = new RedisStore({ url: `redis://127.0.0.1:${port}` }, { keyPrefix: 'gk:', log });
  t.teardown(() => store.close());
  await t.rejects(store.getSession('acme', sessionFor(new ManualClock()).id), StoreUnavailableError);
  await t.rejects(store.ping(), StoreUnavailableError);
});

// Fail-fast is shown by order, not by timing: each call rejects while Redis is still
// stopped (a queued call would hang until tap's timeout).
t.test('Redis hung: calls time out, then work again', async (t) => {
  const clock = new ManualClock();
  const store = new RedisStore({ url: server.url }, { keyPrefix: 'gk:hung:', log });
  t.teardown(() => store.close());
  const s = sessionFor(clock);
  await store.createSession(s, unlimited, clock.now());
  server.pause();
  await t.rejects(store.getSession('acme', s.id), StoreUnavailableError);
  server.resume();
  t.strictSame(await store.getSession('acme', s.id), s);
});

// Last: it takes the shared server down.
t.test('Redis down: fail fast, delete nothing, recover without a restart', async (t) => {
  const clock = new ManualClock();
  const store = new RedisStore({ url: server.url }, { keyPrefix: 'gk:down:', log });
  t.teardown(() => store.close());
  const s = sessionFor(clock);
  await store.createSession(s, unlimited, clock.now());
  await server.kill({ keepData: true });

  const calls: [string, () => Promise<unknown>][] = [
    ['getSession', () => store.getSession('acme', s.id)],
    ['createSession', () => store.createSession(sessionFor(clock), unlimited, clock.now())],
    ['updateSession', () => store.updateSession('acme', s.id, { lastActiveAt: clock.now() }, clock.now())],
    ['deleteSession', () => store.deleteSession('acme', s.id)],
    ['listUserSessions', () => store.listUserSessions('acme', 'u1', clock.now())],
    ['deleteUserSessions', () => store.deleteUserSessions('acme', 'u1')],
    [
      'saveRefreshChain',
      () =>
        store.saveRefreshChain(
          'acme',
          s.id,
          { clientId: 'c', currentHash: 'h', expiresAt: clock.now() + MIN },
          clock.now(),
        ),
    ],
    ['getRefreshChain', () => store.getRefreshChain('acme', s.id)],
    [
      'rotateRefreshToken',
      () =>
        store.rotateRefreshToken('acme', s.id, {
          presentedHash: 'h',
          nextHash: 'h2',
          successorBox: 'b',
          expiresAt: clock.now() + MIN,
          now: clock.now(),
          graceMs: 0,
        }),
    ],
    ['saveAuthCode', () => store.saveAuthCode('acme', 'c', 'p', MIN)],
    ['takeAuthCode', () => store.takeAuthCode('acme', 'c')],
    ['denyToken', () => store.denyToken('acme', 'j', clock.now() + MIN, clock.now())],
    ['isTokenDenied', () => store.isTokenDenied('acme', 'j')],
    [
      'admitAttempt',
      () =>
        store.admitAttempt(
          'acme',
          { subject: 'u', source: 'ip', id: 'a' },
          { windowMs: MIN, maxFailures: 3, lockoutMs: MIN, inFlightMs: MIN },
          clock.now(),
        ),
    ],
    [
      'settleAttempt',
      () =>
        store.settleAttempt(
          'acme',
          { subject: 'u', source: 'ip', id: 'a' },
          'failed',
          { windowMs: MIN, maxFailures: 3, lockoutMs: MIN, inFlightMs: MIN },
          clock.now(),
        ),
    ],
    ['getTenantSettings', () => store.getTenantSettings('acme')],
    ['setTenantSettings', () => store.setTenantSettings('acme', '{}')],
    ['publish', () => store.publish('m')],
    ['ping', () => store.ping()],
  ];
  for (const [name, call] of calls) {
    await t.rejects(call(), { name: 'StoreUnavailableError', code: 'ERR_GK_STORE_UNAVAILABLE' }, `${name} rejects`);
  }

  await server.restart();
  if (store.client.status !== 'ready') await once(store.client, 'ready');
  t.strictSame(await store.getSession('acme', s.id), s, 'the session survived the outage');
  t.same(
    (await store.listUserSessions('acme', 'u1', clock.now())).map((x) => x.id),
    [s.id],
  );
});
