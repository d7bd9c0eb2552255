// @ts-check
/* global process, console */
// Per-user session scale (issue 16 item 2): a user with 10 and with 1,000 sessions (and
// 3,000 written as before the per-user cap) on a real redis-server. Sessions are written
// with the store's own createSession. Reports, per size: the first page (50) of the user's
// sessions, the whole list, revoke-all, the Redis commands one creation runs (INFO
// commandstats), and the longest script Redis ran (SLOWLOG, threshold 0) during creation
// and revoke-all. The measurements are bench/lib/user-sessions.mjs (also used by scale.mjs).
//   npm run bench:sessions            (= node --import tsx bench/sessions-scale.mjs)
//   node --import tsx bench/sessions-scale.mjs --sizes 10,1000,3000 --rounds 5
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import pino from 'pino';
import { RedisConnection } from '../src/store/redis-connection.js';
import { RedisSessions } from '../src/store/redis-sessions.js';
import { freePort } from './lib/proc.mjs';
import { fillUser, logEveryCommand, measureUser } from './lib/user-sessions.mjs';

/**
 * @param {string} name
 * @param {string} dflt
 */
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return (i > 0 && process.argv[i + 1]) || dflt;
};
const sizes = arg('sizes', '10,1000,3000').split(',').map(Number);
const rounds = Number(arg('rounds', '5'));

const port = await freePort();
const server = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'pipe' });
await new Promise((/** @type {(v?: unknown) => void} */ resolve) =>
  server.stdout.on('data', (d) => /Ready to accept/.test(String(d)) && resolve()),
);
const raw = new Redis(port);
const log = pino({ level: 'silent' });
const conn = new RedisConnection({ url: `redis://127.0.0.1:${port}` }, 'gk:', log);
const store = new RedisSessions(conn, { keyPrefix: 'gk:', log, maxPerUser: 100_000 });
if (conn.client.status !== 'ready')
  await new Promise((/** @type {(v?: unknown) => void} */ resolve) => conn.client.once('ready', resolve));

let now = Date.parse('2026-12-01T00:00:00Z');
/** @param {number[]} a */
const ms = (a) => (a.reduce((x, y) => x + y, 0) / a.length).toFixed(2);

await logEveryCommand(raw);
const rows = [];
for (const n of sizes) {
  /** @type {Awaited<ReturnType<typeof measureUser>>[]} */
  const runs = [];
  for (let r = 0; r < rounds; r++) {
    const user = `u${n}-${r}`;
    await fillUser(store, 'acme', user, n, now);
    runs.push(await measureUser(store, raw, 'acme', user, n, now));
  }
  rows.push({
    sessions: n,
    'page 50 (ms)': ms(runs.map((x) => x.pageMs)),
    'list all (ms)': ms(runs.map((x) => x.listMs)),
    'revoke-all (ms)': ms(runs.map((x) => x.revokeMs)),
    'revoke scripts': runs.at(-1)?.revokeScripts,
    'longest revoke script (µs)': Math.max(...runs.map((x) => x.longestRevokeScriptUs)),
    'create: redis calls': runs.at(-1)?.createCalls,
    'longest create script (µs)': Math.max(...runs.map((x) => x.createScriptUs)),
  });
  now += 1;
}
console.log(`redis-server ${(await raw.info('server')).match(/redis_version:(\S+)/)?.[1]}, ${rounds} rounds, mean`);
console.table(rows);
await conn.client.quit();
await raw.quit();
server.kill();
