// GET /t/{slug}/api/v1/session: the caller's session as SPEC §5 JSON plus its CSRF token
// (where single-page apps and scripts get the token).
import type { GatewayContext } from '../context.js';
import { currentSession, type CurrentSessionDeps } from '../current-session.js';
import { sendError, sendJson } from '../respond.js';
import { sessionJson } from '../session-json.js';

export async function getSession(ctx: GatewayContext<CurrentSessionDeps>): Promise<void> {
  const current = await currentSession(ctx.req, ctx.tenant, ctx.deps);
  if (!current) {
    return sendError({ headers: {}, method: ctx.req.method }, ctx.res, 'ERR_GK_UNAUTHENTICATED', {
      headers: { 'www-authenticate': `Bearer realm="${ctx.tenant.slug}"` },
    });
  }
  sendJson(ctx.res, 200, { session: sessionJson(current.session, { current: true }), csrfToken: current.csrfToken });
}
