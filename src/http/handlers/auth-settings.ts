// GET/PATCH /t/{slug}/api/v1/configuration/auth-settings: the tenant's effective settings in
// the YAML shape; PATCH validates (422 with every error), persists, applies everywhere.
import type { Deps } from '../../deps.js';
import type { GatewayContext } from '../context.js';
import {
  formatSettings,
  rpIdProblem,
  validateSettingsPatch,
  type TenantSettingsPatch,
} from '../../config/settings-patch.js';
import { updateTenantSettings, type SettingsDeps } from '../../settings/tenant-settings.js';
import { readJson } from '../body.js';
import { requireAdmin, type Caller, type CallerDeps } from '../caller.js';
import { requireSensitiveStepUp } from '../sensitive.js';
import { tagError } from '../error-code.js';
import { sendJson } from '../respond.js';

export type FormattedSettings = ReturnType<typeof formatSettings>;

/** The admin check, saving and announcing the settings, and the audit log. */
export type AuthSettingsDeps = CallerDeps & SettingsDeps & Pick<Deps, 'audit' | 'factors'>;

export async function getAuthSettings(ctx: GatewayContext<AuthSettingsDeps>): Promise<void> {
  await requireAdmin(ctx);
  sendJson(ctx.res, 200, { settings: formatSettings(ctx.tenant.settings) });
}

export async function patchAuthSettings(ctx: GatewayContext<AuthSettingsDeps>): Promise<void> {
  const caller = await requireAdmin(ctx);
  await requireSensitiveStepUp(ctx, caller);
  const body = await readJson(ctx.req);
  const v = validateSettingsPatch(body);
  const rpId = v.ok ? rpIdProblem(v.value.mfa?.rpId, ctx.publicUrl) : null;
  if (!v.ok || rpId !== null) {
    tagError(ctx.res, 'ERR_GK_SETTINGS_INVALID');
    const errors = v.ok ? [{ path: 'mfa.rpId', message: rpId }] : v.errors;
    return sendJson(ctx.res, 422, { errors, code: 'ERR_GK_SETTINGS_INVALID' });
  }
  const { settings } = await saveAuthSettings(ctx, caller, v.value);
  sendJson(ctx.res, 200, { settings });
}

/**
 * Saves a validated patch and audits `settings_changed` with the top-level keys whose value
 * changed. Shared by the API (PATCH) and the portal form.
 */
export async function saveAuthSettings(
  ctx: GatewayContext<AuthSettingsDeps>,
  caller: Caller,
  patch: TenantSettingsPatch,
): Promise<{ settings: FormattedSettings; changed: string[] }> {
  const before = formatSettings(ctx.tenant.settings);
  const settings = formatSettings(await updateTenantSettings(ctx.deps, ctx.tenant, patch));
  const changed = Object.keys(settings).filter(
    (k) => JSON.stringify(settings[k as keyof typeof settings]) !== JSON.stringify(before[k as keyof typeof before]),
  );
  ctx.deps.audit.emit('settings_changed', {
    tenant: ctx.tenant.slug,
    userId: caller.user?.id ?? caller.token?.sub ?? null,
    sessionId: caller.session?.id ?? null,
    ip: ctx.clientIp,
    changed,
  });
  return { settings, changed };
}
