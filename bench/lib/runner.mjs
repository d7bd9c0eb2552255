// @ts-check
/* global process, URL */
// Running the load: warm-up, the closed-loop rounds (modes interleaved A B C … A B C …)
// and the open-loop rounds, each run with its CPU accounting — the mode's own server
// process(es), Redis, the upstream, the load generator, and what other processes took from
// the pinned cores meanwhile.
import { fileURLToPath } from 'node:url';
import { closedLoop } from './loadgen.mjs';
import { coreTimes, coreUsage, cpuMicros, runToEnd, selfCpuMicros } from './proc.mjs';
import { closedProgressLine, openProgressLine } from './report.mjs';
import { upstreamHits } from './servers.mjs';

/** @typedef {import('./fleet.mjs').Fleet} Fleet */
/** @typedef {import('./types.js').Accounting} Accounting */
/** @typedef {import('./types.js').ActiveMode} ActiveMode */
/** @typedef {import('./types.js').CpuPlan} CpuPlan */
/** @typedef {import('./types.js').LoadTool} LoadTool */
/** @typedef {import('./types.js').OpenLoopResult} OpenLoopResult */
/** @typedef {import('./types.js').OpenLoopRow} OpenLoopRow */
/** @typedef {import('./types.js').PerRequest} PerRequest */
/** @typedef {import('./types.js').Redis} Redis */
/** @typedef {import('./types.js').Server} Server */
/** @typedef {import('./types.js').Target} Target */
/** @typedef {(...a: unknown[]) => void} Log */

const OPENLOOP_WORKER = fileURLToPath(new URL('./openloop-worker.mjs', import.meta.url));

/** The processes whose CPU time and memory are the server's. @param {Server} srv */
export function serverPids(srv) {
  return srv.pids ? srv.pids() : [srv.pid];
}

/**
 * CPU µs of a set of processes between two snapshots (processes gone by then are left out); null when none was seen twice.
 * @param {Map<number, number | null>} before
 * @param {Map<number, number | null>} after
 */
function cpuDelta(before, after) {
  let sum = null;
  for (const [pid, a] of before) {
    const b = after.get(pid);
    if (a !== null && b !== null && b !== undefined) sum = (sum ?? 0) + (b - a);
  }
  return sum;
}

/** @param {number[]} pids */
const cpuSnapshot = (pids) => new Map(pids.map((pid) => [pid, cpuMicros(pid)]));

export class Runner {
  /**
   * @param {{ fleet: Fleet, cpus: CpuPlan, tool: LoadTool, threads: number, connections: number, redis: Redis, upstream: Server, log: Log }} deps
   */
  constructor({ fleet, cpus, tool, threads, connections, redis, upstream, log }) {
    this.fleet = fleet;
    this.cpus = cpus;
    this.tool = tool;
    this.threads = threads;
    this.connections = connections;
    this.redis = redis;
    this.upstream = upstream;
    this.log = log;
  }

  /** @param {Target} target @param {number} seconds */
  load(target, seconds) {
    return closedLoop(target, {
      tool: this.tool,
      seconds,
      connections: this.connections,
      threads: this.threads,
      cpus: this.cpus.load,
      tmpDir: this.fleet.tmp,
    });
  }

  upstreamHits() {
    return upstreamHits(this.upstream);
  }

  /**
   * Runs fn() (a load generator that exits when done) and accounts for the CPU time spent
   * meanwhile: the mode's own server process(es), Redis, the upstream, everything else of
   * ours on the server cores, the load generator (a reaped child: our cutime), and what
   * other processes on the machine took from the pinned cores.
   * @template T
   * @param {ActiveMode} m
   * @param {() => Promise<T>} fn
   * @returns {Promise<{ result: T, acct: Accounting }>}
   */
  async accounted(m, fn) {
    const groups = { proc: serverPids(m.srv), redis: [this.redis.pid], upstream: [this.upstream.pid] };
    const ours = this.fleet.livePids();
    const snap = () => ({
      proc: cpuSnapshot(groups.proc),
      redis: cpuSnapshot(groups.redis),
      upstream: cpuSnapshot(groups.upstream),
      all: cpuSnapshot(ours),
    });
    const a = snap();
    const self0 = selfCpuMicros();
    const cores0 = coreTimes();
    const result = await fn();
    const cores1 = coreTimes();
    const self1 = selfCpuMicros();
    const b = snap();
    const oursOnServerUs = cpuDelta(a.all, b.all) ?? 0;
    const loadGenUs = self1.children - self0.children;
    const su = coreUsage(cores0, cores1, this.cpus.server);
    const lu = coreUsage(cores0, cores1, this.cpus.load);
    /** @type {(x: number, u: { capacityUs: number } | null) => number | null} */
    const share = (x, u) => (u ? Math.max(0, x) / u.capacityUs : null);
    return {
      result,
      acct: {
        named: {
          proc: cpuDelta(a.proc, b.proc),
          redis: cpuDelta(a.redis, b.redis),
          upstream: cpuDelta(a.upstream, b.upstream),
        },
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
  }

  /** Warm-up (JIT, connection pools, Redis), not recorded. @param {ActiveMode[]} modes @param {number} seconds */
  async warmUp(modes, seconds) {
    if (seconds <= 0) return;
    this.log(`warm-up: ${seconds} s per mode…`);
    for (const m of modes) await this.load(m.target, seconds);
  }

  /**
   * The closed-loop rounds, modes interleaved; each mode's rows go to m.rounds.
   * @param {ActiveMode[]} modes
   * @param {{ rounds: number, seconds: number }} plan
   */
  async closedRounds(modes, { rounds, seconds }) {
    for (const m of modes) m.rounds = [];
    for (let round = 1; round <= rounds; round++) {
      for (const m of modes) {
        const hits0 = m.def.reachesUpstream ? await this.upstreamHits() : null;
        const { result: r, acct } = await this.accounted(m, () => this.load(m.target, seconds));
        const hits = hits0 !== null ? (await this.upstreamHits()) - hits0 : null;
        const row = { round, ...r, ...perRequest(acct, r.requests), upstreamHits: hits };
        m.rounds.push(row);
        this.log(closedProgressLine(round, rounds, m.name, row));
      }
    }
  }

  /**
   * The open-loop rounds: every mode driven at `rate` requests/s by the fixed-rate worker.
   * @param {ActiveMode[]} modes
   * @param {{ rate: number, rounds: number, seconds: number, leadInSeconds: number }} plan
   * @returns {Promise<Record<string, OpenLoopRow[]>>}
   */
  async openLoopRounds(modes, { rate, rounds, seconds, leadInSeconds }) {
    /** @type {Record<string, OpenLoopRow[]>} */
    const out = Object.fromEntries(modes.map((m) => [m.name, []]));
    for (let round = 1; round <= rounds; round++) {
      for (const m of modes) {
        const job = {
          url: m.target.url,
          headers: m.target.headers,
          rate,
          seconds,
          connections: this.connections,
          leadInSeconds,
        };
        const { result: r, acct } = await this.accounted(m, () =>
          runToEnd(this.cpus.load, process.execPath, [OPENLOOP_WORKER, JSON.stringify(job)], {
            timeoutMs: (seconds + 30) * 1000,
          }),
        );
        if (r.code !== 0) throw new Error(`open-loop worker failed (${r.code ?? r.signal}): ${r.stderr}`);
        /** @type {OpenLoopResult} */
        const res = JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
        const row = { round, ...res, ...perRequest(acct, res.sent) };
        out[m.name]?.push(row);
        this.log(openProgressLine(round, rounds, m.name, row));
      }
    }
    return out;
  }
}

/**
 * @param {Accounting} acct
 * @param {number} requests
 * @returns {PerRequest}
 */
export function perRequest(acct, requests) {
  /** @param {number | null} us */
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
}
