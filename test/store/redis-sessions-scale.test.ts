// Users with many sessions on a real redis-server (issue 16 item 2): revoke-all of 1,000
// and of 3,000 sessions removes every one in chunks, each script short in SLOWLOG (every
// command logged: slowlog-log-slower-than 0); one login runs as many Redis calls with 10
// sessions as with 3,000 (INFO commandstats); the per-user cap evicts the least recently
// active. 3,000 is written with the cap raised, as data from before the cap would be.
import t from 'tap';
import { Redis } from 'ioredis';
import pino from 'pino';
import { tagOfSessionId } from '../../src/session/ids.js';
import { RedisConnection } from '../../src/store/redis-connection.js';
import { slot } from '../../src/store/redis-keys.js';
import { RedisSessions } from '../../src/store/redis-sessions.js';
import { MAX_SESSIONS_PER_USER, type SessionRecord } from '../../src/store/sessions.js';
import { ManualClock } from '../../src/util/clock.js';
import { startRedis } from '../helpers/redis.js';
import { sessionFor } from './contract-fixture.js';

/**
 * What the longest revoke-all chunk may hold Redis, generously: the goal is about a
 * millisecond; a loaded CI machine stretches a script's wall time.
 */
const SCRIPT_BOUND_US = 50_000;
/** The session hash's key after the prefix (redis-sessions.ts). */
const sessionKeyOf = (r: SessionRecord): string => `${slot(r.tenant, tagOfSessionId(r.id))}s:${r.id}`;
const log = pino({ level: 'silent' });
const unlimited = { max: 0, policy: 'evict-oldest' } as const;

const server = await startRedis();
const raw = new Redis(server.url);
const conn = new RedisConnection({ url: server.url }, 'gk:', log);
const store = new RedisSessions(conn, { keyPrefix: 'gk:', log, maxPerUser: 100_000 });
const capped = new RedisSessions(conn, { keyPrefix: 'gk:', log });
t.teardown(async () => {
  await conn.close();
  await raw.quit();
  await server.stop();
});
await raw.config('SET', 'slowlog-log-slower-than', '0');
await raw.config('SET', 'slowlog-max-len', '100000');
const clock = new ManualClock();

/** `n` sessions of `userId`, the i-th last active i ms ago (so the oldest is the last), 200 in flight. */
async function fill(s: RedisSessions, userId: string, n: number): Promise<SessionRecord[]> {
  const now = clock.now();
  const records = Array.from({ length: n }, (_, i) => sessionFor(clock, { userId, lastActiveAt: now - i }));
  for (let i = 0; i < n; i += 200)
    await Promise.all(records.slice(i, i + 200).map((r) => s.createSession(r, unlimited, now)));
  return records;
}

type SlowlogEntry = [number, number, number, string[]];
/** The durations (µs) of the scripts Redis ran since the last SLOWLOG RESET. */
async function scriptMicros(): Promise<number[]> {
  const entries = (await raw.slowlog('GET', -1)) as SlowlogEntry[];
  return entries.filter((e) => /^(evalsha|eval)$/i.test(String(e[3][0]))).map((e) => Number(e[2]));
}

/** Calls of every command so far but the test's own (INFO, SLOWLOG, CONFIG). */
async function commandCalls(): Promise<number> {
  let total = 0;
  for (const m of (await raw.info('commandstats')).matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm))
    if (!['info', 'slowlog', 'config'].includes(m[1] ?? '')) total += Number(m[2]);
  return total;
}

for (const n of [1000, 3000]) {
  t.test(`revoke-all of ${n} sessions: every one removed, no script long`, async (t) => {
    const userId = `many-${n}`;
    const records = await fill(store, userId, n);
    t.equal((await store.listUserSessions('acme', userId, clock.now())).length, n, 'all written');
    await raw.slowlog('RESET');
    const removed = await store.deleteUserSessions('acme', userId);
    const scripts = await scriptMicros();
    t.equal(removed.length, n, 'every session reported revoked');
    t.same(removed.map((s) => s.id).sort(), records.map((s) => s.id).sort(), 'exactly the user’s sessions');
    t.equal((await store.listUserSessions('acme', userId, clock.now())).length, 0, 'none listed after');
    t.equal(await raw.exists(...records.slice(0, 50).map((r) => `gk:${sessionKeyOf(r)}`)), 0, 'the records are gone');
    const longest = Math.max(...scripts);
    t.ok(scripts.length > n / 100, `in chunks: ${scripts.length} scripts`);
    t.ok(longest < SCRIPT_BOUND_US, `longest revoke-all script ${longest} µs < ${SCRIPT_BOUND_US} µs`);
    const sorted = [...scripts].sort((a, b) => a - b);
    t.comment(
      `revoke-all of ${n}: ${scripts.length} scripts, median ${sorted[Math.floor(sorted.length / 2)]} µs, longest ${longest} µs`,
    );
  });
}

t.test('one login runs as many Redis calls with 10 sessions as with 3,000', async (t) => {
  const calls: Record<number, number> = {};
  for (const n of [10, 3000]) {
    const userId = `calls-${n}`;
    await fill(store, userId, n);
    // One login first, so that both measured logins find their indexes in the same shape.
    await store.createSession(sessionFor(clock, { userId }), unlimited, clock.now());
    const before = await commandCalls();
    await store.createSession(sessionFor(clock, { userId }), unlimited, clock.now());
    calls[n] = (await commandCalls()) - before;
    await store.deleteUserSessions('acme', userId);
  }
  t.ok(calls[10]! > 1, `a login runs ${calls[10]} calls`);
  t.equal(calls[3000], calls[10], `${calls[3000]} calls with 3,000 sessions, ${calls[10]} with 10`);
});

t.test(`the per-user cap (${MAX_SESSIONS_PER_USER}) evicts the least recently active`, async (t) => {
  const userId = 'capped';
  const records = await fill(capped, userId, MAX_SESSIONS_PER_USER);
  const oldest = records.at(-1)!;
  const next = records.at(-2)!;
  const fresh = sessionFor(clock, { userId });
  const r = await capped.createSession(fresh, unlimited, clock.now());
  t.same(r, { ok: true, evicted: [oldest.id] }, 'the oldest is evicted and announced');
  const ids = new Set((await capped.listUserSessions('acme', userId, clock.now())).map((s) => s.id));
  t.equal(ids.size, MAX_SESSIONS_PER_USER, 'still at the cap');
  t.notOk(ids.has(oldest.id), 'the oldest is gone');
  t.ok(ids.has(next.id) && ids.has(fresh.id), 'the next oldest and the new one stay');
  t.equal(await capped.getSession('acme', oldest.id), null, 'the evicted session no longer reads');
  await capped.deleteUserSessions('acme', userId);
});
