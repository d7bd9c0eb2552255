// The admin portal's access management (the users list is pages-users-list.ts): a user's
// page with its Sessions tab (a page of 50 at a time, most recently active first, Next by
// cursor), revoking one session, and revoke-all behind a confirmation page.
import { findUser, type DirectoryUser } from '../../directory/users.js';
import type { Deps } from '../../deps.js';
import type { GatewayContext } from '../context.js';
import type { CurrentSessionDeps } from '../current-session.js';
import {
  listSessions,
  listSessionsPage,
  revokeAllUserSessions,
  revokeUserSession,
  SESSION_PAGE,
  sessionPageParams,
  type InventoryDeps,
} from '../../session/inventory.js';
import { noticeFrom } from '../../ui/format.js';
import { notFoundPage } from '../../ui/notice-page.js';
import { userPath, usersPath } from '../../ui/portal-users-page.js';
import { revokeAllConfirmPage, USER_NOTICES, userPage } from '../../ui/portal-user-page.js';
import { toFactorView } from '../../ui/security-page.js';
import { providerNamesOf } from '../../ui/auth-method.js';
import { sendErrorPage, sendHtml } from '../respond.js';
import { sessionJsonFor } from '../session-json.js';
import { sensitivePageAllowed } from '../sensitive.js';
import { adminViewer, backTo, pageAction, type Viewer } from './pages-common.js';

/** The page viewer, the session inventory, the GeoIP reader and the IdP users seen. */
type UsersPageDeps = CurrentSessionDeps & InventoryDeps & Pick<Deps, 'geo' | 'federation' | 'factors'>;

/**
 * Links of a paged session list at `path`: the next page (null on the last) and the first
 * (null on the first). The request's own limit, when it gave one, is kept.
 */
export function sessionPageLinks(
  path: string,
  params: URLSearchParams,
  nextCursor: string | null,
): { nextHref: string | null; firstHref: string | null } {
  const limit = params.get('limit');
  const href = (cursor: string | null) => {
    const q = new URLSearchParams();
    if (limit) q.set('limit', limit);
    if (cursor) q.set('cursor', cursor);
    const qs = q.toString();
    return qs ? `${path}?${qs}` : path;
  };
  return { nextHref: nextCursor ? href(nextCursor) : null, firstHref: params.get('cursor') ? href(null) : null };
}

/** The user named by the path, or a 404 page. */
async function userOr404(ctx: GatewayContext<UsersPageDeps>, viewer: Viewer): Promise<DirectoryUser | null> {
  const user = await findUser(ctx.tenant, ctx.deps.federation, ctx.params.userId ?? '');
  if (user) return user;
  sendErrorPage(
    ctx.res,
    'ERR_GK_NOT_FOUND',
    notFoundPage({
      slug: ctx.tenant.slug,
      nav: { ...viewer.nav, active: 'users' },
      what: 'There is no such user in this tenant.',
      back: { href: usersPath(ctx.tenant.slug), label: 'Back to users' },
      errorCode: 'ERR_GK_NOT_FOUND',
    }),
  );
  return null;
}

export async function getUserPage(ctx: GatewayContext<UsersPageDeps>): Promise<void> {
  const viewer = await adminViewer(ctx);
  if (!viewer) return;
  const user = await userOr404(ctx, viewer);
  if (!user) return;
  // A stale or hand-edited cursor or limit in a link shows the first page rather than an error page.
  const request = sessionPageParams(ctx.url.searchParams) ?? { limit: SESSION_PAGE.default, cursor: null };
  const { sessions, nextCursor } = await listSessionsPage(ctx.deps, ctx.tenant, user.id, request);
  const factors = await ctx.deps.factors.listFactors(ctx.tenant.slug, user.id);
  const recoveryCodesLeft = await ctx.deps.factors.recoveryCodesLeft(ctx.tenant.slug, user.id);
  sendHtml(
    ctx.res,
    200,
    userPage({
      slug: ctx.tenant.slug,
      nav: viewer.nav,
      user: { id: user.id, username: user.username, name: user.name, email: user.email, roles: user.roles },
      tab: ctx.url.searchParams.get('tab') === 'profile' ? 'profile' : 'sessions',
      sessions: sessions.map((s) => sessionJsonFor(ctx.deps, s)),
      viewerSessionId: viewer.current.session.id,
      nowMs: ctx.deps.clock.now(),
      notice: noticeFrom(ctx.url.searchParams, USER_NOTICES),
      factors: factors.map(toFactorView),
      recoveryCodesLeft,
      providerNames: providerNamesOf(ctx.tenant.config.identityProviders),
      ...sessionPageLinks(userPath(ctx.tenant.slug, user.id), ctx.url.searchParams, nextCursor),
    }),
  );
}

export async function getRevokeAllConfirm(ctx: GatewayContext<UsersPageDeps>): Promise<void> {
  const viewer = await adminViewer(ctx);
  if (!viewer) return;
  const user = await userOr404(ctx, viewer);
  if (!user) return;
  const count = (await listSessions(ctx.deps, ctx.tenant, user.id)).length;
  sendHtml(ctx.res, 200, revokeAllConfirmPage({ slug: ctx.tenant.slug, nav: viewer.nav, user, count }));
}

/** The user of an admin action; an unknown one goes back to the list (nothing to change). */
async function actionUser(ctx: GatewayContext<UsersPageDeps>): Promise<DirectoryUser | null> {
  const user = await findUser(ctx.tenant, ctx.deps.federation, ctx.params.userId ?? '');
  if (!user) backTo(ctx, usersPath(ctx.tenant.slug), {});
  return user;
}

export async function postRevokeUserSessionPage(ctx: GatewayContext<UsersPageDeps>): Promise<void> {
  const back = userPath(ctx.tenant.slug, ctx.params.userId ?? '');
  if (!(await pageAction(ctx, 'admin', back))) return;
  const user = await actionUser(ctx);
  if (!user) return;
  const ok = await revokeUserSession(
    ctx.deps,
    ctx.tenant,
    user.id,
    ctx.params.sessionId ?? '',
    'admin_revoked',
    ctx.clientIp,
  );
  backTo(ctx, back, ok ? { done: 'revoked' } : { error: 'unknown-session' });
}

export async function postRevokeAllPage(ctx: GatewayContext<UsersPageDeps>): Promise<void> {
  const back = userPath(ctx.tenant.slug, ctx.params.userId ?? '');
  const action = await pageAction(ctx, 'admin', back);
  if (!action || !(await sensitivePageAllowed(ctx, action.caller, back))) return;
  const user = await actionUser(ctx);
  if (!user) return;
  const revoked = await revokeAllUserSessions(ctx.deps, ctx.tenant, user.id, 'admin_revoked_all', ctx.clientIp);
  backTo(ctx, back, { done: 'revoked-all', n: revoked });
}
