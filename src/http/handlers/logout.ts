// /t/{slug}/logout: GET shows a confirmation form (GET never logs out); POST, with the
// session's CSRF token and a same-site origin, revokes the session and clears the cookie.
import type { GatewayContext } from '../context.js';
import { GatewayError } from '../../errors.js';
import { clearSessionCookie } from '../../session/cookie.js';
import { safeEqual } from '../../session/csrf.js';
import { revokeSession } from '../../session/service.js';
import { logoutPage } from '../../ui/login-page.js';
import { field, readForm } from '../body.js';
import { currentSession } from '../current-session.js';
import { isSameSiteRequest } from '../origin-guard.js';
import { redirect, sendError, sendHtml } from '../respond.js';

export async function getLogout(ctx: GatewayContext): Promise<void> {
  const current = await currentSession(ctx.req, ctx.tenant, ctx.deps);
  if (!current) return redirect(ctx.res, 302, `/t/${ctx.tenant.slug}/login`);
  sendHtml(ctx.res, 200, logoutPage({ slug: ctx.tenant.slug, csrfToken: current.csrfToken, username: current.user.username }));
}

export async function postLogout(ctx: GatewayContext): Promise<void> {
  const { req, res, tenant, deps } = ctx;
  if (!isSameSiteRequest(req, ctx.publicUrl, tenant)) return sendError(req, res, new GatewayError('ERR_GK_CSRF', 'cross-site logout'), { slug: tenant.slug });
  const current = await currentSession(req, tenant, deps);
  const login = `/t/${tenant.slug}/login`;
  if (!current) return redirect(res, 303, login, { 'set-cookie': clearSessionCookie(tenant.cookie) });
  const header = req.headers['x-csrf-token'];
  const token = typeof header === 'string' ? header : (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded') ? field(await readForm(req), 'csrf_token', 256) : '';
  if (!token || !safeEqual(token, current.csrfToken)) return sendError(req, res, new GatewayError('ERR_GK_CSRF', 'logout csrf mismatch'), { slug: tenant.slug });
  await revokeSession(deps, current.session, 'logout', ctx.clientIp);
  redirect(res, 303, login, { 'set-cookie': clearSessionCookie(tenant.cookie) });
}
