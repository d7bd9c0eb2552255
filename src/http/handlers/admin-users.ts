// Admin API (SPEC §5): the tenant's users, a page at a time, each with its active-session
// count (one user's sessions are admin-user-sessions.ts). A tenant only ever sees its own
// users. GET /api/v1/users?limit=&cursor=&q= → { users, nextCursor }: sorted by username,
// `q` a prefix of the username, email or a word of the name; sessions are counted for the
// page's users only.
import type { Deps } from '../../deps.js';
import type { GatewayContext } from '../context.js';
import { pageUsers } from '../../directory/users.js';
import { listSessions, type InventoryDeps } from '../../session/inventory.js';
import { requireAdmin, type CallerDeps } from '../caller.js';
import { sendJson } from '../respond.js';
import { pagingParams } from './users-paging.js';

/** The caller check, the session inventory and the IdP users seen. */
type AdminDeps = CallerDeps & InventoryDeps & Pick<Deps, 'federation'>;

export async function getUsers(ctx: GatewayContext<AdminDeps>): Promise<void> {
  await requireAdmin(ctx);
  const p = pagingParams(ctx.url.searchParams, { defaultLimit: 50, maxLimit: 500 });
  const page = await pageUsers(ctx.tenant, ctx.deps.federation, p);
  const users = await Promise.all(
    page.users.map(async (u) => ({
      id: u.id,
      username: u.username,
      email: u.email,
      name: u.name,
      roles: u.roles,
      activeSessions: (await listSessions(ctx.deps, ctx.tenant, u.id)).length,
    })),
  );
  sendJson(ctx.res, 200, { users, nextCursor: page.nextCursor });
}
