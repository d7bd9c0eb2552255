// @ts-check
/* global process, setTimeout, clearTimeout */
// Child processes for the benchmark: spawned pinned to a CPU set (taskset), started on an
// event (a line on stdout), drained so they never block on a full pipe, and killed when
// the bench ends however it ends. Plus the /proc readers for CPU time and peak RSS.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';

/** @typedef {import('./types.js').Child} Child */
/** @typedef {import('./types.js').CpuPlan} CpuPlan */
/** @typedef {{ proc: number, irq: number, steal: number, total: number }} CoreJiffies */

/** @type {Set<Child>} */
const live = new Set();

/** SIGKILL every child still running (sync: also usable from process 'exit'). */
export function killAllChildren() {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}
process.once('exit', killAllChildren);

/** Absolute path of a command on PATH, or null. @param {string} cmd */
export function which(cmd) {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (!dir) continue;
    try {
      accessSync(`${dir}/${cmd}`, constants.X_OK);
      return `${dir}/${cmd}`;
    } catch {
      // not here
    }
  }
  return null;
}

/** Cores this process may run on (sched affinity), e.g. [0, 1]. */
export function allowedCpus() {
  try {
    const line = readFileSync('/proc/self/status', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Cpus_allowed_list:'));
    return parseCpuList(line?.split(':')[1]?.trim() ?? '');
  } catch {
    return [];
  }
}

/** "0-2,5" -> [0, 1, 2, 5] @param {string} s */
export function parseCpuList(s) {
  /** @type {number[]} */
  const out = [];
  for (const part of s.split(',')) {
    const [a, b] = part.split('-').map((x) => Number.parseInt(x, 10));
    if (a === undefined || Number.isNaN(a)) continue;
    for (let i = a; i <= (Number.isNaN(b) || b === undefined ? a : b); i++) out.push(i);
  }
  return out;
}

/**
 * Which cores the servers (upstream, proxies, Redis) get and which the load generator
 * gets: the first half and the second half of the allowed cores. No pinning with one core
 * or without taskset.
 * @param {{ serverCpus?: string, loadCpus?: string }} [asked]
 * @returns {CpuPlan}
 */
export function cpuPlan({ serverCpus, loadCpus } = {}) {
  const cpus = allowedCpus();
  const taskset = which('taskset');
  if (serverCpus && loadCpus)
    return {
      pinned: Boolean(taskset),
      server: serverCpus,
      load: loadCpus,
      reason: taskset ? null : 'taskset not found',
    };
  if (!taskset)
    return { pinned: false, server: null, load: null, reason: 'taskset not found (apt-get install util-linux)' };
  if (cpus.length < 2)
    return {
      pinned: false,
      server: null,
      load: null,
      reason: `only ${cpus.length} core available: nothing to pin apart`,
    };
  const half = Math.floor(cpus.length / 2);
  return { pinned: true, server: cpus.slice(0, half).join(','), load: cpus.slice(half).join(','), reason: null };
}

/** Pins this very process (all its threads) to `cpus`. @param {string | null} cpus */
export function pinSelf(cpus) {
  if (!cpus) return;
  try {
    execFileSync('taskset', ['-a', '-cp', cpus, String(process.pid)], { stdio: 'ignore' });
  } catch {
    // best effort: the bench process is idle while the load runs
  }
}

const TAIL_BYTES = 16 * 1024;

/**
 * Spawns `cmd args` (through `taskset -c cpus` when given: taskset execs, so the child's
 * pid is the command's own pid). Output is kept as a short tail for error messages.
 * @param {string | null} cpus
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ cwd?: string, env?: NodeJS.ProcessEnv, stdin?: 'ignore' | 'pipe' }} [opts]
 * @returns {Child}
 */
export function spawnPinned(cpus, cmd, args, opts = {}) {
  const [file, argv] = cpus ? ['taskset', ['-c', cpus, cmd, ...args]] : [cmd, args];
  const { stdin = 'ignore', ...rest } = opts;
  // stdout and stderr are pipes (the stdio option): the type says so.
  const child = /** @type {Child} */ (
    Object.assign(spawn(file, argv, { stdio: [stdin, 'pipe', 'pipe'], ...rest }), { tail: '' })
  );
  live.add(child);
  child.once('exit', () => live.delete(child));
  /** @param {Buffer} chunk */
  const keep = (chunk) => {
    child.tail = (child.tail + chunk.toString('utf8')).slice(-TAIL_BYTES);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return child;
}

/**
 * Resolves with the match once `re` appears on the child's stdout/stderr; rejects on exit or timeout.
 * @param {Child} child
 * @param {RegExp} re
 * @param {{ timeoutMs?: number, label?: string }} [opts]
 * @returns {Promise<RegExpExecArray>}
 */
export function waitForLine(child, re, { timeoutMs = 30_000, label = 'process' } = {}) {
  return new Promise((resolve, reject) => {
    let seen = '';
    /** @param {Buffer} chunk */
    const onData = (chunk) => {
      seen += chunk.toString('utf8');
      const m = re.exec(seen);
      if (m) finish(null, m);
    };
    /** @type {(code: number | null, signal: NodeJS.Signals | null) => void} */
    const onExit = (code, signal) =>
      finish(new Error(`${label} exited (${code ?? signal}) before it was ready:\n${child.tail}`));
    /** @param {Error} err */
    const onError = (err) => finish(new Error(`${label} could not start: ${err.message}`));
    const guard = setTimeout(
      () => finish(new Error(`${label} not ready after ${timeoutMs} ms:\n${child.tail}`)),
      timeoutMs,
    );
    /** @param {Error | null} err @param {RegExpExecArray} [m] */
    function finish(err, m) {
      clearTimeout(guard);
      child.stdout.off('data', onData);
      child.stderr.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      if (err || !m) reject(err);
      else resolve(m);
    }
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

/**
 * SIGTERM (or `signal`), then SIGKILL after `graceMs`; resolves when it has exited.
 * @param {Child | null | undefined} child
 * @param {{ signal?: NodeJS.Signals, graceMs?: number }} [opts]
 */
export async function stopChild(child, { signal = 'SIGTERM', graceMs = 5000 } = {}) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  const guard = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(guard);
}

/**
 * Runs a command to completion (bounded by timeoutMs), capturing stdout and stderr.
 * @param {string | null} cpus
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ timeoutMs?: number, input?: string, env?: NodeJS.ProcessEnv }} [opts]
 * @returns {Promise<{ code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string }>}
 */
export function runToEnd(cpus, cmd, args, { timeoutMs = 120_000, input, env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawnPinned(cpus, cmd, args, {
      stdin: input === undefined ? 'ignore' : 'pipe',
      ...(env ? { env } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    if (input !== undefined) child.stdin?.end(input);
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(guard);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A TCP port the OS just handed out on 127.0.0.1. */
export async function freePort() {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = /** @type {import('node:net').AddressInfo} */ (srv.address());
  srv.close();
  await once(srv, 'close');
  return port;
}

/** @type {number | null} */
let clkTck = null;
/** Clock ticks per second of /proc/<pid>/stat times (usually 100). */
export function clockTicks() {
  if (clkTck === null) {
    try {
      clkTck = Number.parseInt(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim(), 10) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** utime + stime of a whole process (every thread), in microseconds; null when gone. @param {number} pid */
export function cpuMicros(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the `(comm)`, which may itself hold spaces: state is field 3, utime 14, stime 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[11]) + Number(rest[12]);
    return (ticks * 1e6) / clockTicks();
  } catch {
    return null;
  }
}

/**
 * This process's own CPU time and that of its reaped children (cutime + cstime: a load
 * generator that has exited counts here), in microseconds.
 */
export function selfCpuMicros() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  /** @type {(a: number, b: number) => number} */
  const us = (a, b) => ((Number(rest[a]) + Number(rest[b])) * 1e6) / clockTicks();
  return { self: us(11, 12), children: us(13, 14) };
}

/** VmHWM (peak RSS) and VmRSS of a process, in kB; null when gone. @param {number} pid */
export function memKb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    /** @param {string} key */
    const get = (key) => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) : null;
    };
    return { hwm: get('VmHWM'), rss: get('VmRSS') };
  } catch {
    return null;
  }
}

/**
 * Jiffies per core from /proc/stat: { 0: { proc, irq, steal, total }, … } where proc is
 * time in processes (user + nice + system), irq is interrupt and softirq time (loopback
 * networking mostly runs there, charged to no process), steal is time the hypervisor took.
 * @returns {Record<string, CoreJiffies>}
 */
export function coreTimes() {
  /** @type {Record<string, CoreJiffies>} */
  const out = {};
  try {
    for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
      const m = /^cpu(\d+)\s+(.*)$/.exec(line);
      if (!m?.[1] || !m[2]) continue;
      const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = m[2]
        .trim()
        .split(/\s+/)
        .map(Number);
      out[m[1]] = {
        proc: user + nice + system,
        irq: irq + softirq,
        steal,
        total: user + nice + system + idle + iowait + irq + softirq + steal,
      };
    }
  } catch {
    // not Linux
  }
  return out;
}

/**
 * Time (µs) the cores in `cpus` ("0,1") spent in processes, in interrupts/softirqs, stolen,
 * and their capacity, between two coreTimes() snapshots; null without pinning.
 * @param {Record<string, CoreJiffies>} before
 * @param {Record<string, CoreJiffies>} after
 * @param {string | null} cpus
 */
export function coreUsage(before, after, cpus) {
  if (!cpus) return null;
  const sum = { proc: 0, irq: 0, steal: 0, total: 0 };
  for (const c of parseCpuList(cpus)) {
    const a = before[c];
    const b = after[c];
    if (!a || !b) continue;
    sum.proc += b.proc - a.proc;
    sum.irq += b.irq - a.irq;
    sum.steal += b.steal - a.steal;
    sum.total += b.total - a.total;
  }
  const us = 1e6 / clockTicks();
  if (sum.total <= 0) return null;
  return {
    procUs: sum.proc * us,
    irqUs: sum.irq * us,
    stealUs: sum.steal * us,
    busyUs: (sum.proc + sum.irq + sum.steal) * us,
    capacityUs: sum.total * us,
  };
}

/** The pid of a child that has started (spawn failures have none). @param {Child} child */
export function pidOf(child) {
  if (child.pid === undefined) throw new Error(`${child.spawnfile} has no pid: it did not start`);
  return child.pid;
}

/** Every descendant of `pids` (children, their children, …), from /proc/<pid>/stat's ppid. @param {number[]} pids */
export function descendants(pids) {
  /** @type {Map<number, number[]>} */
  const children = new Map();
  let entries;
  try {
    entries = readdirSync('/proc');
  } catch {
    return []; // not Linux
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    } catch {
      // gone meanwhile
    }
  }
  /** @type {number[]} */
  const out = [];
  const todo = [...pids];
  for (let pid = todo.pop(); pid !== undefined; pid = todo.pop()) {
    for (const c of children.get(pid) ?? []) {
      out.push(c);
      todo.push(c);
    }
  }
  return out;
}
