// @ts-check
/* global process, setTimeout */
// What the bench runs on and with: the machine's description for latest.json, the load
// generator (wrk, else autocannon) and its version, and whether the pinned cores are
// quiet before the run starts.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { ROOT } from './gateway.mjs';
import { WRK_INSTALL_HINT } from './loadgen.mjs';
import { coreTimes, coreUsage, runToEnd, which } from './proc.mjs';

/** @typedef {import('./types.js').Machine} Machine */
/** @typedef {import('./types.js').LoadTool} LoadTool */
/** @typedef {import('./types.js').CpuPlan} CpuPlan */
/** @typedef {import('./types.js').IdleCheck} IdleCheck */

/** @returns {Machine} */
export function machineInfo() {
  /** @type {(cmd: string, args: string[]) => string | null} */
  const sh = (cmd, args) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    } catch (err) {
      const out = /** @type {{ stdout?: Buffer | string }} */ (err).stdout;
      return (out ?? '').toString().trim() || null;
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

/**
 * The load generator: the one asked for, else wrk when installed, else autocannon (with a
 * note: numbers of the two are not comparable).
 * @param {LoadTool | null} asked
 * @param {{ notes: string[], log: (...a: unknown[]) => void }} out
 * @returns {Promise<{ tool: LoadTool, version: string }>}
 */
export async function chooseLoadTool(asked, { notes, log }) {
  const haveWrk = Boolean(which('wrk'));
  let tool = asked;
  if (!tool) {
    tool = haveWrk ? 'wrk' : 'autocannon';
    if (!haveWrk) {
      log(`!! ${WRK_INSTALL_HINT}`);
      log('!! falling back to autocannon (Node): numbers are not comparable with wrk runs.');
      notes.push(`load generator: autocannon (fallback). ${WRK_INSTALL_HINT}`);
    }
  } else if (tool === 'wrk' && !haveWrk) throw new Error(WRK_INSTALL_HINT);
  if (tool === 'wrk') {
    const r = await runToEnd(null, 'wrk', ['-v'], { timeoutMs: 10_000 }).catch(() => null);
    const first = (r?.stdout || r?.stderr || '').split('\n')[0] ?? '';
    return { tool, version: first.replace(/\s*Copyright.*/, '').trim() || 'unknown' };
  }
  try {
    return {
      tool,
      version: `autocannon ${JSON.parse(readFileSync(join(ROOT, 'node_modules/autocannon/package.json'), 'utf8')).version}`,
    };
  } catch {
    throw new Error('autocannon is not installed: run `npm ci` (it is a devDependency)');
  }
}

const QUIET = 0.1;

/**
 * How busy other processes keep the pinned cores, over one second with nothing of ours
 * running; waits up to `waitSeconds` for both to be under 10 %. null without pinning.
 * @param {CpuPlan} cpus
 * @param {number} waitSeconds
 * @param {(...a: unknown[]) => void} log
 * @returns {Promise<IdleCheck | null>}
 */
export async function idleCheck(cpus, waitSeconds, log) {
  if (!cpus.pinned) return null;
  const quietBy = Date.now() + waitSeconds * 1000;
  for (let first = true; ; first = false) {
    const c0 = coreTimes();
    await new Promise((r) => setTimeout(r, 1000));
    const c1 = coreTimes();
    const su = coreUsage(c0, c1, cpus.server);
    const lu = coreUsage(c0, c1, cpus.load);
    /** @type {IdleCheck} */
    const check = {
      serverCoreBusy: su ? su.busyUs / su.capacityUs : null,
      loadCoreBusy: lu ? lu.busyUs / lu.capacityUs : null,
    };
    if (isQuiet(check) || Date.now() >= quietBy) return check;
    if (first) log(`waiting up to ${waitSeconds} s for the cores to be quiet…`);
  }
}

/** @param {IdleCheck} c */
export function isQuiet(c) {
  return (c.serverCoreBusy ?? 0) <= QUIET && (c.loadCoreBusy ?? 0) <= QUIET;
}
