// @ts-check
/* global process, setTimeout */
// Sessions written straight into Redis with the store's own code (RedisSessions.createSession,
// so the records, indexes and generations are exactly what logins leave), and the per-user
// measurements of bench/sessions-scale.mjs and bench/scale.mjs: the first page of a user's
// sessions, the whole list, revoke-all, the Redis commands one creation runs (INFO
// commandstats) and the longest scripts (SLOWLOG with a threshold of 0).
import { hashSecret, newSecret, newSessionId } from '../../src/session/ids.js';

/** @typedef {import('../../src/store/sessions.js').SessionRecord} SessionRecord */
/** @typedef {import('../../src/store/sessions.js').ConcurrencyLimit} ConcurrencyLimit */
/** @typedef {Pick<import('../../src/store/redis-sessions.js').RedisSessions, 'createSession' | 'listUserSessions' | 'listUserSessionsPage' | 'deleteUserSessions'>} Sessions */
/** @typedef {import('ioredis').Redis} Redis */
/** @typedef {[number, number, number, string[]]} SlowlogEntry id, unix time, µs, argv */

const MIN = 60_000;

/** No concurrency limit: only the store's per-user cap applies. @type {ConcurrencyLimit} */
export const UNLIMITED = { max: 0, policy: 'evict-oldest' };

/**
 * A browser session as a password login leaves it, 24 h lifetime, 30 min idle timeout.
 * @param {string} tenant
 * @param {string} userId
 * @param {number} now
 * @param {Partial<SessionRecord>} [over]
 * @returns {SessionRecord}
 */
export const sessionRecord = (tenant, userId, now, over = {}) => ({
  id: newSessionId(tenant, userId),
  tenant,
  userId,
  kind: 'browser',
  secretHash: hashSecret(newSecret()),
  clientId: null,
  ipAddress: '203.0.113.7',
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0',
  authMethod: 'password',
  amr: ['pwd'],
  mfaAt: null,
  rememberMe: false,
  createdAt: now,
  lastActiveAt: now,
  authTime: now,
  expiresAt: now + 24 * 60 * MIN,
  idleTimeoutMs: 30 * MIN,
  ...over,
});

/**
 * Runs `make(i)` for i in [0, n) with at most `concurrency` in flight (the client pipelines
 * what is in flight). A call that fails (the store's short command timeout on a busy machine)
 * is made again, up to 8 times, after a growing pause: `make` must then do the same thing again
 * (write the same record), so that a timed-out call that did reach Redis leaves no twin.
 * @param {number} n
 * @param {number} concurrency
 * @param {(i: number) => Promise<unknown>} make
 */
export async function inParallel(n, concurrency, make) {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      for (let attempt = 1; ; attempt++) {
        try {
          await make(i);
          break;
        } catch (err) {
          if (attempt === 8) throw err;
          await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
}

/**
 * `n` sessions of one user, most recently active first by index (lastActiveAt now - i).
 * @param {Sessions} store
 * @param {string} tenant
 * @param {string} userId
 * @param {number} n
 * @param {number} now
 */
export async function fillUser(store, tenant, userId, n, now) {
  const records = Array.from({ length: n }, (_, i) => sessionRecord(tenant, userId, now, { lastActiveAt: now - i }));
  await inParallel(n, 200, (i) => store.createSession(/** @type {SessionRecord} */ (records[i]), UNLIMITED, now));
}

/** Calls of every command since the server started, but the bench's own (INFO, SLOWLOG, CONFIG). @param {Redis} raw */
export async function commandCalls(raw) {
  let total = 0;
  for (const m of (await raw.info('commandstats')).matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm))
    if (!['info', 'slowlog', 'config'].includes(m[1] ?? '')) total += Number(m[2]);
  return total;
}

/** @param {Redis} raw @returns {Promise<SlowlogEntry[]>} */
export const slowlog = async (raw) => /** @type {SlowlogEntry[]} */ (await raw.slowlog('GET', -1));

/** Durations (µs) of the scripts in the slowlog. @param {SlowlogEntry[]} entries */
export const scriptDurations = (entries) =>
  entries.filter((e) => /^(evalsha|eval)$/i.test(String(e[3][0]))).map((e) => Number(e[2]));

/** Every command is logged from here on, in a log long enough for a revoke-all of thousands. @param {Redis} raw */
export async function logEveryCommand(raw) {
  await raw.config('SET', 'slowlog-log-slower-than', '0');
  await raw.config('SET', 'slowlog-max-len', '1000000');
}

/**
 * @template T
 * @param {() => Promise<T>} f
 * @returns {Promise<[number, T]>} [milliseconds, result]
 */
export async function time(f) {
  const t0 = process.hrtime.bigint();
  const r = await f();
  return [Number(process.hrtime.bigint() - t0) / 1e6, r];
}

/**
 * One user with exactly `n` sessions already written: times the first page (50) and the
 * whole list, counts the Redis commands of one more login and its script's time, then
 * times revoke-all (the n + 1, or `cap` when that login evicted one) and reads its scripts
 * from the slowlog. Expects every command logged (logEveryCommand). Throws when a list or
 * revoke-all misses a session.
 * @param {Sessions} store
 * @param {Redis} raw
 * @param {string} tenant
 * @param {string} userId
 * @param {number} n
 * @param {number} now
 * @param {number} [cap] the store's per-user cap
 */
export async function measureUser(store, raw, tenant, userId, n, now, cap = Infinity) {
  const [pageMs] = await time(() => store.listUserSessionsPage(tenant, userId, now, { limit: 50 }));
  const [listMs, all] = await time(() => store.listUserSessions(tenant, userId, now));
  if (all.length !== n) throw new Error(`${userId}: listed ${all.length} of ${n}`);
  await raw.slowlog('RESET');
  const before = await commandCalls(raw);
  await store.createSession(sessionRecord(tenant, userId, now), UNLIMITED, now);
  const createCalls = (await commandCalls(raw)) - before - 1; // the calls its script made: all but the EVALSHA
  const createScriptUs = Math.max(0, ...scriptDurations(await slowlog(raw)));
  await raw.slowlog('RESET');
  const [revokeMs, removed] = await time(() => store.deleteUserSessions(tenant, userId));
  const expected = Math.min(n + 1, cap);
  if (removed.length !== expected) throw new Error(`${userId}: revoked ${removed.length} of ${expected}`);
  const revokeScripts = scriptDurations(await slowlog(raw));
  if ((await store.listUserSessions(tenant, userId, now)).length !== 0) throw new Error(`${userId}: left over`);
  return {
    pageMs,
    listMs,
    revokeMs,
    revokeScripts: revokeScripts.length,
    longestRevokeScriptUs: Math.max(0, ...revokeScripts),
    createCalls,
    createScriptUs,
  };
}
