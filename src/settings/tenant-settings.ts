// Tenant auth-settings saved through the API (the seed's /portal/configuration/auth-settings):
// a cumulative patch persisted in the store over the YAML values, applied on every instance
// (the bus announces a change; each instance re-reads the store). Saved settings stay in
// force at every instant (SPEC §2): a reloaded registry gets them before it is swapped in,
// and every change of the effective settings runs one after another (see `inOrder`).
import { applySettingsPatch, mergePatches, type TenantSettingsPatch } from '../config/settings-patch.js';
import type { TenantSettings } from '../config/types.js';
import type { Deps } from '../deps.js';
import type { Registry, TenantRuntime } from '../registry.js';
import type { SessionStore } from '../store/types.js';
import { cookieSpec } from '../session/cookie.js';
import { deepFreeze } from '../util/deep-freeze.js';

/**
 * The registry in force (swapped here on reload), the store's saved settings, the bus that
 * announces a change, and the log. One chain of changes per such object (see `inOrder`).
 */
export type SettingsDeps = Pick<Deps, 'registry' | 'log' | 'bus'> & {
  store: Pick<SessionStore, 'getTenantSettings' | 'setTenantSettings'>;
};

type Patch = Record<string, unknown>;

function install(tenant: TenantRuntime, publicUrl: string, settings: TenantSettings): TenantSettings {
  tenant.settings = deepFreeze(settings);
  tenant.cookie = cookieSpec(publicUrl, tenant.slug, settings);
  return settings;
}

function apply(tenant: TenantRuntime, publicUrl: string, patch: Patch): TenantSettings {
  return install(tenant, publicUrl, applySettingsPatch(tenant.config.settings, patch as TenantSettingsPatch));
}

async function storedPatch(deps: SettingsDeps, slug: string): Promise<Patch> {
  const raw = await deps.store.getTenantSettings(slug);
  if (!raw) return {};
  try {
    return JSON.parse(raw) as Patch;
  } catch {
    deps.log.error({ tenant: slug }, 'stored tenant settings are not valid JSON; using the configuration file');
    return {};
  }
}

// One chain per gateway instance (keyed by its deps): a re-read announced by the bus while a
// reload is building its registry waits for the swap and then applies to the new registry;
// without it, the reload would swap in what it read before the change.
const chains = new WeakMap<SettingsDeps, Promise<unknown>>();

function inOrder<T>(deps: SettingsDeps, fn: () => Promise<T>): Promise<T> {
  const run = (chains.get(deps) ?? Promise.resolve()).then(fn, fn);
  chains.set(
    deps,
    run.catch(() => {}),
  );
  return run;
}

/** Re-reads one tenant's saved settings (at start, and when another instance changed them). */
export function reloadTenantSettings(deps: SettingsDeps, slug: string): Promise<void> {
  return inOrder(deps, async () => {
    const patch = await storedPatch(deps, slug);
    // The registry in force now (a reload may have swapped it while the store answered).
    const tenant = deps.registry.tenants.get(slug);
    if (tenant) apply(tenant, deps.registry.config.server.publicUrl, patch);
  });
}

export async function loadAllTenantSettings(deps: SettingsDeps): Promise<void> {
  for (const slug of deps.registry.tenants.keys()) await reloadTenantSettings(deps, slug);
}

/**
 * SIGHUP: gives every tenant of the not-yet-used registry `next` its saved settings, then
 * swaps it in — never a moment with the YAML values alone. When the store cannot be read
 * for a tenant, it keeps the settings in force now (never the YAML ones); returns those slugs.
 * `onSwapped` runs in the same turn as the swap (caches built from the old registry).
 */
export function swapInRegistry(
  deps: SettingsDeps,
  next: Registry,
  onSwapped: () => void = () => {},
): Promise<string[]> {
  return inOrder(deps, async () => {
    const kept: string[] = [];
    const publicUrl = next.config.server.publicUrl;
    await Promise.all(
      [...next.tenants.values()].map(async (tenant) => {
        try {
          apply(tenant, publicUrl, await storedPatch(deps, tenant.slug));
        } catch (err) {
          const current = deps.registry.tenants.get(tenant.slug);
          if (current) install(tenant, publicUrl, current.settings);
          kept.push(tenant.slug);
          deps.log.warn(
            { err: String(err), tenant: tenant.slug },
            'could not read saved tenant settings during reload; the settings in force are kept',
          );
        }
      }),
    );
    deps.registry = next;
    onSwapped();
    return kept;
  });
}

/** Validated patch → merged with what was saved → persisted → applied here → announced. */
export function updateTenantSettings(
  deps: SettingsDeps,
  tenant: TenantRuntime,
  patch: TenantSettingsPatch,
): Promise<TenantSettings> {
  return inOrder(deps, async () => {
    const merged = mergePatches(await storedPatch(deps, tenant.slug), patch as Patch);
    await deps.store.setTenantSettings(tenant.slug, JSON.stringify(merged));
    // The registry in force now, which a reload may have replaced since the request began.
    const settings = apply(
      deps.registry.tenants.get(tenant.slug) ?? tenant,
      deps.registry.config.server.publicUrl,
      merged,
    );
    await deps.bus.settingsChanged(tenant.slug);
    return settings;
  });
}
