// Admin API (SPEC §5): the tenant's users with their active-session counts (one user's
// sessions are admin-user-sessions.ts). A tenant only ever sees its own users.
import type { Deps } from '../../deps.js';
import type { GatewayContext } from '../context.js';
import { listUsers } from '../../directory/users.js';
import { listSessions, type InventoryDeps } from '../../session/inventory.js';
import { requireAdmin, type CallerDeps } from '../caller.js';
import { sendJson } from '../respond.js';

/** The caller check, the session inventory and the IdP users seen. */
type AdminDeps = CallerDeps & InventoryDeps & Pick<Deps, 'federation'>;

export async function getUsers(ctx: GatewayContext<AdminDeps>): Promise<void> {
  await requireAdmin(ctx);
  const q = (ctx.url.searchParams.get('q') ?? '').toLowerCase();
  const all = (await listUsers(ctx.tenant, ctx.deps.federation)).filter(
    (u) => !q || [u.username, u.email, u.name, u.id].some((v) => v.toLowerCase().includes(q)),
  );
  const users = [];
  for (const u of all) {
    const sessions = await listSessions(ctx.deps, ctx.tenant, u.id);
    users.push({
      id: u.id,
      username: u.username,
      email: u.email,
      name: u.name,
      roles: u.roles,
      activeSessions: sessions.length,
    });
  }
  sendJson(ctx.res, 200, { users });
}
