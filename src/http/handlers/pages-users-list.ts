// The admin portal's users list: search and paging (GET /t/{slug}/portal/access-management/users).
import { listUsers, type DirectoryUser } from '../../directory/users.js';
import type { Deps } from '../../deps.js';
import type { GatewayContext } from '../context.js';
import type { CurrentSessionDeps } from '../current-session.js';
import { listSessions, type InventoryDeps } from '../../session/inventory.js';
import { usersPage } from '../../ui/portal-users-page.js';
import { sendHtml } from '../respond.js';
import { adminViewer } from './pages-common.js';

export const PAGE_SIZE = 20;

function matches(u: DirectoryUser, q: string): boolean {
  return [u.username, u.email, u.name, u.id].some((v) => v.toLowerCase().includes(q));
}

/** The page viewer, the session inventory and the IdP users seen. */
type UsersListDeps = CurrentSessionDeps & InventoryDeps & Pick<Deps, 'federation'>;

export async function getUsersPage(ctx: GatewayContext<UsersListDeps>): Promise<void> {
  const viewer = await adminViewer(ctx);
  if (!viewer) return;
  const q = (ctx.url.searchParams.get('q') ?? '').trim().slice(0, 200);
  const all = (await listUsers(ctx.tenant, ctx.deps.federation)).filter((u) => !q || matches(u, q.toLowerCase()));
  const pages = Math.max(1, Math.ceil(all.length / PAGE_SIZE));
  const asked = Number.parseInt(ctx.url.searchParams.get('page') ?? '1', 10);
  const page = Math.min(pages, Math.max(1, Number.isFinite(asked) ? asked : 1));
  const slice = all.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  const users = [];
  for (const u of slice) {
    const sessions = await listSessions(ctx.deps, ctx.tenant, u.id);
    users.push({
      id: u.id,
      username: u.username,
      name: u.name,
      email: u.email,
      roles: u.roles,
      activeSessions: sessions.length,
    });
  }
  sendHtml(
    ctx.res,
    200,
    usersPage({
      slug: ctx.tenant.slug,
      nav: viewer.nav,
      q,
      page,
      pages,
      total: all.length,
      pageSize: PAGE_SIZE,
      users,
    }),
  );
}
