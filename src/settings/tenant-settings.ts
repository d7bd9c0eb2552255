// Tenant auth-settings saved through the API (the seed's /portal/configuration/auth-settings):
// a cumulative patch persisted in the store over the YAML values, applied on every instance
// (the bus announces a change; each instance re-reads the store).
import { applySettingsPatch, type TenantSettingsPatch } from '../config/schema.js';
import type { TenantSettings } from '../config/types.js';
import type { Deps } from '../deps.js';
import type { TenantRuntime } from '../registry.js';
import { cookieSpec } from '../session/cookie.js';

type Patch = Record<string, unknown>;

/** Deep-enough merge for the settings shape (nested objects are one level deep). */
export function mergePatches(a: Patch, b: Patch): Patch {
  const out: Patch = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) continue;
    const prev = out[k];
    out[k] = v !== null && typeof v === 'object' && prev !== null && typeof prev === 'object' ? { ...(prev as Patch), ...(v as Patch) } : v;
  }
  return out;
}

function apply(deps: Deps, tenant: TenantRuntime, patch: Patch): TenantSettings {
  const settings = applySettingsPatch(tenant.config.settings, patch as TenantSettingsPatch);
  tenant.settings = Object.freeze(settings);
  tenant.cookie = cookieSpec(deps.registry.config.server.publicUrl, tenant.slug, settings);
  return settings;
}

async function storedPatch(deps: Deps, slug: string): Promise<Patch> {
  const raw = await deps.store.getTenantSettings(slug);
  if (!raw) return {};
  try {
    return JSON.parse(raw) as Patch;
  } catch {
    deps.log.error({ tenant: slug }, 'stored tenant settings are not valid JSON; using the configuration file');
    return {};
  }
}

/** Re-reads one tenant's saved settings (at start, and when another instance changed them). */
export async function reloadTenantSettings(deps: Deps, slug: string): Promise<void> {
  const tenant = deps.registry.tenants.get(slug);
  if (tenant) apply(deps, tenant, await storedPatch(deps, slug));
}

export async function loadAllTenantSettings(deps: Deps): Promise<void> {
  for (const slug of deps.registry.tenants.keys()) await reloadTenantSettings(deps, slug);
}

/** Validated patch → merged with what was saved → persisted → applied here → announced. */
export async function updateTenantSettings(deps: Deps, tenant: TenantRuntime, patch: TenantSettingsPatch): Promise<TenantSettings> {
  const merged = mergePatches(await storedPatch(deps, tenant.slug), patch as Patch);
  await deps.store.setTenantSettings(tenant.slug, JSON.stringify(merged));
  const settings = apply(deps, tenant, merged);
  await deps.bus.settingsChanged(tenant.slug);
  return settings;
}
