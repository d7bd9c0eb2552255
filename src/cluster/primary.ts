// The cluster primary (server.workers > 1): forks the workers, holds the listening socket
// (node:cluster hands connections round-robin to the workers), runs the ops listener, and
// keeps the pool whole — a worker that dies is replaced (at a bounded rate, warned about),
// SIGHUP reloads every worker, SIGTERM/SIGINT drains them all and exits. It builds no
// gateway of its own: no store, no sessions, no bus; that is all in the workers.
import cluster, { type Worker } from 'node:cluster';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GatewayConfig } from '../config/types.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { clusterMetrics } from '../util/metrics.js';
import { isWorkerMessage, OPS_DIR_ENV, type PrimaryMessage } from './messages.js';
import { primaryOpsHandler } from './ops.js';
import { RestartBudget } from './restart-budget.js';

/** Beyond shutdownTimeout, how long a worker may take to close its store and exit before it is killed. */
const EXIT_GRACE_MS = 5_000;

export interface PrimaryOptions {
  config: GatewayConfig;
  /** Lines carry `worker: 0` (the primary). */
  log: Logger;
  /** Where `listening on …` goes (stdout for the CLI). */
  print(line: string): void;
  clock?: Clock;
}

interface WorkerState {
  worker: Worker;
  url: string | null;
  ops: string | null;
}

function send(w: Worker, m: PrimaryMessage): void {
  if (w.isConnected()) w.send(m);
}

/** Runs the pool until SIGTERM/SIGINT; resolves with the exit code (0 after a clean drain, 1 if the start failed). */
export async function runPrimary(o: PrimaryOptions): Promise<number> {
  const { config, log } = o;
  const expected = config.server.workers;
  // The workers' ops sockets: a private directory (mode 0700) only this user can reach.
  const dir = await mkdtemp(join(tmpdir(), 'gk-cluster-'));
  const pool = new Map<number, WorkerState>();
  const budget = new RestartBudget(o.clock ?? systemClock);
  let started = false;
  let stopping = false;
  const timers = new Set<NodeJS.Timeout>();

  const fork = (): void => {
    const worker = cluster.fork({ [OPS_DIR_ENV]: dir });
    pool.set(worker.id, { worker, url: null, ops: null });
  };
  const listening = (): WorkerState[] => [...pool.values()].filter((s) => s.url !== null);

  let startDone: (ok: boolean) => void = () => {};
  const startResult = new Promise<boolean>((resolve) => (startDone = resolve));
  let allExited: () => void = () => {};
  const exitedAll = new Promise<void>((resolve) => (allExited = resolve));
  let failedExits = 0;

  cluster.on('message', (worker, m: unknown) => {
    if (!isWorkerMessage(m)) return;
    const s = pool.get(worker.id);
    if (!s) return;
    s.url = m.url;
    s.ops = m.ops;
    if (!started && listening().length === expected) {
      started = true;
      startDone(true);
    }
  });

  cluster.on('exit', (worker, code, signal) => {
    pool.delete(worker.id);
    if (stopping) {
      // SIGTERM before its handlers were installed (a worker still starting) is a clean end too.
      if ((code !== 0 && code !== null) || signal === 'SIGKILL') failedExits++;
      if (pool.size === 0) allExited();
      return;
    }
    if (!started) {
      log.error({ exited: worker.id, code, signal }, 'a worker exited during start: stopping');
      startDone(false);
      return;
    }
    const wait = budget.take();
    log.warn(
      { exited: worker.id, code, signal, restartInMs: wait },
      wait === 0
        ? 'worker exited unexpectedly: starting a replacement'
        : 'worker exited unexpectedly: too many restarts, replacement delayed',
    );
    const t = setTimeout(() => {
      timers.delete(t);
      if (!stopping) fork();
    }, wait);
    timers.add(t);
  });

  /** Tells every worker to drain (what SIGTERM does to a single process); after shutdownTimeout plus a grace the stragglers are killed. */
  const stopWorkers = async (): Promise<void> => {
    stopping = true;
    for (const t of timers) clearTimeout(t);
    if (pool.size === 0) return;
    // SIGTERM rather than a message: a worker still starting has no message handler yet, and
    // the default action ends it; a running one drains (src/cluster/worker.ts).
    for (const s of pool.values()) s.worker.process.kill('SIGTERM');
    const kill = setTimeout(
      () => {
        log.warn({ workers: [...pool.keys()] }, 'workers still running after the shutdown timeout: killing them');
        for (const s of pool.values()) s.worker.process.kill('SIGKILL');
      },
      config.server.shutdownTimeout * 1000 + EXIT_GRACE_MS,
    );
    await exitedAll;
    clearTimeout(kill);
  };

  for (let i = 0; i < expected; i++) fork();
  if (!(await startResult)) {
    await stopWorkers();
    await rm(dir, { recursive: true, force: true });
    return 1;
  }

  let ops: http.Server | null = null;
  const opsAt = config.server.ops.listen;
  if (opsAt) {
    const handler = primaryOpsHandler({
      listening: () => listening().map((s) => ({ id: s.worker.id, ops: s.ops! })),
      expected,
      shuttingDown: () => stopping,
      metrics: clusterMetrics(),
    });
    ops = http.createServer(handler);
    try {
      await new Promise<void>((resolve, reject) => {
        ops!.once('error', reject).listen(opsAt.port, opsAt.host, () => resolve());
      });
    } catch (err) {
      log.error({ err: String(err) }, 'could not bind the ops listener: stopping');
      await stopWorkers();
      await rm(dir, { recursive: true, force: true });
      return 1;
    }
  } else {
    log.info('metrics are off: /metrics is served only on the ops listener (set server.ops.listen)');
  }
  o.print(`listening on ${listening()[0]!.url!}`);
  if (ops) {
    const a = ops.address() as AddressInfo;
    o.print(`listening on http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port} (ops)`);
  }
  log.info({ workers: expected }, 'cluster started');

  return new Promise<number>((resolve) => {
    const shutdown = (signal: string): void => {
      if (stopping) return;
      log.info({ signal, workers: pool.size }, 'shutting down: draining every worker');
      ops?.close();
      ops?.closeAllConnections();
      void stopWorkers().then(async () => {
        await rm(dir, { recursive: true, force: true });
        if (failedExits > 0) log.error({ failed: failedExits }, 'some workers did not stop cleanly');
        else log.info('every worker drained and stopped');
        resolve(failedExits > 0 ? 1 : 0);
      });
    };
    process.on('SIGHUP', () => {
      log.info({ workers: pool.size }, 'SIGHUP: reloading every worker');
      for (const s of pool.values()) send(s.worker, { t: 'gk:reload' });
    });
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
}
