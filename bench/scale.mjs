#!/usr/bin/env node
// @ts-check
/* global process, console, performance */
// `npm run bench:scale` (issue 16 item 7): the store at 1,000,000 sessions of 100,000 users,
// built on a private redis-server with the store's own code (RedisSessions.createSession, the
// script every login runs, many in flight so the client pipelines them, one writer process
// per core: bench/lib/session-writer.mjs), then:
//   memory     Redis used_memory delta / sessions written (every index and hash included)
//   per user   first page (50), whole list, revoke-all, the Redis calls of one login and the
//              longest scripts (SLOWLOG) for users with 10 and with 1,000 sessions, in the
//              1M store (bench/lib/user-sessions.mjs, as bench/sessions-scale.mjs)
//   cookie     req/s and p99 of the same session cookies (one each of --cookies users, cycled
//              by wrk) through a gateway on the 1M store and through a gateway on an empty
//              store, rounds interleaved (empty full full empty …), median of each
//   directory  admin list paging and SIGHUP reload with 100,000 users: bench/directory.mjs,
//              when present (its JSON folded in)
// Prints a table and writes bench/results/scale.json. Servers (Redis, gateways, upstream) are
// pinned to the first half of the cores and wrk to the other when taskset exists.
//   npm run bench:scale -- [--sessions 1000000] [--users 100000] [--rounds 5] [--seconds 8]
//                          [--cookie-rounds 3] [--cookies 1000] [--no-build] [--no-directory] [--json FILE]
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pino from 'pino';
import { formatCookieValue } from '../src/session/cookie.js';
import { hashSecret, newSecret, newSessionId } from '../src/session/ids.js';
import { hashPassword } from '../src/session/password.js';
import { RedisConnection } from '../src/store/redis-connection.js';
import { RedisSessions } from '../src/store/redis-sessions.js';
import { MAX_SESSIONS_PER_USER } from '../src/store/sessions.js';
import { generateJwks } from '../src/tokens/keys.js';
import { build, startGateway } from './lib/gateway.mjs';
import { parseWrk } from './lib/loadgen.mjs';
import {
  cpuPlan,
  freePort,
  killAllChildren,
  pinSelf,
  runToEnd,
  spawnPinned,
  stopChild,
  waitForLine,
  which,
} from './lib/proc.mjs';
import { writeSessions } from './lib/session-writer.mjs';
import { UNLIMITED, fillUser, logEveryCommand, measureUser, sessionRecord } from './lib/user-sessions.mjs';

/** @typedef {import('./lib/types.js').Child} Child */

const HERE = dirname(fileURLToPath(import.meta.url));
const SLUG = 'scale';
const HOST = 'scale.bench.test';
const CONNECTIONS = 50;
const WARMUP_S = 3;

function options() {
  const { values } = parseArgs({
    options: {
      sessions: { type: 'string', default: '1000000' },
      users: { type: 'string', default: '100000' },
      rounds: { type: 'string', default: '5' },
      seconds: { type: 'string', default: '8' },
      'cookie-rounds': { type: 'string', default: '3' },
      cookies: { type: 'string', default: '1000' },
      'no-build': { type: 'boolean', default: false },
      'no-directory': { type: 'boolean', default: false },
      json: { type: 'string', default: join(HERE, 'results', 'scale.json') },
    },
  });
  return {
    sessions: Number(values.sessions),
    users: Number(values.users),
    rounds: Number(values.rounds),
    seconds: Number(values.seconds),
    cookieRounds: Number(values['cookie-rounds']),
    cookies: Number(values.cookies),
    build: !values['no-build'],
    directory: !values['no-directory'],
    json: values.json,
  };
}

const log = (/** @type {unknown[]} */ ...a) => console.log(...a);
const sec = (/** @type {number} */ t0) => (performance.now() - t0) / 1000;
const median = (/** @type {number[]} */ xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const mean = (/** @type {number[]} */ xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const r1 = (/** @type {number} */ x) => Math.round(x * 10) / 10;
const r2 = (/** @type {number} */ x) => Math.round(x * 100) / 100;

/** A private redis-server (no persistence) and the store's sessions concern on it. @param {string | null} cpus */
async function startRedis(cpus) {
  const port = await freePort();
  const child = spawnPinned(cpus, 'redis-server', [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
  ]);
  await waitForLine(child, /Ready to accept connections/, { label: 'redis-server' });
  const raw = new Redis(port);
  const silent = pino({ level: 'silent' });
  const conn = new RedisConnection({ url: `redis://127.0.0.1:${port}` }, 'gk:', silent);
  const store = new RedisSessions(conn, { keyPrefix: 'gk:', log: silent });
  if (conn.client.status !== 'ready')
    await new Promise((/** @type {(v?: unknown) => void} */ resolve) => conn.client.once('ready', resolve));
  const close = async () => {
    await conn.close();
    await raw.quit();
    await stopChild(child);
  };
  return { url: `redis://127.0.0.1:${port}`, raw, store, close };
}

/** @param {Redis} raw @param {string} field */
const info = async (raw, field) => Number(new RegExp(`^${field}:(\\d+)`, 'm').exec(await raw.info())?.[1] ?? NaN);

/** The gateway's config: one tenant, --cookies users, one app without identity headers (the store's path, not the signer's), the keys every instance shares. */
async function gatewayConfig(
  /** @type {string} */ dir,
  /** @type {string} */ name,
  /** @type {string} */ redisUrl,
  /** @type {string} */ upstreamUrl,
  /** @type {number} */ users,
) {
  const hash = await hashPassword('scale-bench-password-not-secret', { ln: 10 });
  const lines = Array.from(
    { length: users },
    (_, i) =>
      `      - { id: c${i}, username: cookie${i}, email: cookie${i}@scale.test, name: "Cookie User ${i}", roles: [], passwordHash: "${hash}" }`,
  );
  const keys = join(dir, 'keys.json');
  if (!existsSync(keys)) await writeFile(keys, JSON.stringify(await generateJwks('RS256')), { mode: 0o600 });
  const file = join(dir, `${name}.yaml`);
  await writeFile(
    file,
    `# written by bench/scale.mjs
server: { listen: 127.0.0.1:0, publicUrl: http://gw.${HOST}, trustedProxies: [loopback], shutdownTimeout: 2s }
store: { redis: ${redisUrl}, keyPrefix: "gk:" }
keys: { file: ${JSON.stringify(keys)}, algorithm: RS256 }
tenants:
  ${SLUG}:
    settings: { idleTimeout: 24h, sessionLifetime: 24h }
    users:
${lines.join('\n')}
    apps:
      - { name: app, hosts: [${HOST}], upstream: ${upstreamUrl}, identityHeaders: false, routes: [{ path: /**, require: authenticated }] }
`,
  );
  return file;
}

/** wrk with every request carrying the next cookie of `cookieFile`; parsed result. */
async function wrk(
  /** @type {string | null} */ cpus,
  /** @type {string} */ url,
  /** @type {string} */ script,
  /** @type {number} */ seconds,
) {
  const r = await runToEnd(
    cpus,
    'wrk',
    ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', '-s', script, `${url}/`],
    { timeoutMs: (seconds + 30) * 1000 },
  );
  const res = parseWrk(r.stdout);
  if (res.rps === null) throw new Error(`wrk failed: ${r.stdout}${r.stderr}`);
  return res;
}

async function main() {
  const o = options();
  const started = performance.now();
  if (!which('redis-server'))
    throw new Error('redis-server is not installed (Debian: apt-get install -y redis-server)');
  if (!which('wrk')) throw new Error('wrk is not installed (Debian: apt-get install -y wrk)');
  const cpus = cpuPlan();
  log(
    `${os.cpus().length} CPUs; ${cpus.pinned ? `servers on core ${cpus.server}, wrk on core ${cpus.load}` : `no pinning: ${cpus.reason}`}`,
  );
  /** @type {Record<string, any>} */
  const results = {
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    // Other work on the machine shows here: every number below is wall time.
    loadAverage: os.loadavg().map(r1),
    node: process.version,
    sessions: o.sessions,
    users: o.users,
  };
  if (o.build) {
    const t0 = performance.now();
    const b = await build();
    if (!b.ok) log(`note: the build reported errors (dist/ may lag the source):\n${b.output.slice(-1500)}`);
    log(`build: ${sec(t0).toFixed(1)} s`);
  }
  const dir = await mkdtemp(join(os.tmpdir(), 'gk-bench-scale-'));
  /** @type {Child | null} */
  let upstream = null;
  /** @type {Awaited<ReturnType<typeof startRedis>>[]} */
  const redises = [];
  /** @type {Child[]} */
  const gateways = [];
  try {
    const full = await startRedis(cpus.server);
    const empty = await startRedis(cpus.server);
    redises.push(full, empty);
    results.redis = /redis_version:(\S+)/.exec(await full.raw.info('server'))?.[1];

    // --- 1M sessions of 100k users -------------------------------------------------------------
    const now = Date.now();
    const memBefore = await info(full.raw, 'used_memory');
    let t0 = performance.now();
    await writeSessions(
      { redisUrl: full.url, tenant: SLUG, users: o.users, now, total: o.sessions, writers: os.cpus().length },
      (done) => log(`  ${done.toLocaleString('en')} sessions written (${sec(t0).toFixed(0)} s)`),
    );
    const writeS = sec(t0);
    const memAfter = await info(full.raw, 'used_memory');
    results.write = {
      seconds: r1(writeS),
      perSecond: Math.round(o.sessions / writeS),
      keys: await full.raw.dbsize(),
      usedMemoryMb: r1(memAfter / 1048576),
      bytesPerSession: Math.round((memAfter - memBefore) / o.sessions),
    };
    log(
      `${o.sessions.toLocaleString('en')} sessions of ${o.users.toLocaleString('en')} users written in ${writeS.toFixed(1)} s; ` +
        `Redis used_memory ${results.write.usedMemoryMb} MB, ${results.write.bytesPerSession} B per session`,
    );

    // --- per-user list and revoke-all in the 1M store ---------------------------------------------
    // From here this process only measures and waits: off the servers' core.
    if (cpus.pinned) pinSelf(cpus.load);
    await logEveryCommand(full.raw);
    results.perUser = [];
    for (const n of [10, 1000]) {
      const runs = [];
      for (let r = 0; r < o.rounds; r++) {
        // 10: users of the 1M set as they are; 1,000: users filled up to the cap here.
        const user = n === 10 && o.sessions / o.users === 10 ? `u${r}` : `big${n}-${r}`;
        if (user.startsWith('big')) await fillUser(full.store, SLUG, user, n, now);
        runs.push(await measureUser(full.store, full.raw, SLUG, user, n, now, MAX_SESSIONS_PER_USER));
      }
      results.perUser.push({
        sessions: n,
        pageMs: r2(mean(runs.map((x) => x.pageMs))),
        listMs: r2(mean(runs.map((x) => x.listMs))),
        revokeMs: r2(mean(runs.map((x) => x.revokeMs))),
        revokeScripts: runs.at(-1)?.revokeScripts,
        longestRevokeScriptUs: Math.max(...runs.map((x) => x.longestRevokeScriptUs)),
        createCalls: runs.at(-1)?.createCalls,
        longestCreateScriptUs: Math.max(...runs.map((x) => x.createScriptUs)),
      });
    }
    await full.raw.config('SET', 'slowlog-log-slower-than', '10000');
    await full.raw.slowlog('RESET');

    // --- the cookie path: 1M store vs empty store ------------------------------------------------
    /** @type {string[]} */
    const cookies = [];
    for (let i = 0; i < o.cookies; i++) {
      const secret = newSecret();
      const record = sessionRecord(SLUG, `c${i}`, now, {
        id: newSessionId(SLUG, `c${i}`),
        secretHash: hashSecret(secret),
      });
      cookies.push(`gk_${SLUG}=${formatCookieValue(record.id, secret)}`);
      for (const r of redises) await r.store.createSession(record, UNLIMITED, now);
    }
    const cookieFile = join(dir, 'cookies.txt');
    await writeFile(cookieFile, `${cookies.join('\n')}\n`);
    const script = join(dir, 'cookies.lua');
    await writeFile(
      script,
      `local cookies = {}
for line in io.lines(${JSON.stringify(cookieFile)}) do cookies[#cookies + 1] = line end
local i = 0
request = function()
  i = i % #cookies + 1
  return wrk.format("GET", "/", { ["Host"] = "${HOST}", ["Cookie"] = cookies[i] })
end
`,
    );
    upstream = spawnPinned(cpus.server, process.execPath, [join(HERE, 'servers', 'upstream.mjs')]);
    const upstreamUrl = (await waitForLine(upstream, /listening on (\S+)/, { label: 'upstream' }))[1] ?? '';
    /** @type {Record<'empty' | 'full', string>} */
    const urls = { empty: '', full: '' };
    for (const [name, r] of /** @type {const} */ ([
      ['full', full],
      ['empty', empty],
    ])) {
      const gw = await startGateway(await gatewayConfig(dir, name, r.url, upstreamUrl, o.cookies), cpus.server, name);
      gateways.push(gw.child);
      urls[name] = gw.url;
    }
    for (const name of /** @type {const} */ (['empty', 'full'])) {
      const w = await wrk(cpus.load, urls[name], script, WARMUP_S);
      if (w.non2xx > 0 || w.errors > 0)
        throw new Error(`${name} store: ${w.non2xx} non-2xx and ${w.errors} socket errors in the warm-up`);
    }
    /** @type {Record<'empty' | 'full', ReturnType<typeof parseWrk>[]>} */
    const runs = { empty: [], full: [] };
    for (let r = 0; r < o.cookieRounds; r++)
      for (const name of /** @type {('empty' | 'full')[]} */ (r % 2 ? ['full', 'empty'] : ['empty', 'full'])) {
        const w = await wrk(cpus.load, urls[name], script, o.seconds);
        runs[name].push(w);
        log(`  cookie path, ${name} store: ${w.rps?.toFixed(0)} req/s, p99 ${w.p99Ms} ms, non-2xx ${w.non2xx}`);
      }
    /** @param {ReturnType<typeof parseWrk>[]} rs */
    const summary = (rs) => ({
      rps: Math.round(median(rs.map((x) => x.rps ?? NaN))),
      p99Ms: r2(median(rs.map((x) => x.p99Ms ?? NaN))),
      p50Ms: r2(median(rs.map((x) => x.p50Ms ?? NaN))),
      non2xx: rs.reduce((a, x) => a + x.non2xx + x.errors, 0),
      rounds: rs.map((x) => Math.round(x.rps ?? NaN)),
    });
    results.cookie = {
      cookies: o.cookies,
      connections: CONNECTIONS,
      seconds: o.seconds,
      empty: summary(runs.empty),
      full: summary(runs.full),
    };
    for (const g of gateways.splice(0)) await stopChild(g);
    await stopChild(upstream);
    for (const r of redises.splice(0)) await r.close();

    // --- the user directory: bench/directory.mjs, when there ---------------------------------------
    const directoryBench = join(HERE, 'directory.mjs');
    if (!o.directory) results.directory = { skipped: '--no-directory' };
    else if (!existsSync(directoryBench)) results.directory = { skipped: 'bench/directory.mjs is not in this tree' };
    else {
      t0 = performance.now();
      const out = join(dir, 'directory.json');
      const d = await runToEnd(
        null,
        process.execPath,
        [directoryBench, '--no-build', '--samples', '3', '--json', out],
        {
          timeoutMs: 400_000,
        },
      );
      results.directory =
        d.code === 0 && existsSync(out)
          ? { seconds: r1(sec(t0)), ...JSON.parse(await readFile(out, 'utf8')) }
          : { failed: `exit ${d.code ?? d.signal}: ${(d.stdout + d.stderr).slice(-1500)}` };
    }
  } finally {
    for (const g of gateways) await stopChild(g);
    await stopChild(upstream);
    for (const r of redises) await r.close().catch(() => {});
    killAllChildren();
    await rm(dir, { recursive: true, force: true });
  }
  results.totalSeconds = Math.round(sec(started));
  print(results);
  await mkdir(dirname(o.json), { recursive: true });
  await writeFile(o.json, `${JSON.stringify(results, null, 2)}\n`);
  log(`\nwritten to ${o.json}`);
}

/** The table, in Markdown (the README quotes it). @param {Record<string, any>} r */
function print(r) {
  /** @type {string[]} */
  const rows = [];
  const row = (/** @type {string} */ what, /** @type {string} */ value) => rows.push(`| ${what} | ${value} |`);
  const w = r.write;
  row(
    `sessions written (store's createSession)`,
    `${r.sessions.toLocaleString('en')} of ${r.users.toLocaleString('en')} users in ${w.seconds} s (${w.perSecond.toLocaleString('en')}/s)`,
  );
  row(
    'Redis memory per session',
    `${w.bytesPerSession} B (used_memory ${w.usedMemoryMb} MB, ${w.keys.toLocaleString('en')} keys)`,
  );
  for (const u of r.perUser) {
    const n = u.sessions.toLocaleString('en');
    row(`user with ${n} sessions: first page (50) / whole list`, `${u.pageMs} ms / ${u.listMs} ms`);
    row(
      `user with ${n} sessions: revoke-all`,
      `${u.revokeMs} ms, ${u.revokeScripts} scripts, longest ${r2(u.longestRevokeScriptUs / 1000)} ms`,
    );
    row(
      `user with ${n} sessions: one more login${u.sessions >= MAX_SESSIONS_PER_USER ? ' (at the cap: evicts the oldest)' : ''}`,
      `${u.createCalls} Redis calls, script ${r2(u.longestCreateScriptUs / 1000)} ms`,
    );
  }
  const c = r.cookie;
  const cookieRow = (/** @type {string} */ name, /** @type {any} */ s) =>
    row(
      `cookie path, ${name} (${c.cookies.toLocaleString('en')} cookies, wrk -c${c.connections})`,
      `${s.rps.toLocaleString('en')} req/s (rounds ${s.rounds.join(', ')}), p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms, ${s.non2xx} non-2xx`,
    );
  cookieRow('empty store', c.empty);
  cookieRow(`${r.sessions.toLocaleString('en')} sessions`, c.full);
  const d = r.directory;
  if (d.skipped || d.failed) row('user directory (bench/directory.mjs)', `not measured: ${d.skipped ?? d.failed}`);
  else {
    const p = d.page ?? {};
    row(
      `GET /api/v1/users, ${d.users.toLocaleString('en')} users: first page (50) / page by cursor / limit=500`,
      `${p.first50?.ms} ms / ${p.middle50?.ms} ms / ${p.first500?.ms} ms`,
    );
    row('directory start / check-config', `${r1(d.startMs / 1000)} s / ${r1(d.checkConfigMs / 1000)} s`);
    const dr = d.duringReload ?? {};
    row(
      'SIGHUP reload: time / requests answered during it',
      `${r1(d.reloadMs / 1000)} s / ${dr.requests}, ${d.probeErrors ?? dr.errors ?? 0} failed, ` +
        `longest ${dr.maxMs} ms, p99 ${dr.p99Ms} ms${dr.over50 === undefined ? '' : `, ${dr.over50} over 50 ms`}`,
    );
    if (d.control)
      row(
        'the same requests before the reload (control)',
        `${d.control.requests}, longest ${d.control.maxMs} ms, p99 ${d.control.p99Ms} ms, ${d.control.over50} over 50 ms`,
      );
  }
  log(
    `\nbench:scale on ${r.cpus} CPUs (load average ${r.loadAverage.join(' ')} at the start), redis-server ${r.redis}, node ${r.node}; ${r.totalSeconds} s in all\n`,
  );
  log('| what | measured |\n| --- | --- |');
  for (const line of rows) log(line);
}

main().catch((err) => {
  console.error(err);
  killAllChildren();
  process.exit(1);
});
