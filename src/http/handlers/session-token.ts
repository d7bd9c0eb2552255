// POST /t/{slug}/api/v1/session/token: the caller's login session (cookie + X-CSRF-Token,
// same-site) exchanged for an access token bound to it, for single-page apps.
import type { GatewayContext } from '../context.js';
import { GatewayError } from '../../errors.js';
import { safeEqual } from '../../session/csrf.js';
import { sessionAccessToken } from '../../tokens/service.js';
import { currentSession } from '../current-session.js';
import { isSameSiteRequest } from '../origin-guard.js';
import { sendError, sendJson } from '../respond.js';

export async function postSessionToken(ctx: GatewayContext): Promise<void> {
  const { req, res, tenant, deps } = ctx;
  if (!isSameSiteRequest(req, ctx.publicUrl, tenant)) return sendError(req, res, new GatewayError('ERR_GK_CSRF', 'cross-site session token request'), { slug: tenant.slug });
  const current = await currentSession(req, tenant, deps);
  if (!current) return sendError(req, res, 'ERR_GK_UNAUTHENTICATED', { headers: { 'www-authenticate': `Bearer realm="${tenant.slug}"` } });
  const token = req.headers['x-csrf-token'];
  if (typeof token !== 'string' || !safeEqual(token, current.csrfToken)) return sendError(req, res, new GatewayError('ERR_GK_CSRF', 'session token csrf mismatch'), { slug: tenant.slug });
  sendJson(res, 200, await sessionAccessToken(deps, tenant, current.session, current.user), { pragma: 'no-cache' });
}
