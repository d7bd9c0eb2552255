// Self-service API: my sessions (this one flagged current), revoke one of mine, revoke all
// the others.
import type { Deps } from '../../deps.js';
import type { GatewayContext } from '../context.js';
import { GatewayError } from '../../errors.js';
import {
  listSessionsPage,
  revokeAllUserSessions,
  revokeUserSession,
  sessionPageParams,
  type InventoryDeps,
} from '../../session/inventory.js';
import { requireUser, type CallerDeps } from '../caller.js';
import { sendJson, sendNoContent } from '../respond.js';
import { sessionJsonFor } from '../session-json.js';

/** The caller check, the session inventory and the GeoIP reader. */
type MeDeps = CallerDeps & InventoryDeps & Pick<Deps, 'geo'>;

export async function getMySessions(ctx: GatewayContext<MeDeps>): Promise<void> {
  const me = await requireUser(ctx);
  const page = sessionPageParams(ctx.url.searchParams);
  if (!page) throw new GatewayError('ERR_GK_BAD_REQUEST', 'limit must be 1-500 and cursor one a page gave');
  const { sessions, nextCursor } = await listSessionsPage(ctx.deps, ctx.tenant, me.user.id, page);
  sendJson(ctx.res, 200, {
    sessions: sessions.map((s) => ({ ...sessionJsonFor(ctx.deps, s, me.session.id), current: s.id === me.session.id })),
    nextCursor,
  });
}

export async function deleteMySession(ctx: GatewayContext<MeDeps>): Promise<void> {
  const me = await requireUser(ctx);
  const ok = await revokeUserSession(
    ctx.deps,
    ctx.tenant,
    me.user.id,
    ctx.params.id ?? '',
    'self_revoked',
    ctx.clientIp,
  );
  if (!ok) throw new GatewayError('ERR_GK_NOT_FOUND', 'not one of your sessions');
  sendNoContent(ctx.res);
}

export async function postRevokeOthers(ctx: GatewayContext<MeDeps>): Promise<void> {
  const me = await requireUser(ctx);
  const revoked = await revokeAllUserSessions(
    ctx.deps,
    ctx.tenant,
    me.user.id,
    'self_revoked_others',
    ctx.clientIp,
    me.session.id,
  );
  sendJson(ctx.res, 200, { revoked });
}
