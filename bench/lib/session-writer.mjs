// @ts-check
/* global process */
// Writes many sessions into Redis with the store's own createSession, split over child
// processes (forked with tsx, which worker threads do not get on Node 20): the client side of a creation (ids, the secret's hash, the record's encoding, the
// command) costs more CPU than Redis' script, so one writer per core keeps Redis busy.
// Session i belongs to user `u${i % users}`, lastActiveAt spread over the 10 minutes before
// `now` (alive under a 30-minute idle timeout). Used by bench/scale.mjs.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { RedisConnection } from '../../src/store/redis-connection.js';
import { RedisSessions } from '../../src/store/redis-sessions.js';
import { UNLIMITED, inParallel, sessionRecord } from './user-sessions.mjs';

/** In flight per writer: enough for the client to fill each socket write, few enough to stay under the store's command timeout. */
const IN_FLIGHT = 100;

/** @typedef {{ redisUrl: string, tenant: string, users: number, now: number, from: number, to: number }} Share */

/**
 * Sessions [0, total) written by `writers` processes; `progress(done)` about every 100,000.
 * @param {{ redisUrl: string, tenant: string, users: number, now: number, total: number, writers: number }} job
 * @param {(done: number) => void} progress
 */
export async function writeSessions({ redisUrl, tenant, users, now, total, writers }, progress) {
  let done = 0;
  let reported = 0;
  const per = Math.ceil(total / writers);
  await Promise.all(
    Array.from({ length: writers }, (_, t) => {
      /** @type {Share} */
      const share = { redisUrl, tenant, users, now, from: t * per, to: Math.min(total, (t + 1) * per) };
      const child = fork(fileURLToPath(import.meta.url), [JSON.stringify(share)], { execArgv: ['--import', 'tsx'] });
      return new Promise((resolve, reject) => {
        child.on('message', (n) => {
          done += Number(n);
          if (done - reported >= 100_000) progress((reported = done - (done % 100_000)));
        });
        child.once('error', reject);
        child.once('exit', (code) => (code === 0 ? resolve(undefined) : reject(new Error(`writer exited ${code}`))));
      });
    }),
  );
}

/** A writer: its share of the sessions, reporting every 10,000 written. @param {Share} share */
async function writeShare({ redisUrl, tenant, users, now, from, to }) {
  const log = pino({ level: 'silent' });
  const conn = new RedisConnection({ url: redisUrl }, 'gk:', log);
  const store = new RedisSessions(conn, { keyPrefix: 'gk:', log });
  let unreported = 0;
  /** @type {Map<number, import('./user-sessions.mjs').SessionRecord>} the records in flight, the same one for a retry */
  const pending = new Map();
  await inParallel(to - from, IN_FLIGHT, async (k) => {
    const i = from + k;
    const at = now - (i % 600_000);
    let record = pending.get(i);
    if (!record)
      pending.set(i, (record = sessionRecord(tenant, `u${i % users}`, now, { lastActiveAt: at, createdAt: at })));
    await store.createSession(record, UNLIMITED, now);
    pending.delete(i);
    if (++unreported === 10_000) {
      process.send?.(unreported);
      unreported = 0;
    }
  });
  process.send?.(unreported);
  await conn.close();
}

// Forked by writeSessions (process.send exists only in a child with an IPC channel).
if (process.send && process.argv[1] === fileURLToPath(import.meta.url))
  await writeShare(/** @type {Share} */ (JSON.parse(process.argv[2] ?? '{}')));
