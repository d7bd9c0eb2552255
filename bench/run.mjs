#!/usr/bin/env node
// @ts-check
/* global process, console, URL */
// `npm run bench` (issues 6 and 13). One run on one machine with one load
// generator and one upstream; modes interleaved A B C … A B C … for several rounds; median
// and range. Servers (upstream, proxies, gateway, Redis) are pinned to one core set and the
// load generator to the other. Writes bench/results/latest.json and prints the tables.
// The steps are in bench/lib (README: Files); usage and every mode: bench/README.md.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Fleet } from './lib/fleet.mjs';
import { ROOT, build } from './lib/gateway.mjs';
import { chooseLoadTool, idleCheck, isQuiet, machineInfo } from './lib/machine.mjs';
import { MODES } from './lib/modes.mjs';
import { parseOptions } from './lib/options.mjs';
import { cpuPlan, killAllChildren, memKb, pinSelf, which } from './lib/proc.mjs';
import { fullReport } from './lib/report.mjs';
import { Runner } from './lib/runner.mjs';
import { serverStarters, startUpstream } from './lib/servers.mjs';
import { modeContext, setUpModes } from './lib/setup.mjs';
import { isMeasured, summarizeModes, summarizeOpenLoop } from './lib/summary.mjs';
import { TARGETS, evaluateTargets } from './lib/targets.mjs';

/** @typedef {import('./lib/types.js').BuildInfo} BuildInfo */
/** @typedef {import('./lib/types.js').Summary} Summary */

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const REFERENCE = 'bare-proxy';

/** @param {unknown[]} a */
const log = (...a) => console.log(...a);

async function main() {
  const opt = parseOptions(process.argv.slice(2), {
    modeNames: MODES.map((m) => m.name),
    reference: REFERENCE,
    defaultOut: join(RESULTS, 'latest.json'),
  });
  const t0 = Date.now();
  /** @type {string[]} */
  const notes = [];
  /** @type {string[]} */
  const flags = [];

  // --- tools, machine, pinning, build -------------------------------------------------------
  const redisBin = which('redis-server');
  if (!redisBin)
    throw new Error(
      'redis-server is not installed (Debian: `sudo apt-get install -y redis-server`); the cookie and node-stack modes need it',
    );
  const { tool, version: toolVersion } = await chooseLoadTool(opt.loadgen, { notes, log });
  const machine = machineInfo(); // before pinning: nproc honours this process's affinity
  const cpus = cpuPlan({ serverCpus: opt.serverCpus, loadCpus: opt.loadCpus });
  if (!cpus.pinned) notes.push(`servers and load generator share the cores: ${cpus.reason}`);
  // This process only waits while the load runs; keep it off the servers' core anyway.
  if (cpus.pinned) pinSelf(cpus.load);
  const threads = cpus.pinned && cpus.load ? Math.min(2, Math.max(1, cpus.load.split(',').length)) : 1;
  log(
    `gatekeeper bench: ${opt.quick ? 'quick' : 'full'} run, ${opt.rounds} rounds × ${opt.seconds} s, modes ${opt.modes.join(' ')}`,
  );
  const pinning = cpus.pinned ? `servers on core ${cpus.server}, load on core ${cpus.load}` : 'not pinned';
  log(`machine: ${machine.nproc} cores (${machine.cpuModel}), node ${machine.node}; load: ${toolVersion}; ${pinning}`);
  const buildInfo = await buildFirst(opt.build, flags);
  if (!existsSync(join(ROOT, 'dist/main.js'))) throw new Error('dist/main.js is missing: `npm run build` first');
  const idle = await idleCheck(cpus, opt.waitIdleSeconds, log);
  if (idle && !isQuiet(idle)) {
    /** @param {number | null} x */
    const pct = (x) => `${((x ?? 0) * 100).toFixed(0)}%`;
    const msg =
      `the machine was not idle before the run: server core(s) ${pct(idle.serverCoreBusy)} busy, ` +
      `load core(s) ${pct(idle.loadCoreBusy)} busy with other processes`;
    notes.push(msg);
    log(`!! ${msg}`);
  }

  // --- processes: stopped however the run ends ------------------------------------------------
  const fleet = new Fleet(cpus.server, await mkdtemp(join(os.tmpdir(), 'gk-bench-')));
  const cleanup = async () => {
    await fleet.stopAll();
    await rm(fleet.tmp, { recursive: true, force: true }).catch(() => {});
  };
  let interrupted = false;
  /** @param {NodeJS.Signals} sig */
  const onSignal = (sig) => {
    if (interrupted) return;
    interrupted = true;
    log(`\n${sig}: stopping every process the bench started…`);
    cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const redis = await fleet.startRedis(redisBin);
    const upstream = await startUpstream(fleet);
    const ctx = modeContext();
    const { starters, gatewayConfig } = serverStarters({
      fleet,
      upstream,
      redis,
      alg: opt.alg,
      connections: opt.connections,
      ctx,
      log,
    });
    const defs = MODES.filter((m) => opt.modes.includes(m.name));
    const { states, active } = await setUpModes(defs, { starters, ctx, flags, log });
    if (!active.some((m) => m.def.reference)) {
      throw new Error(
        `the reference mode ${REFERENCE} could not run: ${states.find((m) => m.name === REFERENCE)?.reason}`,
      );
    }

    // --- closed loop: warm-up, then rounds with the modes interleaved ---------------------------
    const runner = new Runner({ fleet, cpus, tool, threads, connections: opt.connections, redis, upstream, log });
    await runner.warmUp(active, opt.warmupSeconds);
    await runner.closedRounds(active, { rounds: opt.rounds, seconds: opt.seconds });

    /** @type {Summary} */
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
        openLoop: {
          fraction: 1 / 3,
          seconds: opt.openLoopSeconds,
          leadInSeconds: Math.min(opt.quick ? 0.5 : 1, opt.openLoopSeconds / 4),
          connections: opt.connections,
        },
        jwtAlgorithm: opt.alg,
        gatewayKeysFile: Boolean(gatewayConfig()?.keysFile),
        logLevel: 'warn',
      },
      build: buildInfo,
      modes: summarizeModes(states, { reference: REFERENCE, connections: opt.connections, flags, notes }),
      openLoop: null,
      targets: [],
      flags,
      notes,
      idleCheck: idle,
    };
    const redisMem = memKb(redis.pid);
    summary.machine.redisPeakRssMB = redisMem?.hwm ? redisMem.hwm / 1024 : null;

    // --- open loop: fixed rate at a third of the reference's capacity ----------------------------
    const ref = summary.modes[REFERENCE];
    const refRps = isMeasured(ref) ? (ref.median.rps ?? 0) : 0;
    const olModes = active.filter((m) => m.def.openLoop);
    const rate = Math.max(1, Math.round(refRps / 3));
    if (olModes.length < 2) {
      summary.openLoop = {
        status: 'skipped',
        reason: `needs ${REFERENCE} and at least one gateway mode with openLoop`,
      };
    } else {
      const int = (/** @type {number} */ x) => Math.round(x).toLocaleString('en-US');
      log(
        `open loop: ${int(rate)} req/s (a third of ${REFERENCE}'s ${int(refRps)}), ${opt.openLoopSeconds} s per run…`,
      );
      const { leadInSeconds } = summary.settings.openLoop;
      const rows = await runner.openLoopRounds(olModes, {
        rate,
        rounds: opt.rounds,
        seconds: opt.openLoopSeconds,
        leadInSeconds,
      });
      summary.openLoop = summarizeOpenLoop(rows, { rate, reference: REFERENCE, flags, notes });
    }

    // --- targets, results file, tables ---------------------------------------------------------
    summary.targets = evaluateTargets(TARGETS, summary);
    summary.wallSeconds = (Date.now() - t0) / 1000;
    await writeResults(opt.out, summary);
    log('');
    log(fullReport(summary));
    log('');
    log(`wrote ${opt.out} (${summary.wallSeconds.toFixed(0)} s)`);
    return flags.length > 0 ? 1 : 0;
  } finally {
    await cleanup();
  }
}

/**
 * `npm run build` first unless --no-build. tsc emits JavaScript even when it reports type
 * errors: the run measures what was emitted, but flags it loudly.
 * @param {boolean} wanted
 * @param {string[]} flags
 * @returns {Promise<BuildInfo>}
 */
async function buildFirst(wanted, flags) {
  if (!wanted) return { ok: null, ms: 0, skipped: true };
  log('building (npm run build)…');
  const b = await build();
  if (!b.ok) {
    const tail = b.output.split('\n').slice(-8).join('\n');
    flags.push('`npm run build` reported errors; the run measured the JavaScript tsc emitted anyway');
    log(`!! npm run build failed (${b.ms} ms); continuing with the emitted dist/:\n${tail}`);
  }
  return { ok: b.ok, ms: b.ms, skipped: false };
}

/** Written whole or not at all (a temp file renamed). @param {string} out @param {Summary} summary */
async function writeResults(out, summary) {
  await mkdir(dirname(out), { recursive: true });
  const tmpOut = `${out}.tmp`;
  await writeFile(tmpOut, `${JSON.stringify(summary, null, 2)}\n`);
  await rename(tmpOut, out);
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
    killAllChildren();
    process.exit(1);
  },
);
