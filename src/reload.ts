// SIGHUP: re-read the configuration file and its users/routes files, and swap in the new
// users and route policies without dropping a connection. Anything invalid keeps the old
// configuration and logs every error. Other changes (listeners, store, apps) need a restart.
// Settings saved through the API are applied to the new registry before it is swapped in.
import { ConfigError, loadConfigFile } from './config/load.js';
import type { GatewayConfig } from './config/types.js';
import type { Deps } from './deps.js';
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

export async function reloadConfig(deps: Deps): Promise<boolean> {
  const old = deps.registry.config;
  if (!old.source) {
    deps.log.warn('SIGHUP ignored: the configuration was not loaded from a file');
    return false;
  }
  let next: GatewayConfig;
  try {
    next = loadConfigFile(old.source);
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
