// SIGHUP: re-read the configuration file and its users/routes files, and swap in the new
// users and route policies without dropping a connection. Anything invalid keeps the old
// configuration and logs every error. Other changes (listeners, store, apps) need a restart.
// Settings saved through the API are applied to the new registry before it is swapped in.
// The files are read and parsed in a worker thread and the users indexed in slices
// (src/directory/load-in-worker.ts): requests keep flowing during a reload of 100k users,
// and the swap is one assignment, so a request sees the old directory or the new one.
// Reloads run one at a time; SIGHUPs during one make one more reload after it.
import { ConfigError } from './config/load.js';
import type { GatewayConfig } from './config/types.js';
import type { Deps } from './deps.js';
import { loadConfigInWorker } from './directory/load-in-worker.js';
import { buildRegistry } from './registry.js';
import { swapInRegistry } from './settings/tenant-settings.js';
import { deepFreeze } from './util/deep-freeze.js';

/** The old configuration with users and routes taken from the new one (same tenants and apps). */
export function mergeReloadable(old: GatewayConfig, next: GatewayConfig): { config: GatewayConfig; ignored: string[] } {
  const ignored: string[] = [];
  const tenants = Object.fromEntries(
    Object.entries(old.tenants).map(([slug, t]) => {
      const n = next.tenants[slug];
      if (!n) {
        ignored.push(`tenants.${slug} was removed`);
        return [slug, t];
      }
      const apps = t.apps.map((a) => {
        const na = n.apps.find((x) => x.name === a.name);
        if (!na) ignored.push(`tenants.${slug}.apps ${a.name} was removed`);
        return na ? { ...a, routes: na.routes, routesFile: na.routesFile } : a;
      });
      return [slug, { ...t, users: n.users, usersFile: n.usersFile, apps }];
    }),
  );
  for (const slug of Object.keys(next.tenants)) if (!old.tenants[slug]) ignored.push(`tenants.${slug} is new`);
  return { config: deepFreeze({ ...old, tenants }), ignored };
}

interface ReloadState {
  running: Promise<boolean>;
  again: Promise<boolean> | null;
}
const inFlight = new WeakMap<object, ReloadState>();

/**
 * Reloads users and routes (SIGHUP). While one reload runs, calls share one follow-up reload,
 * which starts when it ends (so the last SIGHUP's files always win, and never two at once).
 */
export function reloadConfig(deps: Deps): Promise<boolean> {
  const state = inFlight.get(deps);
  if (state) {
    state.again ??= state.running.then(
      () => runAfter(deps),
      () => runAfter(deps),
    );
    return state.again;
  }
  return start(deps);
}

function start(deps: Deps): Promise<boolean> {
  const running = reloadOnce(deps).finally(() => {
    const s = inFlight.get(deps);
    if (s && s.running === running && s.again === null) inFlight.delete(deps);
  });
  inFlight.set(deps, { running, again: null });
  return running;
}

function runAfter(deps: Deps): Promise<boolean> {
  inFlight.delete(deps);
  return start(deps);
}

async function reloadOnce(deps: Deps): Promise<boolean> {
  const old = deps.registry.config;
  if (!old.source) {
    deps.log.warn('SIGHUP ignored: the configuration was not loaded from a file');
    return false;
  }
  let next: GatewayConfig;
  try {
    next = await loadConfigInWorker(old.source);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const e of err.errors)
      deps.log.error({ code: err.code, path: e.path }, `configuration reload refused: ${e.path}: ${e.message}`);
    deps.log.error(
      { code: err.code, errors: err.errors.length },
      'configuration reload refused: the old configuration stays in force',
    );
    return false;
  }
  const { config, ignored } = mergeReloadable(old, next);
  for (const what of ignored) deps.log.warn(`configuration reload: ${what}; restart to apply`);
  const kept = await swapInRegistry(deps, buildRegistry(config), () => deps.assertions.clear());
  deps.log.info(
    { tenants: Object.keys(config.tenants).length, settingsKept: kept },
    'configuration reloaded (users and routes)',
  );
  return true;
}
