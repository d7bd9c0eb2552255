// store.durability (issue 16 item 3) on real redis-server processes: a master and one
// replica started for this file. `replicated`: creation and every revocation return only
// once the replica has the change; with the replica stopped (SIGSTOP) a login fails closed
// within the bound and leaves nothing visible, a revocation still stands on the master.
// Tombstones (both modes): a revoked session stays refused even when its hash comes back
// (restored from an older copy), and its id is never reused. Config: the keys, with paths.
import t from 'tap';
import { Redis } from 'ioredis';
import pino from 'pino';
import { setTimeout as delay } from 'node:timers/promises';
import { ConfigError, loadConfigText } from '../../src/config/load.js';
import { createStore } from '../../src/store/index.js';
import { ReplicaUnconfirmedError } from '../../src/store/redis-durability.js';
import { RedisStore } from '../../src/store/redis.js';
import { StoreUnavailableError } from '../../src/store/types.js';
import { ManualClock } from '../../src/util/clock.js';
import { startCluster, startRedis } from '../helpers/redis.js';
import { MIN, sessionFor, unlimited } from './contract-fixture.js';

const log = pino({ level: 'silent' });
const TIMEOUT_MS = 200;

// No 5 s wait before the replica's first full sync (repl-diskless-sync-delay).
const master = await startRedis({ args: ['--repl-diskless-sync-delay', '0'] });
const replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
t.teardown(async () => {
  replica.resume();
  await Promise.all([replica.stop(), master.stop()]);
});
// Until the replica acknowledges a write within 100 ms (what WAIT counts; a replica just
// synced may not ack for a moment): there is no event to await, so ask.
{
  const probe = new Redis(master.url);
  await probe.set('probe', '1');
  while ((await probe.wait(1, 100)) < 1) await delay(20);
  probe.disconnect();
}

let n = 0;
function stores(durability: 'local' | 'replicated') {
  const keyPrefix = `gk:d${++n}:`;
  const store = new RedisStore({ url: master.url }, { keyPrefix, log, durability, replicaTimeoutMs: TIMEOUT_MS });
  // What a promoted replica would serve: the same store code reading the replica.
  const onReplica = new RedisStore({ url: replica.url }, { keyPrefix, log });
  const raw = new Redis(master.url, { keyPrefix });
  const rawReplica = new Redis(replica.url, { keyPrefix });
  t.teardown(async () => {
    await Promise.all([store.close(), onReplica.close()]);
    raw.disconnect();
    rawReplica.disconnect();
  });
  return { store, onReplica, raw, rawReplica, clock: new ManualClock() };
}

const slotOf = (id: string, raw: Redis) =>
  raw.keys(`*${id}`).then((keys) => keys.map((k) => k.replace(/^gk:d\d+:/, '')));

t.test('replicated: the replica has every change when the call returns', async (t) => {
  const { store, onReplica, clock } = stores('replicated');
  t.equal(store.durability, 'replicated');
  const a = sessionFor(clock, { userId: 'u1' });
  const b = sessionFor(clock, { userId: 'u1' });
  const c = sessionFor(clock, { userId: 'u2' });
  const d = sessionFor(clock, { userId: 'u2' });
  for (const s of [a, b, c, d]) {
    t.strictSame(await store.createSession(s, unlimited, clock.now()), { ok: true, evicted: [] });
    // No wait of any kind between the answer and the replica's read.
    t.strictSame(await onReplica.getSession('acme', s.id), s, 'created: on the replica');
  }

  t.equal(await store.deleteSession('acme', a.id), true);
  t.equal(await onReplica.getSession('acme', a.id), null, 'deleted: refused by the replica');

  let refusedOnReplicaWhenAnnounced: boolean | null = null;
  const removed = await store.deleteUserSessions('acme', 'u2', undefined, {
    onMarked: async () => {
      refusedOnReplicaWhenAnnounced = (await onReplica.getSession('acme', c.id)) === null;
    },
  });
  t.same(removed.map((s) => s.id).sort(), [c.id, d.id].sort());
  t.equal((await onReplica.listUserSessions('acme', 'u2', clock.now())).length, 0, 'revoke-all: on the replica');
  t.ok(refusedOnReplicaWhenAnnounced !== null, 'revoke-all announced');

  // An access token's deny entry, whatever its key.
  await store.denyToken('acme', 'jti-1', clock.now() + MIN, clock.now());
  t.equal(await onReplica.isTokenDenied('acme', 'jti-1'), true, 'denied: on the replica');

  t.strictSame(await store.getSession('acme', b.id), b, 'the rest untouched');
});

t.test('replicated, replica stopped: a login fails closed within the bound, a revocation stands', async (t) => {
  const { store, raw, clock } = stores('replicated');
  const kept = sessionFor(clock, { userId: 'u1' });
  const revoked = sessionFor(clock, { userId: 'u1' });
  for (const s of [kept, revoked]) await store.createSession(s, unlimited, clock.now());

  replica.pause();
  t.teardown(() => replica.resume());
  const login = sessionFor(clock, { userId: 'u1' });
  const started = performance.now();
  await t.rejects(store.createSession(login, unlimited, clock.now()), ReplicaUnconfirmedError, 'login: 503');
  const took = performance.now() - started;
  t.ok(took >= TIMEOUT_MS - 5 && took < TIMEOUT_MS + 250, `failed after ${took.toFixed(0)} ms (bound ${TIMEOUT_MS})`);
  t.comment(`unconfirmed login refused after ${took.toFixed(0)} ms`);
  t.equal(await store.getSession('acme', login.id), null, 'the half-created session is gone');
  t.same(
    (await store.listUserSessions('acme', 'u1', clock.now())).map((s) => s.id).sort(),
    [kept.id, revoked.id].sort(),
    'not listed, not counted',
  );
  const leftovers = await slotOf(login.id, raw);
  t.ok(
    leftovers.every((k) => k.includes(':t:')),
    `nothing of it left but its tombstone: ${leftovers.join(', ') || 'none'}`,
  );

  const err = await store.deleteSession('acme', revoked.id).catch((e: unknown) => e);
  t.ok(err instanceof ReplicaUnconfirmedError && err instanceof StoreUnavailableError, 'revocation: 503');
  t.same((err as ReplicaUnconfirmedError).ended, [revoked.id], 'names the session to announce');
  t.equal(await store.getSession('acme', revoked.id), null, 'the revocation stands on the master');
  t.strictSame(await store.getSession('acme', kept.id), kept, 'reads go on');

  replica.resume();
  const later = sessionFor(clock, { userId: 'u1' });
  t.strictSame(
    await store.createSession(later, unlimited, clock.now()),
    { ok: true, evicted: [] },
    'back: logins work',
  );
});

t.test('replicated without any replica: every login answers 503', async (t) => {
  const lone = await startRedis();
  t.teardown(() => lone.stop());
  const store = new RedisStore({ url: lone.url }, { keyPrefix: 'gk:lone:', log, durability: 'replicated' });
  t.teardown(() => store.close());
  const clock = new ManualClock();
  const s = sessionFor(clock);
  await t.rejects(store.createSession(s, unlimited, clock.now()), ReplicaUnconfirmedError);
  t.equal(await store.getSession('acme', s.id), null);
});

t.test('tombstones: a revoked session stays refused when its hash comes back, its id is never reused', async (t) => {
  for (const mode of ['local', 'replicated'] as const) {
    const { store, raw, rawReplica, clock } = stores(mode);
    const s = sessionFor(clock, { userId: 'u7' });
    const other = sessionFor(clock, { userId: 'u7' });
    await store.createSession(s, unlimited, clock.now());
    await store.createSession(other, unlimited, clock.now());
    const [hashKey] = (await slotOf(s.id, raw)).filter((k) => k.includes(':s:'));
    const old = await raw.dumpBuffer(hashKey!);
    const ttl = await raw.pttl(hashKey!);

    clock.advance(MIN);
    t.equal(await store.deleteSession('acme', s.id), true, mode);
    const tomb = hashKey!.replace(':s:', ':t:');
    t.equal(await raw.exists(tomb), 1, `${mode}: a tombstone`);
    const left = await raw.pttl(tomb);
    t.ok(left > ttl - 5_000 && left <= ttl, `${mode}: lives as long as the session would have (${left} of ${ttl} ms)`);
    if (mode === 'replicated') t.equal(await rawReplica.exists(tomb), 1, 'replicated with the delete');

    // The hash brought back from an older copy (a backup restored key by key, a stale node).
    await raw.restore(hashKey!, ttl, old);
    t.equal(await store.getSession('acme', s.id), null, `${mode}: refused by lookup`);
    t.equal(
      await store.updateSession('acme', s.id, { lastActiveAt: clock.now() }, clock.now()),
      false,
      `${mode}: not revived by activity`,
    );
    t.same(
      (await store.listUserSessions('acme', 'u7', clock.now())).map((r) => r.id),
      [other.id],
      `${mode}: not listed`,
    );
    await t.rejects(store.createSession({ ...s }, unlimited, clock.now()), /already used/, `${mode}: id never reused`);

    // Revoke-all and the cap leave tombstones too.
    const removed = await store.deleteUserSessions('acme', 'u7');
    t.same(
      removed.map((r) => r.id),
      [other.id],
    );
    t.equal(await raw.exists(`${tomb.split(':t:')[0]}:t:${other.id}`), 1, `${mode}: revoke-all leaves one`);
  }
});

t.test('config: store.durability and store.replicaTimeout, with paths', async (t) => {
  const yaml = (store: string): string => `
server: { listen: "127.0.0.1:0" }
store: ${store}
tenants:
  acme:
    apps:
      - { name: a, hosts: [a.acme.test], upstream: "http://127.0.0.1:9" }
`;
  const redis = 'redis: "redis://127.0.0.1:1/0"';
  const cfg = loadConfigText(yaml(`{ ${redis} }`), { env: {} });
  t.equal(cfg.store.durability, 'local', 'default local');
  t.equal(cfg.store.replicaTimeout, 200, 'default 200 ms');
  const rep = loadConfigText(yaml(`{ ${redis}, durability: replicated, replicaTimeout: 50 }`), { env: {} });
  t.same([rep.store.durability, rep.store.replicaTimeout], ['replicated', 50]);
  const bad: [string, RegExp][] = [
    [`{ ${redis}, durability: sync }`, /store\.durability/],
    [`{ ${redis}, replicaTimeout: 0 }`, /store\.replicaTimeout/],
    [`{ ${redis}, replicaTimeout: 251 }`, /store\.replicaTimeout/],
    [`{ ${redis}, replicaTimeout: 1.5 }`, /store\.replicaTimeout/],
    [`{ durability: replicated }`, /store\.durability/],
  ];
  for (const [store, path] of bad) {
    const err = t.throws(() => loadConfigText(yaml(store), { env: {} })) as unknown;
    t.ok(err instanceof ConfigError, store);
    t.match((err as ConfigError).errors.map((e) => e.path).join(' '), path, store);
  }
  const err = t.throws(() => loadConfigText(yaml('{ durability: replicated }'), { env: {} })) as ConfigError;
  t.match(err.message, /replicated needs store\.redis/);
  // The memory store takes `local` (what the schema lets through without Redis).
  const memory = createStore({ redis: null, keyPrefix: 'gk:', durability: 'local' }, { clock: new ManualClock(), log });
  t.equal(memory.kind, 'memory');
  await memory.close();
});

t.test('cost: login and revocation latency, local vs replicated (reported, not asserted)', async (t) => {
  const ROUNDS = 200;
  const pct = (xs: number[], p: number): string =>
    xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!.toFixed(2);
  for (const mode of ['local', 'replicated'] as const) {
    const { store, clock } = stores(mode);
    const create: number[] = [];
    const revoke: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const s = sessionFor(clock, { userId: `cost${i % 10}` });
      let at = performance.now();
      await store.createSession(s, unlimited, clock.now());
      create.push(performance.now() - at);
      at = performance.now();
      await store.deleteSession('acme', s.id);
      revoke.push(performance.now() - at);
    }
    t.comment(
      `${mode}: createSession p50 ${pct(create, 0.5)} ms p99 ${pct(create, 0.99)} ms; ` +
        `deleteSession p50 ${pct(revoke, 0.5)} ms p99 ${pct(revoke, 0.99)} ms (${ROUNDS} each, sequential)`,
    );
    t.equal(create.length, ROUNDS);
  }
});

t.test('Cluster: the WAIT goes to the shard of the key (3+3 confirms, 3 masters alone refuse)', async (t) => {
  const withReplicas = await startCluster({ replicas: 1 });
  const bare = await startCluster();
  t.teardown(() => Promise.all([withReplicas.stop(), bare.stop()]));
  const store = new RedisStore({ cluster: withReplicas.nodes }, { keyPrefix: 'gk:cl:', log, durability: 'replicated' });
  const refusing = new RedisStore({ cluster: bare.nodes }, { keyPrefix: 'gk:cl:', log, durability: 'replicated' });
  t.teardown(() => Promise.all([store.close(), refusing.close()]));
  const clock = new ManualClock();
  // Users spread over the three shards.
  const sessions = Array.from({ length: 12 }, (_, i) => sessionFor(clock, { userId: `u${i}` }));
  for (const s of sessions) t.same(await store.createSession(s, unlimited, clock.now()), { ok: true, evicted: [] });
  for (const s of sessions.slice(0, 6)) t.equal(await store.deleteSession('acme', s.id), true);
  t.equal((await store.deleteUserSessions('acme', 'u7')).length, 1);
  await store.denyToken('acme', 'jti-c', clock.now() + MIN, clock.now());
  t.equal(await store.getSession('acme', sessions[0]!.id), null);
  t.strictSame(await store.getSession('acme', sessions[8]!.id), sessions[8]);
  await t.rejects(refusing.createSession(sessionFor(clock), unlimited, clock.now()), ReplicaUnconfirmedError);
});
