// @ts-check
/* global process, URL */
// The processes one bench run starts on the servers' cores — Redis, the upstream, the
// proxies, the gateways — kept in one list so that the CPU accounting knows which time on
// those cores was ours and the run stops every one of them however it ends.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from './gateway.mjs';
import { descendants, freePort, pidOf, spawnPinned, stopChild, waitForLine } from './proc.mjs';

/** @typedef {import('./types.js').Child} Child */
/** @typedef {import('./types.js').Server} Server */
/** @typedef {import('./types.js').Redis} Redis */

const SERVERS_DIR = fileURLToPath(new URL('../servers/', import.meta.url));

export class Fleet {
  /**
   * @param {string | null} cpus  the servers' taskset CPU list (null: not pinned)
   * @param {string} tmp  the run's temp dir
   */
  constructor(cpus, tmp) {
    this.cpus = cpus;
    this.tmp = tmp;
    /** @type {{ label: string, child: Child }[]} */
    this.procs = [];
    /** @type {(() => Promise<unknown>)[]} */
    this.deferred = [];
  }

  /** Something else to undo when the run ends (after the processes are stopped). @param {() => Promise<unknown>} fn */
  defer(fn) {
    this.deferred.push(fn);
  }

  /**
   * @param {string} label
   * @param {Child} child
   */
  track(label, child) {
    this.procs.push({ label, child });
  }

  /** Our own redis-server on a free port, no persistence: never the machine's own Redis. @returns {Promise<Redis>} */
  async startRedis(/** @type {string} */ bin) {
    const port = await freePort();
    const child = spawnPinned(
      this.cpus,
      bin,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.tmp],
      {
        cwd: this.tmp,
      },
    );
    this.track('redis', child);
    await waitForLine(child, /Ready to accept connections/, { label: 'redis-server' });
    return { pid: pidOf(child), url: `redis://127.0.0.1:${port}/0` };
  }

  /**
   * `node bench/servers/<script> …args`, ready once it prints `listening on <url>`.
   * @param {string} label
   * @param {string} script
   * @param {string[]} args
   * @returns {Promise<Server>}
   */
  async startScript(label, script, args) {
    const env = { ...process.env, NODE_ENV: 'production' };
    const child = spawnPinned(this.cpus, process.execPath, [join(SERVERS_DIR, script), ...args], { cwd: ROOT, env });
    this.track(label, child);
    const m = await waitForLine(child, /listening on (http:\/\/[^\s]+)/, { label });
    return { label, pid: pidOf(child), child, url: (m[1] ?? '').replace(/\/$/, '') };
  }

  /** Pids of every process of ours still running on the servers' cores, their children included. */
  livePids() {
    const roots = this.procs.flatMap((p) =>
      p.child.exitCode === null && p.child.signalCode === null && p.child.pid !== undefined ? [p.child.pid] : [],
    );
    return [...new Set([...roots, ...descendants(roots)])];
  }

  async stopAll() {
    await Promise.all(this.procs.map((p) => stopChild(p.child).catch(() => {})));
    await Promise.all(this.deferred.splice(0).map((fn) => fn().catch(() => {})));
  }
}
