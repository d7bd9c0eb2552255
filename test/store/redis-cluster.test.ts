// The Redis store on a private 3-master Redis Cluster (started once for this file): every
// concern's contract, the hash tags that keep each script inside one slot, the tenant's
// logins and token checks spread over slots, and keys an earlier version wrote.
import t from 'tap';
import { Cluster } from 'ioredis';
import pino from 'pino';
import { RedisStore } from '../../src/store/redis.js';
import { tagOfSessionId } from '../../src/session/ids.js';
import { ManualClock } from '../../src/util/clock.js';
import { redisCli, startCluster } from '../helpers/redis.js';
import { runStoreContract, sessionFor } from './contract.js';
import { redisFixture } from './contract-redis.js';

const cluster = await startCluster();
t.teardown(() => cluster.stop());

runStoreContract(t, 'redis cluster', redisFixture({ cluster: cluster.nodes }));

t.test("a user's session, index and refresh-token chain share one slot", async (t) => {
  const s = sessionFor(new ManualClock());
  const [node] = cluster.nodes;
  const slotOf = async (key: string) => (await redisCli(node!.port, 'cluster', 'keyslot', key)).trim();
  const base = `gk:{acme:${tagOfSessionId(s.id)}}:`;
  const slots = await Promise.all(['u:u1', `rt:${s.id}`, `rtu:${s.id}`].map((k) => slotOf(base + k)));
  t.same(slots, Array(3).fill(await slotOf(`${base}s:${s.id}`)));
});

const log = pino({ level: 'silent' });
const MIN = 60_000;

async function keysOf(pattern: string): Promise<string[]> {
  const found = await Promise.all(cluster.nodes.map((n) => redisCli(n.port, '--raw', 'keys', pattern)));
  return found.flatMap((out) => out.split('\n').filter(Boolean));
}
const slotOf = async (key: string): Promise<number> =>
  Number((await redisCli(cluster.nodes[0]!.port, 'cluster', 'keyslot', key)).trim());

t.test(
  "a tenant's throttle counters, codes and deny list spread over slots; settings stay in the tenant's",
  async (t) => {
    const clock = new ManualClock();
    const store = new RedisStore({ cluster: cluster.nodes }, { keyPrefix: 'gk:spread:', log });
    t.teardown(() => store.close());
    const rule = { windowMs: 15 * MIN, maxFailures: 5, lockoutMs: MIN, inFlightMs: MIN };
    for (let i = 0; i < 8; i++) {
      const a = { subject: `u:user${i}`, source: `ip:203.0.113.${i}`, id: `a${i}` };
      t.same(await store.admitAttempt('acme', a, rule, clock.now()), { admitted: true });
      await store.settleAttempt('acme', a, 'failed', rule, clock.now());
      await store.saveAuthCode('acme', `code${i}`, 'payload', 5 * MIN);
      await store.denyToken('acme', `jti-${i}`, clock.now() + MIN, clock.now());
    }
    await store.setTenantSettings('acme', '{}');
    const slotsOf = async (pattern: string, n: number): Promise<Set<number>> => {
      const keys = await keysOf(pattern);
      t.equal(keys.length, n, `${n} keys ${pattern}`);
      return new Set(await Promise.all(keys.map(slotOf)));
    };
    const subjects = await slotsOf('gk:spread:{acme:thr:*}:u:*', 8);
    const sources = await slotsOf('gk:spread:{acme:thr:*}:ip:*', 8);
    t.ok(subjects.size > 1 && sources.size > 1, `throttle keys in ${subjects.size} + ${sources.size} slots`);
    const codes = await slotsOf('gk:spread:{acme:code:*}:code*', 8);
    const denied = await slotsOf('gk:spread:{acme:jti:*}:jti-*', 8);
    t.ok(codes.size > 1 && denied.size > 1, `codes in ${codes.size} slots, denied tokens in ${denied.size}`);
    t.same(
      (await keysOf('gk:spread:{acme}:*')).sort(),
      ['gk:spread:{acme}:settings', ...Array.from({ length: 8 }, (_, i) => `gk:spread:{acme}:jti:jti-${i}`)].sort(),
      "the tenant's slot keeps its settings, and copies of denials for instances of the earlier version",
    );
    t.equal(await slotOf('gk:spread:{acme}:settings'), await slotOf('gk:spread:{acme}:anything'));
    // Each counter still works by itself: a subject locked by its failures, the source not.
    for (let i = 0; i < 5; i++) {
      const a = { subject: 'u:target', source: `ip:198.51.100.${i}`, id: `t${i}` };
      t.same(await store.admitAttempt('acme', a, rule, clock.now()), { admitted: true });
      await store.settleAttempt('acme', a, 'failed', rule, clock.now());
    }
    t.same(
      await store.admitAttempt('acme', { subject: 'u:target', source: 'ip:198.51.100.9', id: 'x' }, rule, clock.now()),
      {
        admitted: false,
        lockedUntil: clock.now() + rule.lockoutMs,
      },
    );
    t.same(
      await store.admitAttempt('acme', { subject: 'u:other', source: 'ip:198.51.100.0', id: 'y' }, rule, clock.now()),
      {
        admitted: true,
      },
    );
  },
);

t.test(
  'keys an earlier version wrote in the tenant slot: a denied token stays denied, a code is taken once',
  async (t) => {
    const clock = new ManualClock();
    const store = new RedisStore({ cluster: cluster.nodes }, { keyPrefix: 'gk:legacy:', log });
    const raw = new Cluster(cluster.nodes);
    t.teardown(async () => {
      await store.close();
      await raw.quit();
    });
    await raw.set('gk:legacy:{acme}:jti:old-jti', '1', 'PX', 2 * MIN);
    await raw.set('gk:legacy:{acme}:code:old-code', 'old-payload', 'PX', MIN);
    t.equal(await store.isTokenDenied('acme', 'old-jti'), true, 'denied by the earlier version: still denied');
    t.equal(await store.isTokenDenied('globex', 'old-jti'), false, 'in its tenant only');
    t.equal(await store.isTokenDenied('acme', 'never-denied'), false);
    const takes = await Promise.all(Array.from({ length: 5 }, () => store.takeAuthCode('acme', 'old-code')));
    t.same(
      takes.filter((x) => x !== null),
      ['old-payload'],
      'an earlier code taken exactly once',
    );
    // A denial now is also written where an instance of the earlier version looks.
    await store.denyToken('acme', 'new-jti', clock.now() + MIN, clock.now());
    t.equal(await raw.exists('gk:legacy:{acme}:jti:new-jti'), 1, 'the earlier version refuses it too');
    t.equal(await store.isTokenDenied('acme', 'new-jti'), true);
  },
);
