#!/usr/bin/env node
// @ts-check
/* global process, console, URL */
// What identity headers (X-Auth-* and the signed X-Auth-Jwt) cost with many active sessions
// (issue 16 item 5). One gateway (src through tsx, Redis store), two apps in front of the same
// upstream that differ only in `identityHeaders`, N sessions written straight into Redis with
// the store's own createSession, and wrk sending each request with the next session's cookie
// (all N cycle, round robin: each run starts where the previous one of that app stopped, so a
// session comes back only after the N-1 others — the worst case for the assertion cache, whose
// entries serve 30 s). For each N the two apps alternate, with / without / with / without …, and
// the table gives the median req/s of each and the cost of the headers, from the same run.
//   node --import tsx bench/identity-sessions.mjs [--sessions 1000,100000] [--seconds 8] [--rounds 3] [--warmup 3]
// Servers (gateway, Redis, upstream) are pinned to core 0 and wrk to core 1 when taskset exists.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import pino from 'pino';
import { RedisStore } from '../src/store/redis.js';
import { hashPassword } from '../src/session/password.js';
import { hashSecret, newSecret, newSessionId } from '../src/session/ids.js';
import { formatCookieValue } from '../src/session/cookie.js';
import { generateJwks } from '../src/tokens/keys.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const arg = (/** @type {string} */ name, /** @type {string} */ dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
const SIZES = arg('sessions', '1000,100000').split(',').map(Number);
const SECONDS = Number(arg('seconds', '8'));
const ROUNDS = Number(arg('rounds', '3'));
const WARMUP = Number(arg('warmup', '3'));
const USERS = 1000; // sessions spread over this many users (a user's session index stays short)
const CONNECTIONS = 50;
const SLUG = 'bench';
const WITH = 'with-id.test';
const WITHOUT = 'no-id.test';
const taskset = spawnSync('taskset', ['--version']).status === 0;
/** @type {import('node:child_process').ChildProcess[]} */
const children = [];

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (s.address());
      s.close(() => resolve(port));
    });
  });

/** Starts `cmd` pinned to `cpu`, resolves with the first match of `re` in its stdout. */
function start(/** @type {string} */ cpu, /** @type {string[]} */ cmd, /** @type {RegExp} */ re) {
  const [file, ...args] = taskset ? ['taskset', '-c', cpu, ...cmd] : cmd;
  const child = spawn(/** @type {string} */ (file), args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (c) => {
      out += c;
      const m = re.exec(out);
      if (m) resolve(m[1] ?? m[0]);
    });
    child.stderr?.on('data', (c) => (out += c));
    child.once('exit', (code) => reject(new Error(`${cmd.join(' ')} exited ${code}:\n${out.slice(-2000)}`)));
  });
}

/** utime + stime of `pid` in µs (/proc; clock ticks are 100 Hz on Linux). */
function cpuUs(/** @type {number} */ pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** One wrk run; `from`: the session (cookie index) it starts after. */
function wrk(/** @type {string} */ url, /** @type {string} */ script, from = 0, seconds = SECONDS) {
  const cmd = ['wrk', '-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', '-s', script, url, '--', String(from)];
  const r = taskset
    ? spawnSync('taskset', ['-c', '1', ...cmd], { encoding: 'utf8' })
    : spawnSync('wrk', cmd.slice(1), { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(r.stdout)?.[1] ?? 0);
  const p99 = /99%\s+([\d.]+\w+)/.exec(r.stdout)?.[1] ?? '?';
  const requests = Number(/(\d+) requests in/.exec(r.stdout)?.[1] ?? NaN);
  if (!Number.isFinite(rps)) throw new Error(`wrk failed: ${r.stdout}${r.stderr}`);
  return { rps, non2xx, p99, requests };
}

const median = (/** @type {number[]} */ xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'gk-idbench-'));
  try {
    const redisPort = await freePort();
    await start(
      '0',
      ['redis-server', '--port', String(redisPort), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'],
      /Ready to accept connections/,
    );
    const upstreamUrl = await start('0', [process.execPath, 'bench/servers/upstream.mjs'], /listening on (\S+)/);
    const hash = await hashPassword('bench-password-not-secret', { ln: 10 });
    const users = Array.from(
      { length: USERS },
      (_, i) =>
        `      - { id: u${i}, username: user${i}, email: user${i}@bench.test, name: "Bench User ${i}", roles: [staff], passwordHash: "${hash}" }`,
    );
    await writeFile(join(dir, 'keys.json'), JSON.stringify(await generateJwks('RS256')), { mode: 0o600 });
    const app = (/** @type {string} */ name, /** @type {string} */ host, /** @type {boolean} */ id) =>
      `      - { name: ${name}, hosts: [${host}], upstream: ${upstreamUrl}, identityHeaders: ${id}, routes: [{ path: /**, require: authenticated }] }`;
    await writeFile(
      join(dir, 'gateway.yaml'),
      `server: { listen: 127.0.0.1:0, publicUrl: http://gw.bench.test, trustedProxies: [loopback], shutdownTimeout: 2s }
store: { redis: redis://127.0.0.1:${redisPort}, keyPrefix: "gk:" }
keys: { file: ${JSON.stringify(join(dir, 'keys.json'))}, algorithm: RS256 }
tenants:
  ${SLUG}:
    settings: { idleTimeout: 24h, sessionLifetime: 24h }
    users:
${users.join('\n')}
    apps:
${app('with-id', WITH, true)}
${app('no-id', WITHOUT, false)}
`,
    );
    const store = new RedisStore(
      { url: `redis://127.0.0.1:${redisPort}` },
      { keyPrefix: 'gk:', log: pino({ level: 'silent' }) },
    );
    const gwUrl = await start(
      '0',
      [process.execPath, '--import', 'tsx', 'src/main.ts', 'start', '--config', join(dir, 'gateway.yaml')],
      /listening on (http:\/\/127\.0\.0\.1:\d+)/,
    );
    // taskset execs node: this is the gateway's own pid.
    const gwPid = /** @type {number} */ (children.at(-1)?.pid);
    console.log(
      `gateway ${gwUrl}, Redis :${redisPort}, ${taskset ? 'servers on core 0, wrk on core 1' : 'no taskset: servers and wrk share the cores'}`,
    );

    /** @type {string[]} */
    const cookies = [];
    const rows = [];
    for (const n of SIZES) {
      const t0 = Date.now();
      const now = Date.now();
      // Straight into Redis with the store's own createSession, 50 at a time; a batch that times
      // out (a busy machine, the store's short command timeout) is written again: same ids, same effect.
      while (cookies.length < n) {
        const batch = [];
        for (let k = 0; k < 50 && cookies.length < n; k++) {
          const userId = `u${cookies.length % USERS}`;
          const secret = newSecret();
          const id = newSessionId(SLUG, userId);
          cookies.push(`gk_${SLUG}=${formatCookieValue(id, secret)}`);
          batch.push(() =>
            store.createSession(
              {
                id,
                tenant: SLUG,
                userId,
                kind: 'browser',
                secretHash: hashSecret(secret),
                clientId: null,
                ipAddress: '127.0.0.1',
                userAgent: 'bench',
                authMethod: 'password',
                amr: ['pwd'],
                mfaAt: null,
                rememberMe: false,
                createdAt: now,
                lastActiveAt: now,
                authTime: now,
                expiresAt: now + 86_400_000,
                idleTimeoutMs: 86_400_000,
              },
              { max: 0, policy: 'evict-oldest' },
              now,
            ),
          );
        }
        for (let attempt = 1; ; attempt++) {
          try {
            await Promise.all(batch.map((create) => create()));
            break;
          } catch (err) {
            if (attempt === 5) throw err;
          }
        }
      }
      const cookieFile = join(dir, `cookies-${n}.txt`);
      await writeFile(cookieFile, cookies.slice(0, n).join('\n') + '\n');
      console.log(`${n} sessions ready (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      /** @type {Record<string, string>} */
      const scripts = { [WITH]: join(dir, `with-${n}.lua`), [WITHOUT]: join(dir, `without-${n}.lua`) };
      for (const host of [WITH, WITHOUT]) {
        await writeFile(
          /** @type {string} */ (scripts[host]),
          `local cookies = {}
for line in io.lines(${JSON.stringify(cookieFile)}) do cookies[#cookies + 1] = line end
local i = 0
-- The bench passes where the previous run of this app stopped: over the rounds every session comes round.
init = function(args) i = tonumber(args[1]) or 0 end
request = function()
  i = i % #cookies + 1
  return wrk.format("GET", "/", { ["Host"] = "${host}", ["Cookie"] = cookies[i] })
end
`,
        );
      }
      // Warm-up: JIT, connection pools, and every session's first assertion signed.
      /** @type {Record<string, number>} where each app's next run starts in the cookie list */
      const next = { [WITH]: 0, [WITHOUT]: 0 };
      const advance = (/** @type {string} */ host, /** @type {number} */ requests) =>
        (next[host] = ((next[host] ?? 0) + requests) % n);
      for (const host of [WITH, WITHOUT])
        advance(host, wrk(gwUrl, /** @type {string} */ (scripts[host]), next[host], WARMUP).requests);
      /** @typedef {{ rps: number, non2xx: number, p99: string, cpuPerReq: number }} Run */
      /** @type {Run[]} */
      const withRuns = [];
      /** @type {Run[]} */
      const withoutRuns = [];
      for (let r = 0; r < ROUNDS; r++)
        for (const host of r % 2 ? [WITHOUT, WITH] : [WITH, WITHOUT]) {
          const cpu0 = cpuUs(gwPid);
          const run = wrk(gwUrl, /** @type {string} */ (scripts[host]), next[host]);
          advance(host, run.requests);
          const res = { ...run, cpuPerReq: (cpuUs(gwPid) - cpu0) / run.requests };
          (host === WITH ? withRuns : withoutRuns).push(res);
          console.log(
            `  ${n} sessions, ${host === WITH ? 'identity headers   ' : 'no identity headers'}: ${res.rps.toFixed(0)} req/s, gateway CPU ${res.cpuPerReq.toFixed(0)} µs/req, p99 ${res.p99}, non-2xx ${res.non2xx}`,
          );
        }
      const w = median(withRuns.map((x) => x.rps));
      const wo = median(withoutRuns.map((x) => x.rps));
      const cw = median(withRuns.map((x) => x.cpuPerReq));
      const cwo = median(withoutRuns.map((x) => x.cpuPerReq));
      rows.push({ n, w, wo, cw, cwo, non2xx: [...withRuns, ...withoutRuns].reduce((s, x) => s + x.non2xx, 0) });
    }
    await store.close();
    console.log(
      `\nidentity headers with N active sessions cycling, median of ${ROUNDS} rounds × ${SECONDS} s after ${WARMUP} s warm-up each, wrk -t1 -c${CONNECTIONS}`,
    );
    console.log(
      '| active sessions | with identity headers: req/s | without: req/s | req/s lost | with: gateway CPU µs/req | without: CPU µs/req | CPU added | non-2xx |',
    );
    console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const r of rows)
      console.log(
        `| ${r.n.toLocaleString('en')} | ${r.w.toFixed(0)} | ${r.wo.toFixed(0)} | ${(((r.wo - r.w) / r.wo) * 100).toFixed(1)} % | ${r.cw.toFixed(0)} | ${r.cwo.toFixed(0)} | ${(((r.cw - r.cwo) / r.cwo) * 100).toFixed(1)} % | ${r.non2xx} |`,
      );
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  for (const c of children) c.kill('SIGKILL');
  process.exit(1);
});
