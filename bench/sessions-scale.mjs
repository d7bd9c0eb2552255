// @ts-check
/* global process, console */
// Per-user session scale (issue 16 item 2): a user with 10 and with 1,000 sessions (and
// 3,000 written as before the per-user cap) on a real redis-server. Sessions are written
// with the store's own createSession. Reports, per size: the first page (50) of the user's
// sessions, the whole list, revoke-all, the Redis commands one creation runs (INFO
// commandstats), and the longest script Redis ran (SLOWLOG, threshold 0) during creation
// and revoke-all.
//   npm run bench:sessions            (= node --import tsx bench/sessions-scale.mjs)
//   node --import tsx bench/sessions-scale.mjs --sizes 10,1000,3000 --rounds 5
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import pino from 'pino';
import { newSessionId, hashSecret, newSecret } from '../src/session/ids.js';
import { RedisConnection } from '../src/store/redis-connection.js';
import { RedisSessions } from '../src/store/redis-sessions.js';

/** @typedef {import('../src/store/sessions.js').SessionRecord} SessionRecord */
/** @typedef {import('../src/store/sessions.js').ConcurrencyLimit} ConcurrencyLimit */
/** @typedef {[number, number, number, string[]]} SlowlogEntry id, unix time, µs, argv */

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
const MIN = 60_000;

/** @returns {Promise<number>} */
const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (s.address());
      s.close(() => resolve(port));
    });
  });

const port = await freePort();
const server = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'pipe' });
await new Promise((/** @type {(v?: unknown) => void} */ resolve) =>
  server.stdout.on('data', (d) => /Ready to accept/.test(String(d)) && resolve()),
);
const raw = new Redis(port);
const conn = new RedisConnection({ url: `redis://127.0.0.1:${port}` }, 'gk:', pino({ level: 'silent' }));
const store = new RedisSessions(conn, { keyPrefix: 'gk:', log: pino({ level: 'silent' }), maxPerUser: 100_000 });
if (conn.client.status !== 'ready')
  await new Promise((/** @type {(v?: unknown) => void} */ resolve) => conn.client.once('ready', resolve));

let now = Date.parse('2026-12-01T00:00:00Z');
/** @type {ConcurrencyLimit} */
const unlimited = { max: 0, policy: 'evict-oldest' };
/**
 * @param {string} userId
 * @param {Partial<SessionRecord>} [over]
 * @returns {SessionRecord}
 */
const session = (userId, over = {}) => ({
  id: newSessionId('acme', userId),
  tenant: 'acme',
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
 * @param {string} userId
 * @param {number} n
 */
async function fill(userId, n) {
  for (let i = 0; i < n; i += 200)
    await Promise.all(
      Array.from({ length: Math.min(200, n - i) }, (_, j) =>
        store.createSession(session(userId, { lastActiveAt: now - (i + j) }), unlimited, now),
      ),
    );
}
const commandCalls = async () => {
  let total = 0;
  for (const m of (await raw.info('commandstats')).matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm))
    if (!['info', 'slowlog', 'config'].includes(m[1] ?? '')) total += Number(m[2]);
  return total;
};
/** @returns {Promise<SlowlogEntry[]>} */
const slowlog = async () => /** @type {SlowlogEntry[]} */ (await raw.slowlog('GET', -1));
const longestScriptUs = async () => {
  const entries = await slowlog();
  return Math.max(0, ...entries.filter((e) => /^(evalsha|eval)$/i.test(String(e[3][0]))).map((e) => Number(e[2])));
};
/** @param {number[]} a */
const ms = (a) => (a.reduce((x, y) => x + y, 0) / a.length).toFixed(2);
/**
 * @template T
 * @param {() => Promise<T>} f
 * @returns {Promise<[number, T]>}
 */
const time = async (f) => {
  const t0 = process.hrtime.bigint();
  const r = await f();
  return [Number(process.hrtime.bigint() - t0) / 1e6, r];
};

await raw.config('SET', 'slowlog-log-slower-than', '0');
await raw.config('SET', 'slowlog-max-len', '1000000');
const rows = [];
for (const n of sizes) {
  /** @type {number[]} */
  const page = [];
  /** @type {number[]} */
  const list = [];
  /** @type {number[]} */
  const revoke = [];
  let createCmds = 0,
    createScriptUs = 0,
    revokeScriptUs = 0,
    chunks = 0;
  for (let r = 0; r < rounds; r++) {
    const user = `u${n}-${r}`;
    await fill(user, n);
    page.push((await time(() => store.listUserSessionsPage('acme', user, now, { limit: 50 })))[0]);
    const [t, all] = await time(() => store.listUserSessions('acme', user, now));
    if (all.length !== n) throw new Error(`listed ${all.length} of ${n}`);
    list.push(t);
    // One more login: how many Redis commands it runs, and how long its script held Redis.
    await raw.slowlog('RESET');
    const before = await commandCalls();
    await store.createSession(session(user), unlimited, now);
    createCmds = (await commandCalls()) - before - 1;
    createScriptUs = Math.max(createScriptUs, await longestScriptUs());
    await raw.slowlog('RESET');
    const [tr, removed] = await time(() => store.deleteUserSessions('acme', user));
    if (removed.length !== n + 1) throw new Error(`revoked ${removed.length} of ${n + 1}`);
    revoke.push(tr);
    revokeScriptUs = Math.max(revokeScriptUs, await longestScriptUs());
    chunks = (await slowlog()).filter((e) => /^evalsha$/i.test(String(e[3][0]))).length;
    if ((await store.listUserSessions('acme', user, now)).length !== 0) throw new Error('left over');
  }
  rows.push({
    sessions: n,
    'page 50 (ms)': ms(page),
    'list all (ms)': ms(list),
    'revoke-all (ms)': ms(revoke),
    'revoke scripts': chunks,
    'longest revoke script (µs)': revokeScriptUs,
    'create: redis calls': createCmds,
    'longest create script (µs)': createScriptUs,
  });
  now += 1;
}
console.log(`redis-server ${(await raw.info('server')).match(/redis_version:(\S+)/)?.[1]}, ${rounds} rounds, mean`);
console.table(rows);
await conn.client.quit();
await raw.quit();
server.kill();
