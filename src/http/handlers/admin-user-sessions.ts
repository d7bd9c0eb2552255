// Admin API (SPEC §5) on one user's sessions: list them, revoke one, revoke all (a sensitive
// action: a recent second factor, sensitive.ts). A tenant only ever sees its own users.
import type { Deps } from '../../deps.js';
import type { GatewayContext } from '../context.js';
import { findUser, type DirectoryUser } from '../../directory/users.js';
import { GatewayError } from '../../errors.js';
import {
  listSessionsPage,
  revokeAllUserSessions,
  revokeUserSession,
  sessionPageParams,
  type InventoryDeps,
} from '../../session/inventory.js';
import { requireAdmin, type CallerDeps } from '../caller.js';
import { sendJson, sendNoContent } from '../respond.js';
import { requireSensitiveStepUp } from '../sensitive.js';
import { sessionJsonFor } from '../session-json.js';

/** The caller check, the session inventory, the GeoIP reader, the IdP users seen, the factors. */
type AdminDeps = CallerDeps & InventoryDeps & Pick<Deps, 'geo' | 'federation' | 'factors'>;

async function userOr404(ctx: GatewayContext<AdminDeps>): Promise<DirectoryUser> {
  const user = await findUser(ctx.tenant, ctx.deps.federation, ctx.params.userId ?? '');
  if (!user) throw new GatewayError('ERR_GK_NOT_FOUND', 'unknown user');
  return user;
}

export async function getUserSessions(ctx: GatewayContext<AdminDeps>): Promise<void> {
  const caller = await requireAdmin(ctx);
  const user = await userOr404(ctx);
  const page = sessionPageParams(ctx.url.searchParams);
  if (!page) throw new GatewayError('ERR_GK_BAD_REQUEST', 'limit must be 1-500 and cursor one a page gave');
  const { sessions, nextCursor } = await listSessionsPage(ctx.deps, ctx.tenant, user.id, page);
  sendJson(ctx.res, 200, {
    sessions: sessions.map((s) => sessionJsonFor(ctx.deps, s, caller.session?.id)),
    nextCursor,
  });
}

export async function deleteUserSession(ctx: GatewayContext<AdminDeps>): Promise<void> {
  await requireAdmin(ctx);
  const user = await userOr404(ctx);
  const ok = await revokeUserSession(
    ctx.deps,
    ctx.tenant,
    user.id,
    ctx.params.sessionId ?? '',
    'admin_revoked',
    ctx.clientIp,
  );
  if (!ok) throw new GatewayError('ERR_GK_NOT_FOUND', 'unknown session');
  sendNoContent(ctx.res);
}

export async function postRevokeAll(ctx: GatewayContext<AdminDeps>): Promise<void> {
  await requireSensitiveStepUp(ctx, await requireAdmin(ctx));
  const user = await userOr404(ctx);
  const revoked = await revokeAllUserSessions(ctx.deps, ctx.tenant, user.id, 'admin_revoked_all', ctx.clientIp);
  sendJson(ctx.res, 200, { revoked });
}
