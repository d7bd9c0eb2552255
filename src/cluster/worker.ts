// One worker of a cluster (server.workers > 1): a full gateway instance — its own store
// connections, revocation bus subscription, caches and live-socket registry — on the port
// the primary holds. Revocations reach it over Redis exactly as they reach another machine.
// Its ops handler answers on a private Unix socket the primary asks (/readyz); its metrics
// go to the primary over IPC. The primary tells it to stop or reload; it also stops when
// the primary is gone (the IPC channel closes), so a killed primary leaves no workers behind.
import cluster from 'node:cluster';
import { join } from 'node:path';
import type { Preflight } from '../preflight.js';
import { reloadConfig } from '../reload.js';
import { startGateway } from '../server.js';
import { createLogger, type Logger } from '../util/log.js';
import { answerClusterScrapes } from '../util/metrics.js';
import { isPrimaryMessage, OPS_DIR_ENV, type WorkerMessage } from './messages.js';

/** This worker's id (1, 2, … and on for replacements); null in a process that is not a worker. */
export function workerId(): number | null {
  return cluster.isWorker ? (cluster.worker?.id ?? null) : null;
}

/** Every line a worker logs carries `worker: <id>`. */
export function workerLogger(id: number): Logger {
  return createLogger().child({ worker: id });
}

/** Before anything slow: a scrape that arrives while this worker starts gets an empty answer, not a timeout. */
export function prepareWorker(): void {
  answerClusterScrapes();
}

/** Runs the gateway until told to stop; resolves with the exit code. */
export async function runWorker(id: number, checked: Preflight, log: Logger): Promise<number> {
  const dir = process.env[OPS_DIR_ENV];
  if (!dir) throw new Error(`${OPS_DIR_ENV} is not set: a worker is started by its primary`);
  const gw = await startGateway(checked.config, {
    log,
    keys: checked.keys,
    geo: checked.geo,
    opsSocket: join(dir, `${id}.sock`),
  });
  answerClusterScrapes(gw.deps.metrics.registry);
  log.info({ pid: process.pid }, 'worker listening');
  process.send?.({ t: 'gk:listening', url: gw.url, ops: gw.opsUrl ?? '' } satisfies WorkerMessage);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (why: string): void => {
      if (stopping) return;
      stopping = true;
      log.info({ why }, 'worker shutting down');
      gw.stop().then(
        () => resolve(0),
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    const reload = (): void => {
      reloadConfig(gw.deps).catch((err: unknown) => log.error({ err: String(err) }, 'configuration reload failed'));
    };
    process.on('message', (m: unknown) => {
      if (isPrimaryMessage(m)) reload();
    });
    // The primary stops a worker with SIGTERM. Signals sent to the whole process group (a
    // terminal's Ctrl-C, a hangup) reach the workers too.
    process.on('SIGHUP', reload);
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('disconnect', () => stop('primary gone'));
  });
}
