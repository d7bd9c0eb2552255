// A tenant's settings patch, in one place for the config file, the auth-settings API and the
// portal's form: the schema (every key optional, so one schema serves the YAML `settings` and a
// PATCH), its validation with every error at its path, merging a patch into settings or into an
// earlier patch, and the YAML shape GET answers.
import { z } from 'zod';
import { formatDuration } from '../util/duration.js';
import { isHostName } from '../util/host.js';
import type { TenantSettings } from './types.js';
import { duration, fail, formatPath, from, ok, validate, type ConfigIssue } from './zod-helpers.js';

const cookieDomain = from((v) =>
  v === null
    ? ok(null)
    : typeof v === 'string' && isHostName(v.replace(/^\./, ''))
      ? ok(v.toLowerCase().replace(/^\./, '').replace(/\.$/, ''))
      : fail('cookie domain must be a host name such as acme.test, or null'),
);

const rpId = from((v) =>
  v === null
    ? ok(null)
    : typeof v === 'string' && isHostName(v)
      ? ok(v.toLowerCase().replace(/\.$/, ''))
      : fail('mfa.rpId must be a host name such as acme.test (the publicUrl host or a parent domain of it), or null'),
);

/**
 * A WebAuthn RP ID must be the publicUrl host or a parent domain of it, or no browser would
 * create or use a credential for the gateway's pages. The message, or null when it fits.
 */
export function rpIdProblem(rpId: string | null | undefined, publicUrl: string): string | null {
  if (rpId === null || rpId === undefined) return null;
  const host = new URL(publicUrl).hostname.toLowerCase();
  return host === rpId || host.endsWith(`.${rpId}`)
    ? null
    : `mfa.rpId ${rpId} must be the publicUrl host (${host}) or a parent domain of it`;
}

/** A deep-partial of the tenant settings (SPEC §2 shape, durations as strings or seconds → seconds). */
export const tenantSettingsPatchSchema = z.strictObject({
  sessionLifetime: duration(1).optional(),
  accessTokenLifetime: duration(1).optional(),
  refreshTokenLifetime: duration(1).optional(),
  idleTimeout: duration(1).optional(),
  rememberMe: z.strictObject({ enabled: z.boolean().optional(), duration: duration(1).optional() }).optional(),
  maxConcurrentSessions: z.number().int().min(0).max(10_000).optional(),
  concurrentSessionPolicy: z.enum(['evict-oldest', 'reject']).optional(),
  ipBinding: z.enum(['off', 'exact', 'subnet']).optional(),
  ipBindingAction: z.enum(['reject', 'revoke']).optional(),
  cookie: z
    .strictObject({ sameSite: z.enum(['strict', 'lax']).optional(), domain: cookieDomain.optional() })
    .optional(),
  loginThrottle: z
    .strictObject({
      maxFailures: z.number().int().min(1).max(1000).optional(),
      window: duration(1).optional(),
      lockout: duration(1).optional(),
    })
    .optional(),
  refreshGrace: duration().optional(),
  mfa: z
    .strictObject({
      totp: z.boolean().optional(),
      webauthn: z.boolean().optional(),
      passkeyLogin: z.boolean().optional(),
      required: z.boolean().optional(),
      rpId: rpId.optional(),
    })
    .optional(),
});
export type TenantSettingsPatch = z.output<typeof tenantSettingsPatchSchema>;

/** The settings `patch` makes of `base` (nested objects merged key by key). */
export function applySettingsPatch(base: TenantSettings, patch: TenantSettingsPatch): TenantSettings {
  const { rememberMe, cookie, loginThrottle, mfa, ...flat } = patch;
  const defined = <T extends object>(o: T | undefined) =>
    Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
  return {
    ...base,
    ...defined(flat),
    rememberMe: { ...base.rememberMe, ...defined(rememberMe) },
    cookie: { ...base.cookie, ...defined(cookie) },
    loginThrottle: { ...base.loginThrottle, ...defined(loginThrottle) },
    mfa: { ...base.mfa, ...defined(mfa) },
  };
}

/** Settings in the YAML shape, durations as strings ("24h", "30m"): what GET auth-settings answers. */
export function formatSettings(s: TenantSettings) {
  const d = formatDuration;
  return {
    ...s,
    sessionLifetime: d(s.sessionLifetime),
    accessTokenLifetime: d(s.accessTokenLifetime),
    refreshTokenLifetime: d(s.refreshTokenLifetime),
    idleTimeout: d(s.idleTimeout),
    rememberMe: { ...s.rememberMe, duration: d(s.rememberMe.duration) },
    cookie: { ...s.cookie },
    loginThrottle: { ...s.loginThrottle, window: d(s.loginThrottle.window), lockout: d(s.loginThrottle.lockout) },
    refreshGrace: d(s.refreshGrace),
    mfa: { ...s.mfa },
  };
}

/** For the auth-settings PATCH API: `{ok, value}` or `{ok: false, errors: [{path, message}]}`. */
export function validateSettingsPatch(
  input: unknown,
): { ok: true; value: TenantSettingsPatch } | { ok: false; errors: ConfigIssue[] } {
  const r = validate(tenantSettingsPatchSchema, input);
  return r.ok ? r : { ok: false, errors: r.issues.map((i) => ({ path: formatPath(i.path), message: i.message })) };
}

type Patch = Record<string, unknown>;

/** Two patches as one: `b` over `a`, nested objects (one level deep) merged key by key. */
export function mergePatches(a: Patch, b: Patch): Patch {
  const out: Patch = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) continue;
    const prev = out[k];
    out[k] =
      v !== null && typeof v === 'object' && prev !== null && typeof prev === 'object'
        ? { ...(prev as Patch), ...(v as Patch) }
        : v;
  }
  return out;
}
