#!/usr/bin/env node
// @ts-check
/* global process, console */
// `npm run bench:profile`: where one server's work per request goes, measured in ways that
// do not depend on how busy the machine is. One server under test (a gateway mode or the
// bare undici passthrough) in front of the bench upstream, a warm-up, then a fixed number
// of requests from this process (keep-alive, `--connections` in flight), and one of:
//   --tool callgrind  instructions per request (valgrind; the counters are zeroed after the
//                     warm-up and dumped after the last request), by category and function
//   --tool cpu-prof   node --cpu-prof, self time per module and per function, samples of the
//                     measured window only
//   --tool memory     peak RSS, V8 heap spaces, external memory (sampled every 20 ms inside
//                     the server) and a heap snapshot summarised by constructor
//   --tool none       the requests alone (a check of the setup)
// Ablations: build a scratch copy of the gateway with one piece removed and point --dist at
// it (bench/README.md, Profiling).
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { callgrindPrefix, dumpCounters, instrumentOn, summarizeDump, zeroCounters } from './lib/callgrind.mjs';
import { summarizeCpuProfile } from './lib/cpuprofile.mjs';
import { Fleet } from './lib/fleet.mjs';
import { APP_HOST, ROOT, USER, build, configYaml, issueTokens, login } from './lib/gateway.mjs';
import { summarizeHeapSnapshot } from './lib/heap-snapshot.mjs';
import { killAllChildren, memKb, pidOf, runToEnd, spawnPinned, stopChild, waitForLine, which } from './lib/proc.mjs';
import { startUpstream, upstreamHits } from './lib/servers.mjs';

/** @typedef {import('./lib/types.js').Child} Child */

const MODES = ['gateway-cookie', 'gateway-bearer-hot', 'gateway-bearer-cold', 'bare-undici'];
const TOOLS = ['callgrind', 'cpu-prof', 'memory', 'none'];
const COLD_TOKENS = 1000;

const HELP = `usage: npm run bench:profile -- [options]
  --mode M          ${MODES.join(' | ')} (default gateway-cookie)
  --tool T          ${TOOLS.join(' | ')} (default cpu-prof)
  --requests N      measured requests (default: callgrind 1000, else 20000)
  --warmup N        requests before the window (default: callgrind 4000, else 10000)
  --connections N   requests in flight (default 50, like the bench)
  --dist DIR        the gateway build to run (default dist/, built first unless --no-build)
  --no-build        use dist/ as it is
  --top N           functions listed (default 25)
  --json FILE       also write the summary as JSON`;

function options() {
  const { values } = parseArgs({
    options: {
      mode: { type: 'string', default: 'gateway-cookie' },
      tool: { type: 'string', default: 'cpu-prof' },
      requests: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string', default: '50' },
      dist: { type: 'string' },
      'no-build': { type: 'boolean', default: false },
      top: { type: 'string', default: '25' },
      json: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const mode = values.mode ?? '';
  const tool = values.tool ?? '';
  if (!MODES.includes(mode)) throw new Error(`--mode must be one of ${MODES.join(', ')}\n${HELP}`);
  if (!TOOLS.includes(tool)) throw new Error(`--tool must be one of ${TOOLS.join(', ')}\n${HELP}`);
  const cg = tool === 'callgrind';
  /** @param {string | undefined} v @param {number} def @param {string} name */
  const int = (v, def, name) => {
    const n = v === undefined ? def : Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number`);
    return n;
  };
  return {
    mode,
    tool,
    requests: int(values.requests, cg ? 1000 : 20000, 'requests') || 1,
    warmup: int(values.warmup, cg ? 4000 : 10000, 'warmup'),
    connections: int(values.connections, 50, 'connections') || 1,
    dist: resolve(values.dist ?? join(ROOT, 'dist')),
    build: !values['no-build'] && values.dist === undefined,
    top: int(values.top, 25, 'top'),
    json: values.json ?? null,
  };
}

/** @param {string} dist @param {string[]} args @param {string} [input] */
async function cli(dist, args, input) {
  const r = await runToEnd(null, process.execPath, [join(dist, 'cli.js'), ...args], { input, timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`gatekeeper ${args[0]} failed (${r.code}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** Config and keys for the gateway under test, as the bench writes them. @param {string} dist @param {string} dir @param {string} redisUrl @param {string} upstreamUrl */
async function gatewayConfig(dist, dir, redisUrl, upstreamUrl) {
  const passwordHash = (await cli(dist, ['hash-password'], `${USER.password}\n`)).trim().split('\n').pop() ?? '';
  const keysFile = join(dir, 'keys.json');
  await writeFile(keysFile, await cli(dist, ['keys', 'generate', '--alg', 'ES256']), { mode: 0o600 });
  const file = join(dir, 'gateway.yaml');
  await writeFile(file, configYaml({ redisUrl, upstreamUrl, passwordHash, keysFile, alg: 'ES256' }));
  await cli(dist, ['check-config', '--config', file]);
  return file;
}

/**
 * `n` requests, `connections` in flight, every one 2xx (else it throws).
 * @param {Pool} pool
 * @param {Record<string, string>} headers
 * @param {string[] | null} tokens  one per request in turn
 * @param {number} n
 * @param {number} connections
 */
async function drive(pool, headers, tokens, n, connections) {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const h = tokens ? { ...headers, authorization: `Bearer ${tokens[i % tokens.length]}` } : headers;
      const r = await requestOnce(pool, h);
      const body = await r.body.text();
      if (r.statusCode < 200 || r.statusCode > 299)
        throw new Error(`request ${i} answered ${r.statusCode}: ${body.slice(0, 300)}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(connections, n) }, worker));
}

/**
 * One GET, sent again when the connection was found closed before any answer: a server
 * under valgrind answers so late that the client may reuse a keep-alive connection the
 * server is just closing (a request that reached the upstream would still show in the
 * upstream's count, which the measured window checks).
 * @param {Pool} pool
 * @param {Record<string, string>} headers
 */
async function requestOnce(pool, headers) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await pool.request({ path: '/', method: 'GET', headers });
    } catch (err) {
      const code = /** @type {{ code?: string }} */ (err).code;
      if (attempt >= 3 || (code !== 'ECONNRESET' && code !== 'UND_ERR_SOCKET')) throw err;
    }
  }
}

/** CLOCK_MONOTONIC in µs, the clock of V8's profile timestamps. */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/** @param {number} n */
const fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main() {
  const opt = options();
  const tmp = await mkdtemp(join(os.tmpdir(), 'gk-profile-'));
  const fleet = new Fleet(null, tmp);
  const log = (/** @type {string} */ s) => console.log(s);
  try {
    if (opt.build && opt.mode.startsWith('gateway-')) {
      log('building (npm run build)…');
      const b = await build();
      if (!b.ok) log(`the build reported errors (JavaScript emitted anyway):\n${b.output}`);
    }
    if (opt.mode.startsWith('gateway-') && !existsSync(join(opt.dist, 'main.js')))
      throw new Error(`no ${join(opt.dist, 'main.js')}: build first`);
    if (opt.tool === 'callgrind' && !which('valgrind'))
      throw new Error('valgrind is not installed (Debian: apt-get install -y valgrind)');
    const redisBin = which('redis-server');
    if (!redisBin) throw new Error('redis-server is not installed (Debian: apt-get install -y redis-server)');
    const redis = await fleet.startRedis(redisBin);
    const upstream = await startUpstream(fleet);

    const gateway = opt.mode.startsWith('gateway-');
    const script = gateway ? join(opt.dist, 'main.js') : join(ROOT, 'bench/servers/bare-undici.mjs');
    const args = gateway ? ['--config', await gatewayConfig(opt.dist, tmp, redis.url, upstream.url)] : [upstream.url];
    /** @type {string[]} */
    let prefix = [];
    /** @type {string[]} */
    const nodeFlags = [];
    /** @type {NodeJS.ProcessEnv} */
    const env = { ...process.env, LOG_LEVEL: 'warn', NODE_ENV: 'production' };
    if (opt.tool === 'callgrind') {
      prefix = callgrindPrefix(tmp);
      // Under valgrind the threads take turns: V8's background compiler would get its turn
      // late and its work (and the unoptimised code meanwhile) land in the measured window.
      // Compiled on the main thread instead, the warm-up ends with the code optimised.
      nodeFlags.push('--no-concurrent-recompilation');
    }
    if (opt.tool === 'cpu-prof') nodeFlags.push('--cpu-prof', `--cpu-prof-dir=${tmp}`, '--cpu-prof-interval=100');
    if (opt.tool === 'memory') {
      nodeFlags.push('--import', join(ROOT, 'bench/lib/memory-probe.mjs'));
      env.GK_PROBE_SNAPSHOT = join(tmp, 'end.heapsnapshot');
    }
    const argv = [...prefix, process.execPath, ...nodeFlags, script, ...args];
    const child = spawnPinned(null, /** @type {string} */ (argv[0]), argv.slice(1), { cwd: ROOT, env });
    fleet.track(opt.mode, child);
    const slow = opt.tool === 'callgrind' ? 20 : 1;
    const m = await waitForLine(child, /listening on (http:\/\/[^\s]+)/, { label: opt.mode, timeoutMs: 30_000 * slow });
    const url = (m[1] ?? '').replace(/\/$/, '');
    const pid = pidOf(child);
    log(`${opt.mode} (pid ${pid}${prefix.length ? ', under callgrind' : ''}) on ${url}`);

    /** @type {Record<string, string>} */
    let headers = {};
    /** @type {string[] | null} */
    let tokens = null;
    if (gateway) {
      const cookie = await login(url);
      headers = { host: APP_HOST, cookie };
      if (opt.mode !== 'gateway-cookie') {
        const t = await issueTokens(url, cookie, opt.mode === 'gateway-bearer-cold' ? COLD_TOKENS : 1);
        if ('skip' in t) throw new Error(t.skip);
        tokens = t.tokens;
        headers = { host: APP_HOST };
      }
    }
    const pool = new Pool(url, { connections: opt.connections, pipelining: 1, headersTimeout: 600_000 });
    // The first requests one at a time: while V8 compiles the hot code (under callgrind, on
    // the same serialised CPU) a burst of 50 could keep Redis answers waiting past the
    // store's 1 s command timeout.
    const ramp = Math.min(opt.warmup, 200);
    log(`warm-up: ${fmt(ramp)} requests one at a time, ${fmt(opt.warmup - ramp)} with ${opt.connections} in flight…`);
    await drive(pool, headers, tokens, ramp, 1);
    await drive(pool, headers, tokens, opt.warmup - ramp, opt.connections);
    if (opt.tool === 'callgrind') await instrumentOn(pid);

    if (opt.tool === 'callgrind') await zeroCounters(pid);
    const hits0 = await upstreamHits(upstream);
    const fromUs = monotonicUs();
    const t0 = Date.now();
    await drive(pool, headers, tokens, opt.requests, opt.connections);
    const toUs = monotonicUs();
    const wallMs = Date.now() - t0;
    const dump = opt.tool === 'callgrind' ? await dumpCounters(pid, tmp) : null;
    const hits = (await upstreamHits(upstream)) - hits0;
    if (hits !== opt.requests) throw new Error(`the upstream saw ${hits} requests of the ${opt.requests} sent`);
    log(`measured: ${fmt(opt.requests)} requests in ${fmt(wallMs / 1000, 1)} s, every one 2xx and at the upstream`);

    /** @type {Record<string, unknown>} */
    const out = { mode: opt.mode, tool: opt.tool, requests: opt.requests, warmup: opt.warmup, dist: opt.dist };
    if (opt.tool === 'memory') {
      // Read before the heap snapshot, which itself takes memory.
      const mem = memKb(pid);
      const line = waitForLine(child, /memory-probe (\{.*\})\n/, { label: opt.mode, timeoutMs: 120_000 });
      child.kill('SIGUSR2');
      const probe = JSON.parse((await line)[1] ?? '{}');
      out.memory = { ...probe, proc: mem };
      reportMemory(probe, mem, log);
      if (probe.snapshot) {
        const heap = await summarizeHeapSnapshot(probe.snapshot);
        out.heap = { totalBytes: heap.totalBytes, groups: heap.groups.slice(0, opt.top) };
        log(`\nheap snapshot after the load: ${fmt(heap.totalBytes / 1e6, 1)} MB live, largest groups (self size):`);
        for (const g of heap.groups.slice(0, opt.top))
          log(`  ${fmt(g.bytes / 1e6, 2).padStart(8)} MB  ${fmt(g.count).padStart(9)}  ${g.name}`);
      }
    }
    await pool.close();
    await stopChild(child, { graceMs: 60_000 * slow });

    if (dump) {
      const s = await summarizeDump(dump);
      const per = (/** @type {number} */ ir) => ir / opt.requests;
      const jit = s.categories.find((c) => c.category.startsWith('V8 compilers'))?.ir ?? 0;
      out.callgrind = {
        irPerRequest: per(s.total),
        irPerRequestWithoutCompilers: per(s.total - jit),
        irPerRequestWithoutCompilersAndGc:
          per(s.total - jit) - per(s.categories.find((c) => c.category === 'V8 garbage collector')?.ir ?? 0),
        categories: s.categories,
        functions: s.functions.slice(0, opt.top),
      };
      log(`\ninstructions per request (callgrind, every thread of the process): ${fmt(per(s.total))}`);
      // V8 still compiles (on its background threads) what the warm-up made hot; over a bench
      // run of 100,000s of requests that cost is spread to almost nothing.
      log(`  without V8's compilers (what a long run costs per request): ${fmt(per(s.total - jit))}`);
      const gc = s.categories.find((c) => c.category === 'V8 garbage collector')?.ir ?? 0;
      // One major collection more or less in a short window moves the total by 10-20 %.
      log(`  without compilers and garbage collector (the code's own work): ${fmt(per(s.total - jit - gc))}`);
      for (const c of s.categories)
        log(`  ${fmt(per(c.ir)).padStart(10)}  ${fmt((100 * c.ir) / s.total, 1).padStart(5)} %  ${c.category}`);
      log(`\ntop functions (exclusive instructions per request):`);
      for (const f of s.functions.slice(0, opt.top)) log(`  ${fmt(per(f.ir)).padStart(10)}  ${f.name.slice(0, 140)}`);
    }
    if (opt.tool === 'cpu-prof') {
      const file = (await readdir(tmp)).find((f) => f.endsWith('.cpuprofile'));
      if (!file) throw new Error(`no .cpuprofile in ${tmp}: did the server exit cleanly?`);
      const p = await summarizeCpuProfile(join(tmp, file), { fromUs, toUs });
      const busy = p.sampledUs - p.idleUs;
      const per = (/** @type {number} */ us) => us / opt.requests;
      out.cpuProfile = {
        busyUsPerRequest: per(busy),
        idleShare: p.idleUs / p.sampledUs,
        ...p,
        functions: p.functions.slice(0, opt.top),
        modules: p.modules.slice(0, opt.top),
      };
      log(
        `\nCPU profile of the window: ${fmt(per(busy), 1)} µs busy per request (profiler on, machine possibly loaded: compare shares), ${fmt((100 * p.idleUs) / p.sampledUs, 1)} % idle`,
      );
      log('\nself time by module:');
      for (const x of p.modules.slice(0, opt.top))
        log(`  ${fmt(per(x.us), 2).padStart(8)} µs/req  ${fmt((100 * x.us) / busy, 1).padStart(5)} %  ${x.name}`);
      log('\nself time by function:');
      for (const x of p.functions.slice(0, opt.top))
        log(`  ${fmt(per(x.us), 2).padStart(8)} µs/req  ${fmt((100 * x.us) / busy, 1).padStart(5)} %  ${x.name}`);
    }
    if (opt.json) await writeFile(opt.json, `${JSON.stringify(out, null, 2)}\n`);
  } finally {
    await fleet.stopAll();
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * @param {{ peak: Record<string, number>, now: Record<string, number> }} probe
 * @param {{ hwm: number | null, rss: number | null } | null} mem
 * @param {(s: string) => void} log
 */
function reportMemory(probe, mem, log) {
  const mb = (/** @type {number | undefined} */ b) => fmt((b ?? 0) / 1e6, 1);
  log(`\nmemory (MB; peak over the run sampled every 20 ms inside the process, and at the end):`);
  // The bench's peak RSS column is VmHWM / 1024 (MiB).
  if (mem?.hwm) log(`  VmHWM (the kernel's peak RSS)      ${fmt(mem.hwm / 1024, 1)} MiB (the bench's "peak RSS MB")`);
  const keys = Object.keys(probe.peak).filter((k) => !k.startsWith('space:') || k.endsWith(':size'));
  for (const k of keys)
    log(`  ${k.padEnd(34)} peak ${mb(probe.peak[k]).padStart(7)}  end ${mb(probe.now[k]).padStart(7)}`);
}

for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM']))
  process.once(sig, () => {
    killAllChildren();
    process.exit(1);
  });

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  killAllChildren();
  process.exit(1);
});
