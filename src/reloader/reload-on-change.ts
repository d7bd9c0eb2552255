// `gatekeeper reload-on-change --config FILE [--watch DIR]...`: a sidecar for Kubernetes (or
// any setup where the configuration is replaced underneath a running gateway). It watches the
// configuration's folder (and more folders, e.g. a mounted Secret with the users file) and,
// when what they say changes, sends SIGHUP to the gateway processes started with the same
// --config FILE, which then reload users and routes (an invalid file keeps the old ones).
import { dirname, resolve } from 'node:path';
import type { Logger } from '../util/log.js';
import { findGateways } from './find-gateway.js';
import { watchFolders, type FolderWatch, type WatchOptions } from './watch-files.js';

export interface ReloaderDeps {
  log: Pick<Logger, 'info' | 'warn'>;
  find: (configPath: string) => number[];
  kill: (pid: number, signal: NodeJS.Signals) => void;
}

export const systemReloaderDeps = (log: ReloaderDeps['log']): ReloaderDeps => ({
  log,
  find: (configPath) => findGateways(configPath),
  kill: (pid, signal) => process.kill(pid, signal),
});

/** Signals every gateway for configPath; returns how many got SIGHUP. */
export function signalGateways(configPath: string, deps: ReloaderDeps): number {
  let sent = 0;
  for (const pid of deps.find(configPath)) {
    try {
      deps.kill(pid, 'SIGHUP');
      sent++;
    } catch (err) {
      deps.log.warn({ pid, err: String(err) }, 'reload-on-change: could not signal the gateway');
    }
  }
  if (sent === 0) deps.log.warn({ config: configPath }, 'reload-on-change: the files changed, but no gateway runs');
  else deps.log.info({ config: configPath, gateways: sent }, 'reload-on-change: files changed, SIGHUP sent');
  return sent;
}

export function reloadOnChange(
  configPath: string,
  extraDirs: readonly string[],
  deps: ReloaderDeps,
  o: WatchOptions = {},
): FolderWatch {
  const config = resolve(configPath);
  const dirs = [...new Set([dirname(config), ...extraDirs.map((d) => resolve(d))])];
  deps.log.info({ config, watching: dirs }, 'reload-on-change: watching');
  return watchFolders(dirs, () => signalGateways(configPath, deps), o);
}

/** The command: runs until SIGTERM/SIGINT, then exits 0. */
export async function runReloadOnChange(
  configPath: string | undefined,
  extraDirs: readonly string[],
  log: ReloaderDeps['log'],
): Promise<number> {
  if (!configPath) {
    console.error('reload-on-change needs --config FILE (the path the gateway was started with)');
    return 2;
  }
  const w = reloadOnChange(configPath, extraDirs, systemReloaderDeps(log), { pollMs: 60_000 });
  return new Promise<number>((resolveExit) => {
    const stop = (): void => {
      w.close();
      resolveExit(0);
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
