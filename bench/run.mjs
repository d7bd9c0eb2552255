#!/usr/bin/env node
/* global process, console, setTimeout, URL */
// `npm run bench` (SPEC §11, issue 6). One run on one machine with one load generator and
// one upstream; modes interleaved A B C … A B C … for several rounds; median and range.
// Servers (upstream, proxies, gateway, Redis) are pinned to one core set and the load
// generator to the other. Writes bench/results/latest.json and prints the tables.
// Usage and the meaning of every mode: bench/README.md.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ROOT, build, login, startGateway, writeConfig } from './lib/gateway.mjs';
import { request, setCookies } from './lib/http.mjs';
import { WRK_INSTALL_HINT, closedLoop } from './lib/loadgen.mjs';
import { MODES, TARGETS } from './lib/modes.mjs';
import { coreTimes, coreUsage, cpuMicros, cpuPlan, freePort, killAllChildren, memKb, pinSelf, runToEnd, selfCpuMicros, spawnPinned, stopChild, waitForLine, which } from './lib/proc.mjs';
import { fullReport } from './lib/report.mjs';
import { ratio, summarize } from './lib/stats.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const OPENLOOP_WORKER = join(HERE, 'lib/openloop-worker.mjs');
const RESULTS = join(HERE, 'results');

const USAGE = `usage: npm run bench [-- options]
  --quick               3 rounds × 3 s per mode, short warm-up and open loop (whole run < 2 min)
  --rounds N            rounds per mode (default 3, at least 3 for a median worth the name)
  --seconds N           seconds per mode per round (default 10)
  --warmup N            warm-up seconds per mode before the rounds (default 3; quick 1)
  --modes a,b,…         only these modes (bare-proxy is always added: it is the reference)
  --connections N       load-generator connections (default 50)
  --loadgen wrk|autocannon   default: wrk when installed, else autocannon
  --open-loop-seconds N seconds per open-loop run (default 10; quick 2)
  --alg RS256|ES256|EdDSA    signing algorithm of the gateway's keys (default ES256)
  --server-cpus LIST    e.g. 0     (default: first half of the cores)
  --load-cpus LIST      e.g. 1     (default: the other half)
  --wait-idle N         before starting, wait up to N seconds for the pinned cores to be quiet (default 0)
  --no-build            use dist/ as it is instead of running \`npm run build\` first
  --out FILE            results file (default bench/results/latest.json)`;

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      modes: { type: 'string' },
      connections: { type: 'string' },
      loadgen: { type: 'string' },
      'open-loop-seconds': { type: 'string' },
      alg: { type: 'string', default: 'ES256' },
      'server-cpus': { type: 'string' },
      'load-cpus': { type: 'string' },
      'no-build': { type: 'boolean', default: false },
      'wait-idle': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = (v, d, min) => {
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`expected an integer ≥ ${min}, got ${v}`);
    return n;
  };
  const quick = values.quick;
  const known = new Set(MODES.map((m) => m.name));
  let modes = values.modes ? values.modes.split(',').map((s) => s.trim()) : [...known];
  for (const m of modes) if (!known.has(m)) throw new Error(`unknown mode ${m}; modes: ${[...known].join(', ')}`);
  if (!modes.includes('bare-proxy')) modes = ['bare-proxy', ...modes];
  if (!['RS256', 'ES256', 'EdDSA'].includes(values.alg)) throw new Error(`--alg must be RS256, ES256 or EdDSA`);
  if (values.loadgen && !['wrk', 'autocannon'].includes(values.loadgen)) throw new Error('--loadgen must be wrk or autocannon');
  return {
    quick,
    rounds: int(values.rounds, 3, 1),
    seconds: int(values.seconds, quick ? 3 : 10, 1),
    warmupSeconds: int(values.warmup, quick ? 1 : 3, 0),
    modes: MODES.filter((m) => modes.includes(m.name)).map((m) => m.name),
    connections: int(values.connections, 50, 1),
    loadgen: values.loadgen ?? null,
    openLoopSeconds: int(values['open-loop-seconds'], quick ? 2 : 10, 1),
    alg: values.alg,
    serverCpus: values['server-cpus'],
    loadCpus: values['load-cpus'],
    build: !values['no-build'],
    waitIdleSeconds: int(values['wait-idle'], 0, 0),
    out: values.out ?? join(RESULTS, 'latest.json'),
  };
}

function machineInfo() {
  const sh = (cmd, args) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    } catch (err) {
      return (err.stdout ?? '').toString().trim() || null;
    }
  };
  let cpuModel = null;
  try {
    cpuModel = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? null;
  } catch {
    // not Linux
  }
  return {
    nproc: Number(sh('nproc', [])) || os.availableParallelism(),
    cpuModel: cpuModel ?? os.cpus()[0]?.model ?? 'unknown',
    memTotalMB: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
    redis: sh('redis-server', ['--version']),
  };
}

const log = (...a) => console.log(...a);

async function main() {
  const opt = parseOptions(process.argv.slice(2));
  const t0 = Date.now();
  const notes = [];
  const flags = [];

  // --- tools -------------------------------------------------------------------------
  const redisBin = which('redis-server');
  if (!redisBin) throw new Error('redis-server is not installed (Debian: `sudo apt-get install -y redis-server`); the cookie and node-stack modes need it');
  let tool = opt.loadgen;
  const haveWrk = Boolean(which('wrk'));
  if (!tool) {
    tool = haveWrk ? 'wrk' : 'autocannon';
    if (!haveWrk) {
      log(`!! ${WRK_INSTALL_HINT}`);
      log('!! falling back to autocannon (Node): numbers are not comparable with wrk runs.');
      notes.push(`load generator: autocannon (fallback). ${WRK_INSTALL_HINT}`);
    }
  } else if (tool === 'wrk' && !haveWrk) throw new Error(WRK_INSTALL_HINT);
  let toolVersion;
  if (tool === 'wrk') {
    const r = await runToEnd(null, 'wrk', ['-v'], { timeoutMs: 10_000 }).catch(() => null);
    toolVersion = (r?.stdout || r?.stderr || '').split('\n')[0].replace(/\s*Copyright.*/, '').trim() || 'unknown';
  } else {
    try {
      toolVersion = `autocannon ${JSON.parse(readFileSync(join(ROOT, 'node_modules/autocannon/package.json'), 'utf8')).version}`;
    } catch {
      throw new Error('autocannon is not installed: run `npm ci` (it is a devDependency)');
    }
  }

  const machine = machineInfo(); // before pinning: nproc honours this process's affinity
  const cpus = cpuPlan({ serverCpus: opt.serverCpus, loadCpus: opt.loadCpus });
  if (!cpus.pinned) notes.push(`servers and load generator share the cores: ${cpus.reason}`);
  // This process only waits while the load runs; keep it off the servers' core anyway.
  if (cpus.pinned) pinSelf(cpus.load);
  const threads = cpus.pinned ? Math.min(2, Math.max(1, cpus.load.split(',').length)) : 1;
  log(`gatekeeper bench: ${opt.quick ? 'quick' : 'full'} run, ${opt.rounds} rounds × ${opt.seconds} s, modes ${opt.modes.join(' ')}`);
  log(`machine: ${machine.nproc} cores (${machine.cpuModel}), node ${machine.node}; load: ${toolVersion}; ${cpus.pinned ? `servers on core ${cpus.server}, load on core ${cpus.load}` : 'not pinned'}`);

  // --- build -------------------------------------------------------------------------
  let buildInfo = { ok: null, ms: 0, skipped: true };
  if (opt.build) {
    log('building (npm run build)…');
    const b = await build();
    buildInfo = { ok: b.ok, ms: b.ms, skipped: false };
    if (!b.ok) {
      // tsc emits JavaScript even when it reports type errors; measure what was emitted,
      // but say so loudly.
      const tail = b.output.split('\n').slice(-8).join('\n');
      flags.push('`npm run build` reported errors; the run measured the JavaScript tsc emitted anyway');
      log(`!! npm run build failed (${b.ms} ms); continuing with the emitted dist/:\n${tail}`);
    }
  }
  if (!existsSync(join(ROOT, 'dist/main.js'))) throw new Error('dist/main.js is missing: `npm run build` first');

  // Is the machine quiet? One second with nothing of ours running.
  let idleCheck = null;
  if (cpus.pinned) {
    const quietBy = Date.now() + opt.waitIdleSeconds * 1000;
    for (let first = true; ; first = false) {
      const c0 = coreTimes();
      await new Promise((r) => setTimeout(r, 1000));
      const c1 = coreTimes();
      const su = coreUsage(c0, c1, cpus.server);
      const lu = coreUsage(c0, c1, cpus.load);
      idleCheck = { serverCoreBusy: su ? su.busyUs / su.capacityUs : null, loadCoreBusy: lu ? lu.busyUs / lu.capacityUs : null };
      const quiet = idleCheck.serverCoreBusy <= 0.1 && idleCheck.loadCoreBusy <= 0.1;
      if (quiet || Date.now() >= quietBy) break;
      if (first) log(`waiting up to ${opt.waitIdleSeconds} s for the cores to be quiet…`);
    }
    if (idleCheck.serverCoreBusy > 0.1 || idleCheck.loadCoreBusy > 0.1) {
      const msg = `the machine was not idle before the run: server core(s) ${(idleCheck.serverCoreBusy * 100).toFixed(0)}% busy, load core(s) ${(idleCheck.loadCoreBusy * 100).toFixed(0)}% busy with other processes`;
      notes.push(msg);
      log(`!! ${msg}`);
    }
  }

  // --- processes -------------------------------------------------------------------------
  const tmp = await mkdtemp(join(os.tmpdir(), 'gk-bench-'));
  const procs = []; // { label, child }
  const cleanup = async () => {
    await Promise.all(procs.map((p) => stopChild(p.child).catch(() => {})));
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
  };
  let interrupted = false;
  const onSignal = (sig) => {
    if (interrupted) return;
    interrupted = true;
    log(`\n${sig}: stopping every process the bench started…`);
    cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    // Redis: our own, on a free port, no persistence. Never the machine's own Redis.
    const redisPort = await freePort();
    const redisChild = spawnPinned(cpus.server, redisBin, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmp], { cwd: tmp });
    procs.push({ label: 'redis', child: redisChild });
    await waitForLine(redisChild, /Ready to accept connections/, { label: 'redis-server' });
    const redis = { pid: redisChild.pid, url: `redis://127.0.0.1:${redisPort}/0` };

    const startScript = async (label, script, args) => {
      const child = spawnPinned(cpus.server, process.execPath, [join(HERE, 'servers', script), ...args], { cwd: ROOT, env: { ...process.env, NODE_ENV: 'production' } });
      procs.push({ label, child });
      const m = await waitForLine(child, /listening on (http:\/\/[^\s]+)/, { label });
      return { label, pid: child.pid, child, url: m[1].replace(/\/$/, '') };
    };
    const upstream = await startScript('upstream', 'upstream.mjs', []);

    let gatewayConfig = null;
    // How each kind of server starts. shared: one process for every mode naming it.
    const SERVERS = {
      upstream: { shared: true, start: async () => upstream },
      'bare-proxy': { shared: true, start: () => startScript('bare-proxy', 'bare-proxy.mjs', [upstream.url]) },
      'node-stack': { shared: true, start: () => startScript('node-stack', 'node-stack.mjs', [upstream.url, redis.url]) },
      gateway: {
        shared: false,
        start: async (label) => {
          gatewayConfig ??= await writeConfig(tmp, { redisUrl: redis.url, upstreamUrl: upstream.url, alg: opt.alg });
          const gw = await startGateway(gatewayConfig.file, cpus.server, label);
          procs.push({ label, child: gw.child });
          return { label, ...gw };
        },
      },
    };
    const sharedServers = {};
    let gatewayCookie = null;
    let nodeStackCookie = null;
    const ctx = {
      /** The gateway session cookie: one login, shared by every gateway process through Redis. */
      sessionCookie: async (srv) => (gatewayCookie ??= await login(srv.url)),
      nodeStackCookie: async (srv) => {
        if (nodeStackCookie) return nodeStackCookie;
        const r = await request(`${srv.url}/__bench/login`, { method: 'POST', headers: { 'content-length': 0 } });
        const sid = setCookies(r).sid;
        if (r.status !== 204 || !sid) throw new Error(`node-stack login answered ${r.status} without a sid cookie`);
        return (nodeStackCookie = `sid=${sid}`);
      },
    };
    const upstreamHits = async () => JSON.parse((await request(`${upstream.url}/__bench/hits`)).body).hits;

    // --- modes: start servers, build targets, probe once ----------------------------------
    const modes = [];
    const results = {};
    for (const def of MODES.filter((m) => opt.modes.includes(m.name))) {
      const entry = { def, name: def.name, status: 'ok', reason: null, srv: null, target: null };
      results[def.name] = entry;
      try {
        const kind = SERVERS[def.server];
        entry.srv = kind.shared ? (sharedServers[def.server] ??= await kind.start(def.server)) : await kind.start(`${def.server}[${def.name}]`);
        const target = await def.target({ srv: entry.srv, ctx });
        if (target.skip) {
          Object.assign(entry, { status: 'skipped', reason: target.skip });
        } else {
          // One request exactly as the load generator will send it (first token for a list).
          const headers = { ...target.headers, ...(target.tokens ? { Authorization: `Bearer ${target.tokens[0]}` } : {}) };
          const probe = await request(target.url, { headers });
          if (probe.status === 404 && def.notImplementedOn404) Object.assign(entry, { status: 'skipped', reason: def.notImplementedOn404 });
          else if (probe.status < 200 || probe.status > 299) Object.assign(entry, { status: 'failed', reason: `the probe request answered ${probe.status}: ${probe.body.slice(0, 200).replace(/\s+/g, ' ')}` });
          else entry.target = target;
        }
      } catch (err) {
        Object.assign(entry, { status: 'failed', reason: err.message.split('\n')[0] });
      }
      if (entry.status === 'ok') modes.push(entry);
      else {
        log(`${entry.status === 'skipped' ? '-- skipping' : '!! FAILED'} ${def.name}: ${entry.reason}`);
        if (entry.status === 'failed') flags.push(`mode ${def.name} failed: ${entry.reason}`);
        // A gateway process of its own that will not be measured: stop it now.
        if (entry.srv && !SERVERS[def.server].shared) await stopChild(entry.srv.child);
      }
    }
    if (!modes.some((m) => m.def.reference)) throw new Error(`the reference mode bare-proxy could not run: ${results['bare-proxy']?.reason}`);

    const load = (target, seconds) => closedLoop(target, { tool, seconds, connections: opt.connections, threads, cpus: cpus.load, tmpDir: tmp });

    /**
     * Runs fn() (a load generator that exits when done) and accounts for the CPU time spent
     * meanwhile: the mode's own server process, Redis, the upstream, everything else of ours
     * on the server cores, the load generator (a reaped child: our cutime), and what other
     * processes on the machine took from the pinned cores.
     */
    const accounted = async (m, fn) => {
      const pids = { proc: m.srv.pid, redis: redis.pid, upstream: upstream.pid };
      const serverPids = procs.filter((p) => p.child.exitCode === null && p.child.signalCode === null).map((p) => p.child.pid);
      const snap = () => ({
        named: Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMicros(pid)])),
        all: Object.fromEntries(serverPids.map((pid) => [pid, cpuMicros(pid)])),
      });
      const a = snap();
      const self0 = selfCpuMicros();
      const cores0 = coreTimes();
      const result = await fn();
      const cores1 = coreTimes();
      const self1 = selfCpuMicros();
      const b = snap();
      const delta = (x, y) => (x !== null && y !== null ? y - x : null);
      const named = Object.fromEntries(Object.keys(pids).map((k) => [k, delta(a.named[k], b.named[k])]));
      const oursOnServerUs = serverPids.reduce((acc, pid) => acc + (delta(a.all[pid], b.all[pid]) ?? 0), 0);
      const loadGenUs = self1.children - self0.children;
      const su = coreUsage(cores0, cores1, cpus.server);
      const lu = coreUsage(cores0, cores1, cpus.load);
      const share = (x, u) => (u ? Math.max(0, x) / u.capacityUs : null);
      return {
        result,
        acct: {
          named,
          loadGenUs,
          serverCoreBusy: su ? su.busyUs / su.capacityUs : null,
          loadCoreBusy: lu ? lu.busyUs / lu.capacityUs : null,
          // Time other processes (not the bench's) took on the pinned cores meanwhile.
          foreignServerShare: su ? share(su.procUs - oursOnServerUs, su) : null,
          foreignLoadShare: lu ? share(lu.procUs - loadGenUs - (self1.self - self0.self), lu) : null,
          // Interrupts and softirqs (the kernel's loopback networking) and hypervisor steal.
          irqServerShare: su ? share(su.irqUs, su) : null,
          irqLoadShare: lu ? share(lu.irqUs, lu) : null,
          stealShare: su && lu ? (su.stealUs + lu.stealUs) / (su.capacityUs + lu.capacityUs) : null,
        },
      };
    };
    const perRequest = (acct, requests) => {
      const per = (us) => (us !== null && requests > 0 ? us / requests : null);
      return {
        procUsPerReq: per(acct.named.proc),
        redisUsPerReq: per(acct.named.redis),
        upstreamUsPerReq: per(acct.named.upstream),
        procCpuSeconds: acct.named.proc === null ? null : acct.named.proc / 1e6,
        loadGenUsPerReq: per(acct.loadGenUs),
        serverCoreBusy: acct.serverCoreBusy,
        loadCoreBusy: acct.loadCoreBusy,
        foreignServerShare: acct.foreignServerShare,
        foreignLoadShare: acct.foreignLoadShare,
        irqServerShare: acct.irqServerShare,
        irqLoadShare: acct.irqLoadShare,
        stealShare: acct.stealShare,
      };
    };
    const pct = (x) => `${(x * 100).toFixed(0)}%`;
    const coresLine = (row) =>
      row.serverCoreBusy === null
        ? ''
        : `  server core ${pct(row.serverCoreBusy)} (irq ${pct(row.irqServerShare)}, others ${pct(row.foreignServerShare)})  load core ${pct(row.loadCoreBusy)} (irq ${pct(row.irqLoadShare)}, others ${pct(row.foreignLoadShare)})`;

    // --- warm-up (JIT, connection pools, Redis), not recorded ------------------------------
    if (opt.warmupSeconds > 0) {
      log(`warm-up: ${opt.warmupSeconds} s per mode…`);
      for (const m of modes) await load(m.target, opt.warmupSeconds);
    }

    // --- closed loop: rounds, modes interleaved -------------------------------------------
    for (const m of modes) m.rounds = [];
    for (let round = 1; round <= opt.rounds; round++) {
      for (const m of modes) {
        const hits0 = m.def.reachesUpstream ? await upstreamHits() : null;
        const { result: r, acct } = await accounted(m, () => load(m.target, opt.seconds));
        const hits = m.def.reachesUpstream ? (await upstreamHits()) - hits0 : null;
        const row = { round, ...r, ...perRequest(acct, r.requests), upstreamHits: hits };
        m.rounds.push(row);
        log(
          `round ${round}/${opt.rounds}  ${m.name.padEnd(20)} ${Math.round(r.rps).toLocaleString('en-US').padStart(7)} req/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms  ` +
            `${row.procUsPerReq?.toFixed(1) ?? '-'} µs/req` +
            coresLine(row) +
            (r.non2xx || r.errors ? `  !! non-2xx ${r.non2xx} errors ${r.errors}` : ''),
        );
      }
    }

    // --- summaries and ratios ---------------------------------------------------------------
    const summary = {
      version: 1,
      date: new Date().toISOString(),
      machine,
      settings: {
        quick: opt.quick,
        rounds: opt.rounds,
        seconds: opt.seconds,
        warmupSeconds: opt.warmupSeconds,
        connections: opt.connections,
        threads,
        loadGenerator: tool,
        loadGeneratorVersion: toolVersion,
        pinning: { pinned: cpus.pinned, server: cpus.server, load: cpus.load, reason: cpus.reason },
        openLoop: { fraction: 1 / 3, seconds: opt.openLoopSeconds, leadInSeconds: Math.min(opt.quick ? 0.5 : 1, opt.openLoopSeconds / 4), connections: opt.connections },
        jwtAlgorithm: opt.alg,
        gatewayKeysFile: Boolean(gatewayConfig?.keysFile),
        logLevel: 'warn',
      },
      build: buildInfo,
      modes: {},
      openLoop: null,
      targets: [],
      flags,
      notes,
    };
    const statKeys = [
      'rps',
      'p50Ms',
      'p99Ms',
      'procUsPerReq',
      'redisUsPerReq',
      'upstreamUsPerReq',
      'loadGenUsPerReq',
      'serverCoreBusy',
      'loadCoreBusy',
      'foreignServerShare',
      'foreignLoadShare',
      'irqServerShare',
      'irqLoadShare',
      'stealShare',
    ];
    for (const e of Object.values(results)) {
      const out = { about: e.def.about, server: e.srv?.label ?? e.def.server, reachesUpstream: e.def.reachesUpstream, status: e.status };
      if (e.status !== 'ok') {
        out.reason = e.reason;
        summary.modes[e.name] = out;
        continue;
      }
      out.stats = Object.fromEntries(statKeys.map((k) => [k, summarize(e.rounds.map((r) => r[k]))]));
      out.median = Object.fromEntries(statKeys.map((k) => [k, out.stats[k].median]));
      out.non2xx = e.rounds.reduce((a, r) => a + r.non2xx, 0);
      out.errors = e.rounds.reduce((a, r) => a + r.errors, 0);
      out.tokens = e.target.tokens?.length ?? (e.target.headers.Authorization ? 1 : 0);
      const mem = memKb(e.srv.pid);
      out.peakRssMB = mem?.hwm ? mem.hwm / 1024 : null;
      out.rssAtEndMB = mem?.rss ? mem.rss / 1024 : null;
      out.rounds = e.rounds;
      summary.modes[e.name] = out;
      if (out.non2xx > 0 || out.errors > 0) flags.push(`${e.name}: ${out.non2xx} non-2xx responses and ${out.errors} socket errors (must be 0)`);
      if (e.def.reachesUpstream) {
        for (const r of e.rounds) {
          // Requests still in flight when the load stops reach the app uncounted: allow that.
          const missing = r.requests - r.upstreamHits;
          if (missing > 0 || r.upstreamHits - r.requests > opt.connections * 2) {
            flags.push(`${e.name} round ${r.round}: the load generator counted ${r.requests} responses but the upstream served ${r.upstreamHits} requests`);
          }
        }
      }
      const loadBusy = out.stats.loadCoreBusy.median;
      const foreignLoad = out.stats.foreignLoadShare.median ?? 0;
      const serverBusy = out.stats.serverCoreBusy.median;
      if (loadBusy !== null && serverBusy !== null && loadBusy - foreignLoad > 0.95 && serverBusy < 0.9) {
        notes.push(`${e.name}: the load generator kept its core ${(loadBusy * 100).toFixed(0)}% busy while the servers' core was ${(serverBusy * 100).toFixed(0)}%: the load generator may be the bottleneck`);
      }
    }
    // A closed-loop round is disturbed when other processes took more than 5% of the
    // servers' core, or took the load generator's core while the servers' core was not
    // saturated (then the generator, not the server, set the pace). A mode is disturbed
    // when that holds for half of its rounds or more (its median is then affected).
    const DISTURBED = 0.05;
    for (const m of Object.values(summary.modes)) {
      if (m.status !== 'ok') continue;
      for (const r of m.rounds) {
        r.disturbed = r.foreignServerShare !== null && (r.foreignServerShare > DISTURBED || (r.foreignLoadShare > DISTURBED && r.serverCoreBusy < 0.95));
      }
      m.disturbedRounds = m.rounds.filter((r) => r.disturbed).length;
      m.disturbed = m.disturbedRounds * 2 >= m.rounds.length;
    }
    const disturbed = Object.entries(summary.modes).filter(([, m]) => m.disturbedRounds > 0);
    if (disturbed.length) {
      notes.push(
        'other processes took CPU from the pinned cores (disturbed rounds; max share of the server core / load core): ' +
          disturbed
            .map(([n, m]) => `${n} ${m.disturbedRounds}/${m.rounds.length} (${(m.stats.foreignServerShare.max * 100).toFixed(0)}% / ${(m.stats.foreignLoadShare.max * 100).toFixed(0)}%)`)
            .join(', ') +
          '; modes marked * were disturbed in half of their rounds or more — rerun on a quiet machine (--wait-idle N waits for one)',
      );
    }
    summary.idleCheck = idleCheck;
    const refMedian = summary.modes['bare-proxy'].median;
    for (const m of Object.values(summary.modes)) {
      if (m.status !== 'ok') continue;
      m.ratios = { rps: ratio(m.median.rps, refMedian.rps), cpu: ratio(m.median.procUsPerReq, refMedian.procUsPerReq), p50: ratio(m.median.p50Ms, refMedian.p50Ms) };
    }
    const redisMem = memKb(redis.pid);
    summary.machine.redisPeakRssMB = redisMem?.hwm ? redisMem.hwm / 1024 : null;

    // --- open loop: fixed rate at a third of the bare proxy's capacity ------------------------
    const olModes = modes.filter((m) => m.def.openLoop);
    const rate = Math.max(1, Math.round(refMedian.rps / 3));
    if (olModes.length < 2) {
      summary.openLoop = { status: 'skipped', reason: 'needs bare-proxy and at least one gateway mode with openLoop' };
    } else {
      log(`open loop: ${rate.toLocaleString('en-US')} req/s (a third of bare-proxy's ${Math.round(refMedian.rps).toLocaleString('en-US')}), ${opt.openLoopSeconds} s per run…`);
      const olRounds = Object.fromEntries(olModes.map((m) => [m.name, []]));
      for (let round = 1; round <= opt.rounds; round++) {
        for (const m of olModes) {
          const job = { url: m.target.url, headers: m.target.headers, rate, seconds: opt.openLoopSeconds, connections: opt.connections, leadInSeconds: summary.settings.openLoop.leadInSeconds };
          const { result: r, acct } = await accounted(m, () => runToEnd(cpus.load, process.execPath, [OPENLOOP_WORKER, JSON.stringify(job)], { timeoutMs: (opt.openLoopSeconds + 30) * 1000 }));
          if (r.code !== 0) throw new Error(`open-loop worker failed (${r.code ?? r.signal}): ${r.stderr}`);
          const res = JSON.parse(r.stdout.trim().split('\n').pop());
          const row = { round, ...res, ...perRequest(acct, res.sent) };
          olRounds[m.name].push(row);
          log(
            `open loop ${round}/${opt.rounds}  ${m.name.padEnd(20)} p50 ${row.p50Ms?.toFixed(3)} ms  p99 ${row.p99Ms?.toFixed(3)} ms  max ${row.maxMs?.toFixed(2)} ms  late sends ${(row.lateShare * 100).toFixed(1)}%` +
              coresLine(row) +
              (row.non2xx || row.errors || row.unanswered ? `  !! non-2xx ${row.non2xx} errors ${row.errors} unanswered ${row.unanswered}` : ''),
          );
        }
      }
      const olSummary = {};
      for (const [name, rows] of Object.entries(olRounds)) {
        olSummary[name] = {
          p50Ms: summarize(rows.map((r) => r.p50Ms)),
          p99Ms: summarize(rows.map((r) => r.p99Ms)),
          p999Ms: summarize(rows.map((r) => r.p999Ms)),
          maxMs: summarize(rows.map((r) => r.maxMs)),
          non2xx: rows.reduce((a, r) => a + r.non2xx, 0),
          errors: rows.reduce((a, r) => a + r.errors + r.unanswered, 0),
          serviceP50Ms: summarize(rows.map((r) => r.serviceP50Ms)),
          serviceP99Ms: summarize(rows.map((r) => r.serviceP99Ms)),
          procUsPerReq: summarize(rows.map((r) => r.procUsPerReq)),
          maxSendLagMs: Math.max(...rows.map((r) => r.maxSendLagMs)),
          lateShare: summarize(rows.map((r) => r.lateShare)),
          foreignServerShare: summarize(rows.map((r) => r.foreignServerShare)),
          foreignLoadShare: summarize(rows.map((r) => r.foreignLoadShare)),
          rounds: rows,
        };
        const foreign = olSummary[name].foreignServerShare.max;
        olSummary[name].disturbed = foreign > DISTURBED || olSummary[name].foreignLoadShare.max > DISTURBED || olSummary[name].lateShare.max > 0.01;
        if (foreign > DISTURBED) notes.push(`open loop ${name}: other processes took up to ${(foreign * 100).toFixed(0)}% of the server core: latencies disturbed`);
        const late = olSummary[name].lateShare.max;
        if (late > 0.01) {
          notes.push(
            `open loop ${name}: up to ${(late * 100).toFixed(1)}% of the requests left the generator more than 1 ms late (max ${olSummary[name].maxSendLagMs.toFixed(1)} ms): the generator fell behind (other processes on its core, or its own bursts of responses), which inflates the latencies from the scheduled time, mostly p99; the latencies from the actual send are in latest.json (serviceP50Ms/serviceP99Ms)`,
          );
        }
        if (olSummary[name].non2xx || olSummary[name].errors) flags.push(`open loop ${name}: ${olSummary[name].non2xx} non-2xx, ${olSummary[name].errors} errors/unanswered`);
      }
      const added = {};
      const b = olSummary['bare-proxy'];
      for (const [name, s] of Object.entries(olSummary)) {
        if (name === 'bare-proxy') continue;
        const minus = (x, y) => (typeof x === 'number' && typeof y === 'number' ? x - y : null);
        added[name] = {
          p50Ms: minus(s.p50Ms.median, b.p50Ms.median),
          p99Ms: minus(s.p99Ms.median, b.p99Ms.median),
          // The same from the actual send time (only differs when the generator ran late).
          serviceP50Ms: minus(s.serviceP50Ms.median, b.serviceP50Ms.median),
          serviceP99Ms: minus(s.serviceP99Ms.median, b.serviceP99Ms.median),
        };
      }
      summary.openLoop = { status: 'ok', rate, modes: olSummary, added };
    }

    // --- targets, results file, tables ---------------------------------------------------------
    summary.targets = TARGETS.map((t) => {
      const measured = t.get(summary);
      const disturbed =
        measured !== null &&
        ((t.modes ?? []).some((n) => summary.modes[n]?.disturbed) || (t.openLoop === true && Object.values(summary.openLoop?.modes ?? {}).some((m) => m.disturbed)));
      return { label: t.label, op: t.op, value: t.value, unit: t.unit, measured, met: measured === null ? null : t.op === '>=' ? measured >= t.value : measured <= t.value, disturbed };
    });
    summary.wallSeconds = (Date.now() - t0) / 1000;
    await mkdir(RESULTS, { recursive: true });
    const tmpOut = `${opt.out}.tmp`;
    await writeFile(tmpOut, `${JSON.stringify(summary, null, 2)}\n`);
    await rename(tmpOut, opt.out);

    log('');
    log(fullReport(summary));
    log('');
    log(`wrote ${opt.out} (${summary.wallSeconds.toFixed(0)} s)`);
    return flags.length > 0 ? 1 : 0;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
    killAllChildren();
    process.exit(1);
  },
);
