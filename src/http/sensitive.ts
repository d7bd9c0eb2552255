// The gateway's own sensitive actions (SPEC §13): changing the tenant's auth settings,
// revoking all of a user's sessions, removing a user's second factors. An admin who signs in
// with a second factor — every admin when the tenant sets `mfa.required` — must have passed
// it within the last 15 minutes, as a route with `require: { mfa: true, freshAuth: 15m }`
// would ask. A client acting as itself (client_credentials, no user) is not asked.
import type { Deps } from '../deps.js';
import { GatewayError } from '../errors.js';
import type { Caller } from './caller.js';
import type { GatewayContext } from './context.js';
import { mfaUrl } from './deny.js';
import { redirect } from './respond.js';

export const SENSITIVE_MFA_FRESHNESS_S = 900;

/** Throws ERR_GK_MFA_REQUIRED (with max_age) when the caller must step up first. */
export async function requireSensitiveStepUp(
  ctx: GatewayContext<Pick<Deps, 'factors' | 'clock'>>,
  caller: Pick<Caller, 'user' | 'session'>,
): Promise<void> {
  const { user, session } = caller;
  if (!user || !session) return;
  const { tenant, deps } = ctx;
  const at = session.mfaAt;
  if (at !== null && deps.clock.now() - at <= SENSITIVE_MFA_FRESHNESS_S * 1000) return;
  const needed = tenant.settings.mfa.required || (await deps.factors.listFactors(tenant.slug, user.id)).length > 0;
  if (needed)
    throw new GatewayError(
      'ERR_GK_MFA_REQUIRED',
      'a sensitive action needs a recent second factor',
      SENSITIVE_MFA_FRESHNESS_S,
    );
}

/** For page forms: false after answering 303 to the second step (back to `back` afterwards). */
export async function sensitivePageAllowed(
  ctx: GatewayContext<Pick<Deps, 'factors' | 'clock'>>,
  caller: Pick<Caller, 'user' | 'session'>,
  back: string,
): Promise<boolean> {
  try {
    await requireSensitiveStepUp(ctx, caller);
    return true;
  } catch (err) {
    if (!(err instanceof GatewayError) || err.code !== 'ERR_GK_MFA_REQUIRED') throw err;
    redirect(ctx.res, 303, mfaUrl(ctx.tenant.slug, back, SENSITIVE_MFA_FRESHNESS_S));
    return false;
  }
}
