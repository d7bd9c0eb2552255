// What each store.durability survives, on real processes (issue 16 item 3).
// Failover: a master, one replica and a sentinel (quorum 1, down-after 200 ms); the master
// is killed with SIGKILL right after the revocations and the sentinel promotes the replica.
//   replicated: every revocation that answered is still refused after the failover, every
//   kept session alive. With the replica lagging (SIGSTOP) the revocation answers 503
//   instead — with local it answers and the failover may take it back (observed, reported).
// Total outage: master and replica killed, then started from their own files.
//   appendonly yes: every revocation is still refused. An RDB snapshot older than the
//   revocations brings them back — a stale restore cannot be helped by tombstones, which it
//   loses too (observed, reported).
import { setTimeout as delay } from 'node:timers/promises';
import t from 'tap';
import pino from 'pino';
import { ReplicaUnconfirmedError, type Durability } from '../../src/store/redis-durability.js';
import { RedisStore } from '../../src/store/redis.js';
import type { SessionRecord } from '../../src/store/types.js';
import { StoreUnavailableError } from '../../src/store/types.js';
import { ManualClock } from '../../src/util/clock.js';
import { redisCli, startRedis } from '../helpers/redis.js';
import { FAST_SYNC, linkUp, sentinelCfg, topology } from '../helpers/sentinel-topology.js';
import { sessionFor, unlimited } from './contract-fixture.js';

const log = pino({ level: 'silent' });

/** Asks until the store answers again (the failover window), bounded. */
async function window(store: RedisStore, probe: SessionRecord, since: number): Promise<number> {
  for (;;) {
    try {
      if (await store.getSession(probe.tenant, probe.id)) return performance.now() - since;
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
    }
    if (performance.now() - since > 10_000) throw new Error('store never answered after the failover');
    await delay(20);
  }
}

/** 20 sessions of 4 users; 10 revoked (5 one by one, 5 by a revoke-all), 10 kept. */
async function revokeHalf(store: RedisStore, clock: ManualClock) {
  const users = ['u0', 'u1', 'u2', 'u3'];
  const all = users.flatMap((userId) => Array.from({ length: 5 }, () => sessionFor(clock, { userId })));
  for (const s of all) await store.createSession(s, unlimited, clock.now());
  const revoked = all.filter((s) => s.userId === 'u0' || s.userId === 'u1');
  for (const s of revoked.filter((s) => s.userId === 'u0')) await store.deleteSession('acme', s.id);
  await store.deleteUserSessions('acme', 'u1');
  return { revoked, kept: all.filter((s) => !revoked.includes(s)) };
}

async function stillRevoked(store: RedisStore, sessions: readonly SessionRecord[]): Promise<number> {
  let n = 0;
  for (const s of sessions) if ((await store.getSession('acme', s.id)) === null) n++;
  return n;
}

t.test('replicated: a Sentinel failover right after the revocations takes none back', async (t) => {
  const { master, sentinel } = await topology(t);
  const store = new RedisStore(sentinelCfg(sentinel), { keyPrefix: 'gk:f1:', log, durability: 'replicated' });
  t.teardown(() => store.close());
  const clock = new ManualClock();
  const { revoked, kept } = await revokeHalf(store, clock);

  const switched = sentinel.next(/\+switch-master/);
  const killed = performance.now();
  await master.kill();
  await switched;
  const ms = await window(store, kept[0]!, killed);
  t.comment(`failover window (kill -9 to the first answer): ${ms.toFixed(0)} ms`);
  t.equal(await stillRevoked(store, revoked), revoked.length, 'every revoked session still refused');
  t.equal(kept.length - (await stillRevoked(store, kept)), kept.length, 'every kept session alive');
});

for (const durability of ['local', 'replicated'] as Durability[]) {
  t.test(`${durability}: a revocation the replica has not seen, then a failover`, async (t) => {
    const { master, replica, sentinel } = await topology(t);
    const store = new RedisStore(sentinelCfg(sentinel), { keyPrefix: 'gk:f2:', log, durability });
    t.teardown(() => store.close());
    const clock = new ManualClock();
    const s = sessionFor(clock);
    const probe = sessionFor(clock);
    for (const x of [s, probe]) await store.createSession(x, unlimited, clock.now());

    // The replica falls behind: stopped, and its link dropped by the master (a SIGSTOP alone
    // is not enough: what the master writes still lands in the stopped replica's socket).
    replica.pause();
    await redisCli(master.port, 'client', 'kill', 'type', 'replica');
    const answer = await store.deleteSession('acme', s.id).then(
      () => 'answered',
      (err: unknown) => (err instanceof ReplicaUnconfirmedError ? '503' : String(err)),
    );
    if (durability === 'replicated') t.equal(answer, '503', 'never an answer a failover can take back');
    else t.equal(answer, 'answered', 'answered before any replica had it');
    const switched = sentinel.next(/\+switch-master/);
    await master.kill();
    replica.resume();
    await switched;
    await window(store, probe, performance.now());
    const back = (await store.getSession('acme', s.id)) !== null;
    t.comment(
      `${durability}: the revocation answered ${answer}; after the failover the session is ${back ? 'BACK' : 'still refused'}`,
    );
  });
}

t.test('total outage: appendonly yes keeps every revocation, an older RDB brings them back', async (t) => {
  for (const persistence of ['aof', 'rdb'] as const) {
    const args = persistence === 'aof' ? ['--appendonly', 'yes'] : [];
    const master = await startRedis({ args: [...args, ...FAST_SYNC] });
    const replica = await startRedis({ args: [...args, '--replicaof', '127.0.0.1', String(master.port)] });
    t.teardown(async () => {
      await Promise.all([master.stop(), replica.stop()]);
    });
    await linkUp(master);
    const keyPrefix = `gk:${persistence}:`;
    const store = new RedisStore({ url: master.url }, { keyPrefix, log, durability: 'replicated' });
    const clock = new ManualClock();
    const users = ['u0', 'u1', 'u2', 'u3'].flatMap((userId) =>
      Array.from({ length: 5 }, () => sessionFor(clock, { userId })),
    );
    for (const s of users) await store.createSession(s, unlimited, clock.now());
    // The last snapshot before the revocations (an RDB written on a schedule).
    if (persistence === 'rdb') await redisCli(master.port, 'save');
    const revoked = users.filter((s) => s.userId === 'u0' || s.userId === 'u1');
    for (const s of revoked.filter((s) => s.userId === 'u0')) await store.deleteSession('acme', s.id);
    await store.deleteUserSessions('acme', 'u1');
    await store.close();

    await Promise.all([master.kill(), replica.kill()]);
    await master.restart();
    const after = new RedisStore({ url: master.url }, { keyPrefix, log });
    t.teardown(() => after.close());
    const refused = await stillRevoked(after, revoked);
    const kept =
      users.length -
      revoked.length -
      (await stillRevoked(
        after,
        users.filter((s) => !revoked.includes(s)),
      ));
    t.equal(kept, users.length - revoked.length, `${persistence}: every kept session alive`);
    if (persistence === 'aof') t.equal(refused, revoked.length, 'aof: every revocation survives');
    t.comment(`${persistence}: ${refused} of ${revoked.length} revoked sessions still refused after a total outage`);
  }
});
