// POST /t/{slug}/api/v1/session/token: the caller's login session (cookie + X-CSRF-Token,
// same-site; checked by the endpoint pipeline's CSRF guard) exchanged for an access token
// bound to it, for single-page apps.
import type { GatewayContext } from '../context.js';
import { sessionAccessToken, type TokenServiceDeps } from '../../tokens/service.js';
import { identifyCaller, type CallerDeps } from '../caller.js';
import { sendError, sendJson } from '../respond.js';
import { GatewayError } from '../../errors.js';

export async function postSessionToken(ctx: GatewayContext<CallerDeps & TokenServiceDeps>): Promise<void> {
  const { req, res, tenant, deps } = ctx;
  const caller = await identifyCaller(ctx, { credentials: 'session-cookie' });
  if (!caller?.session || !caller.user)
    return sendError(req, res, 'ERR_GK_UNAUTHENTICATED', {
      headers: { 'www-authenticate': `Bearer realm="${tenant.slug}"` },
    });
  // A tenant that requires a second factor hands out no token for a session without one:
  // an app that checks the JWT itself must never see a single-factor token there (SPEC §13).
  if (tenant.settings.mfa.required && caller.session.mfaAt === null)
    throw new GatewayError('ERR_GK_MFA_REQUIRED', 'session token needs the second factor');
  sendJson(res, 200, await sessionAccessToken(deps, tenant, caller.session, caller.user), { pragma: 'no-cache' });
}
