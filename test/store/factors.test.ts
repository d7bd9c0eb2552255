// The FactorStore contract (contract-factors.ts) on memory, on a private redis-server and on
// a private 3-master Redis Cluster — the Redis ones built as the gateway builds them
// (factorStoreFor beside a RedisStore: its client, its keyPrefix, its fail-fast rules). Then
// what only Redis has: the key layout in the user's slot, records that are not the user's
// or not records, an outage, and a Redis over its maxmemory.
import t from 'tap';
import { Redis } from 'ioredis';
import pino from 'pino';
import { tagOfSessionId, userTag } from '../../src/session/ids.js';
import { MAX_FACTORS_PER_USER, type FactorStore } from '../../src/store/factors.js';
import { factorStoreFor } from '../../src/store/factors-for.js';
import { MemoryFactors } from '../../src/store/memory-factors.js';
import { MemoryStore } from '../../src/store/memory.js';
import { RedisFactors } from '../../src/store/redis-factors.js';
import { RedisStore } from '../../src/store/redis.js';
import { StoreUnavailableError } from '../../src/store/types.js';
import type { RedisConfig } from '../../src/config/types.js';
import { ManualClock } from '../../src/util/clock.js';
import { freePort } from '../helpers/net.js';
import { redisCli, startCluster, startRedis } from '../helpers/redis.js';
import { runFactorsContract, totpFactor, webAuthnFactor } from './contract-factors.js';
import { sessionFor, type MakeStore } from './contract-fixture.js';

const log = pino({ level: 'silent' });
const [server, cluster] = await Promise.all([startRedis(), startCluster()]);
t.teardown(() => Promise.all([server.stop(), cluster.stop()]));

let n = 0;
/** A fresh RedisStore per test (own keyPrefix) and the factor store beside it. */
function redisFactors(cfg: RedisConfig): MakeStore<FactorStore> {
  return async () => {
    const store = new RedisStore(cfg, { keyPrefix: `gk:fac${++n}:`, log });
    await store.ping();
    return { store: factorStoreFor(store), clock: new ManualClock(), cleanup: () => store.close() };
  };
}

runFactorsContract(t, 'memory', async () => ({
  store: new MemoryFactors(),
  clock: new ManualClock(),
  cleanup: async () => {},
}));
runFactorsContract(t, 'redis', redisFactors({ url: server.url }));
runFactorsContract(t, 'redis cluster', redisFactors({ cluster: cluster.nodes }));

t.test('factorStoreFor: memory beside memory, Redis beside Redis on its client', async (t) => {
  const memory = new MemoryStore({ clock: new ManualClock() });
  const redis = new RedisStore({ url: server.url }, { keyPrefix: 'gk:for:', log });
  t.teardown(async () => {
    await memory.close();
    await redis.close();
  });
  await redis.ping();
  t.type(factorStoreFor(memory), MemoryFactors);
  const f = factorStoreFor(redis);
  t.type(f, RedisFactors);
  await f.addFactor(totpFactor(new ManualClock()), MAX_FACTORS_PER_USER);
  t.equal(await redis.client.exists(`{acme:${userTag('acme', 'u1')}}:fac:u1`), 1, 'under the store keyPrefix');
});

t.test("Cluster: a user's factors and recovery codes are in the slot of their sessions", async (t) => {
  const clock = new ManualClock();
  const s = sessionFor(clock, { userId: 'u1' });
  const [node] = cluster.nodes;
  const slotOf = async (key: string): Promise<string> => (await redisCli(node!.port, 'cluster', 'keyslot', key)).trim();
  const base = `gk:{acme:${tagOfSessionId(s.id)}}:`;
  const slots = await Promise.all(['fac:u1', 'rc:u1', `s:${s.id}`, 'u:u1'].map((k) => slotOf(base + k)));
  t.equal(new Set(slots).size, 1);
});

t.test('Redis: the layout (a hash of records, a set of hashes, no TTL)', async (t) => {
  const client = new Redis(server.url, { keyPrefix: 'gk:lay:' });
  const raw = new Redis(server.url);
  t.teardown(async () => void (await Promise.all([client.quit(), raw.quit()])));
  const clock = new ManualClock();
  const store = new RedisFactors(client);
  const app = totpFactor(clock);
  await store.addFactor(app, MAX_FACTORS_PER_USER);
  await store.replaceRecoveryCodes('acme', 'u1', ['h1', 'h2'], clock.now());
  const base = `gk:lay:{acme:${userTag('acme', 'u1')}}:`;
  t.strictSame(JSON.parse((await raw.hget(`${base}fac:u1`, app.id))!), app);
  t.strictSame((await raw.smembers(`${base}rc:u1`)).sort(), ['h1', 'h2']);
  t.equal(await raw.pttl(`${base}fac:u1`), -1, 'factors do not expire');
  t.equal(await raw.pttl(`${base}rc:u1`), -1, 'nor do recovery codes');
});

t.test("Redis: a stored record that is not one, or not the user's, is never returned nor used", async (t) => {
  const client = new Redis(server.url, { keyPrefix: 'gk:bad:' });
  const raw = new Redis(server.url);
  t.teardown(async () => void (await Promise.all([client.quit(), raw.quit()])));
  const clock = new ManualClock();
  const store = new RedisFactors(client);
  const good = totpFactor(clock);
  await store.addFactor(good, MAX_FACTORS_PER_USER);
  const key = `gk:bad:{acme:${userTag('acme', 'u1')}}:fac:u1`;
  const planted = totpFactor(clock, { userId: 'u2' }); // u2's record planted in u1's hash
  await raw.hset(key, 'fac_garbage', '{not json', 'fac_array', '[1,2]', planted.id, JSON.stringify(planted));
  t.strictSame(await store.listFactors('acme', 'u1'), [good]);
  t.equal(await store.getFactor('acme', 'u1', 'fac_garbage'), null);
  t.equal(await store.getFactor('acme', 'u1', planted.id), null);
  t.equal(await store.acceptTotpStep('acme', 'u1', 'fac_garbage', 1, clock.now()), false);
  t.equal(await store.acceptTotpStep('acme', 'u1', 'fac_array', 1, clock.now()), false);
  t.equal(await store.acceptTotpStep('acme', 'u1', good.id, 1, clock.now()), true, 'the good one still works');
});

t.test('Redis unreachable: every call rejects with StoreUnavailableError', async (t) => {
  const port = await freePort(); // nobody listens here
  const store = new RedisStore({ url: `redis://127.0.0.1:${port}` }, { keyPrefix: 'gk:', log });
  t.teardown(() => store.close());
  const f = factorStoreFor(store);
  const clock = new ManualClock();
  const calls: [string, () => Promise<unknown>][] = [
    ['addFactor', () => f.addFactor(totpFactor(clock), MAX_FACTORS_PER_USER)],
    ['listFactors', () => f.listFactors('acme', 'u1')],
    ['getFactor', () => f.getFactor('acme', 'u1', 'fac_x')],
    ['removeFactor', () => f.removeFactor('acme', 'u1', 'fac_x')],
    ['removeAllFactors', () => f.removeAllFactors('acme', 'u1')],
    ['acceptTotpStep', () => f.acceptTotpStep('acme', 'u1', 'fac_x', 1, clock.now())],
    ['acceptWebAuthnCounter', () => f.acceptWebAuthnCounter('acme', 'u1', 'fac_x', 1, clock.now())],
    ['replaceRecoveryCodes', () => f.replaceRecoveryCodes('acme', 'u1', ['h'], clock.now())],
    ['useRecoveryCode', () => f.useRecoveryCode('acme', 'u1', 'h')],
    ['recoveryCodesLeft', () => f.recoveryCodesLeft('acme', 'u1')],
  ];
  for (const [name, call] of calls) await t.rejects(call(), StoreUnavailableError, `${name} rejects`);
});

t.test('Redis over maxmemory: enrolling is refused whole; using and removing go on', async (t) => {
  const full = await startRedis({ args: ['--maxmemory-policy', 'noeviction'] });
  const store = new RedisStore({ url: full.url }, { keyPrefix: 'gk:oom:', log });
  const raw = new Redis(full.url);
  t.teardown(async () => {
    await store.close();
    await raw.quit();
    await full.stop();
  });
  await store.ping();
  const f = factorStoreFor(store);
  const clock = new ManualClock();
  const app = totpFactor(clock);
  const key = webAuthnFactor(clock);
  const other = totpFactor(clock, { userId: 'u2' });
  for (const x of [app, key, other]) t.strictSame(await f.addFactor(x, MAX_FACTORS_PER_USER), { ok: true });
  await f.replaceRecoveryCodes('acme', 'u1', ['h1', 'h2'], clock.now());
  await f.replaceRecoveryCodes('acme', 'u2', ['h3'], clock.now());

  // 2 MiB of junk, then a limit 512 KiB below what Redis uses (as redis-maxmemory.test.ts).
  const junk = Array.from({ length: 32 }, (_, i) => `junk:${i}`);
  for (const k of junk) await raw.set(k, 'x'.repeat(64 * 1024));
  const used = Number(/used_memory:(\d+)/.exec(await raw.info('memory'))![1]);
  await raw.config('SET', 'maxmemory', String(used - 512 * 1024));
  await t.rejects(raw.set('probe', '1'), /OOM/, 'Redis refuses a plain write now');
  const before = await raw.keys('gk:oom:*');

  await t.rejects(f.addFactor(webAuthnFactor(clock), MAX_FACTORS_PER_USER), StoreUnavailableError, 'no enrolment');
  await t.rejects(
    f.replaceRecoveryCodes('acme', 'u1', ['n1', 'n2'], clock.now()),
    StoreUnavailableError,
    'no new recovery codes',
  );
  t.strictSame(await raw.keys('gk:oom:*'), before, 'nothing was half written');
  t.equal(await f.recoveryCodesLeft('acme', 'u1'), 2, 'the old codes are kept');

  t.equal(await f.acceptTotpStep('acme', 'u1', app.id, 100, clock.now()), true, 'a TOTP code is accepted');
  t.equal(await f.acceptWebAuthnCounter('acme', 'u1', key.id, 1, clock.now()), true, 'an assertion is accepted');
  t.equal(await f.useRecoveryCode('acme', 'u1', 'h1'), true, 'a recovery code is used');
  t.equal(await f.removeFactor('acme', 'u1', key.id), true, 'a factor is removed');
  await f.replaceRecoveryCodes('acme', 'u1', [], clock.now());
  t.equal(await f.recoveryCodesLeft('acme', 'u1'), 0, 'recovery codes are removed');
  t.equal(await f.removeAllFactors('acme', 'u2'), 1, "a user's factors are all removed");

  await raw.config('SET', 'maxmemory', '0');
  await raw.del(...junk);
  t.strictSame(await f.addFactor(webAuthnFactor(clock), MAX_FACTORS_PER_USER), { ok: true }, 'with memory back');
});
