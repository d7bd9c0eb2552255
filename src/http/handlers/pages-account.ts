// The self-service sessions page: GET lists my sessions (50 at a time, most recently active
// first, Next by cursor); POST revokes one of the others or all the others, then redirects
// back (PRG) with a flash message.
import type { Deps } from '../../deps.js';
import type { GatewayContext } from '../context.js';
import {
  listSessionsPage,
  revokeAllUserSessions,
  revokeUserSession,
  SESSION_PAGE,
  sessionPageParams,
  type InventoryDeps,
} from '../../session/inventory.js';
import type { CurrentSessionDeps } from '../current-session.js';
import { ACCOUNT_NOTICES, accountSessionsPage } from '../../ui/account-sessions-page.js';
import { noticeFrom } from '../../ui/format.js';
import { providerNamesOf } from '../../ui/auth-method.js';
import { sendHtml } from '../respond.js';
import { sessionJsonFor } from '../session-json.js';
import { backTo, pageAction, pageViewer } from './pages-common.js';
import { sessionPageLinks } from './pages-users.js';

/** The page viewer, the session inventory and the GeoIP reader. */
type AccountDeps = CurrentSessionDeps & InventoryDeps & Pick<Deps, 'geo'>;

const pagePath = (ctx: GatewayContext<unknown>): string => `/t/${ctx.tenant.slug}/account/sessions`;

export async function getAccountSessions(ctx: GatewayContext<AccountDeps>): Promise<void> {
  const viewer = await pageViewer(ctx);
  if (!viewer) return;
  const { user, session } = viewer.current;
  // A stale or hand-edited cursor or limit in a link shows the first page rather than an error page.
  const request = sessionPageParams(ctx.url.searchParams) ?? { limit: SESSION_PAGE.default, cursor: null };
  const { sessions, nextCursor } = await listSessionsPage(ctx.deps, ctx.tenant, user.id, request);
  sendHtml(
    ctx.res,
    200,
    accountSessionsPage({
      slug: ctx.tenant.slug,
      nav: viewer.nav,
      displayName: user.name,
      sessions: sessions.map((s) => sessionJsonFor(ctx.deps, s)),
      currentId: session.id,
      nowMs: ctx.deps.clock.now(),
      notice: noticeFrom(ctx.url.searchParams, ACCOUNT_NOTICES),
      providerNames: providerNamesOf(ctx.tenant.config.identityProviders),
      ...sessionPageLinks(pagePath(ctx), ctx.url.searchParams, nextCursor),
    }),
  );
}

export async function postRevokeMySession(ctx: GatewayContext<AccountDeps>): Promise<void> {
  const action = await pageAction(ctx, 'user', pagePath(ctx));
  if (!action) return;
  const me = action.caller;
  const id = ctx.params.id ?? '';
  // This device's own session ends with Sign out (which also clears the cookie).
  if (id === me.session?.id) return backTo(ctx, pagePath(ctx), { error: 'current-session' });
  const ok = me.user
    ? await revokeUserSession(ctx.deps, ctx.tenant, me.user.id, id, 'self_revoked', ctx.clientIp)
    : false;
  backTo(ctx, pagePath(ctx), ok ? { done: 'revoked' } : { error: 'unknown-session' });
}

export async function postRevokeMyOtherSessions(ctx: GatewayContext<AccountDeps>): Promise<void> {
  const action = await pageAction(ctx, 'user', pagePath(ctx));
  if (!action) return;
  const me = action.caller;
  const revoked =
    me.user && me.session
      ? await revokeAllUserSessions(
          ctx.deps,
          ctx.tenant,
          me.user.id,
          'self_revoked_others',
          ctx.clientIp,
          me.session.id,
        )
      : 0;
  backTo(ctx, pagePath(ctx), { done: 'revoked-others', n: revoked });
}
