// The admin portal's users list: search and paging by cursor
// (GET /t/{slug}/portal/access-management/users?q=&cursor=&page=). `page` is only the page
// number shown next to the cursor's position; the cursor alone decides what is listed.
import { pageUsers } from '../../directory/users.js';
import type { Deps } from '../../deps.js';
import type { GatewayContext } from '../context.js';
import type { CurrentSessionDeps } from '../current-session.js';
import { listSessions, type InventoryDeps } from '../../session/inventory.js';
import { usersPage } from '../../ui/portal-users-page.js';
import { sendHtml } from '../respond.js';
import { adminViewer } from './pages-common.js';
import { pagingParams } from './users-paging.js';

export const PAGE_SIZE = 20;

/** The page viewer, the session inventory and the IdP users seen. */
type UsersListDeps = CurrentSessionDeps & InventoryDeps & Pick<Deps, 'federation'>;

export async function getUsersPage(ctx: GatewayContext<UsersListDeps>): Promise<void> {
  const viewer = await adminViewer(ctx);
  if (!viewer) return;
  const sp = ctx.url.searchParams;
  // A stale or hand-edited cursor in a link shows the first page rather than an error page.
  let p;
  try {
    p = pagingParams(sp, { defaultLimit: PAGE_SIZE, maxLimit: PAGE_SIZE, fixedLimit: true });
  } catch {
    p = { afterKey: '', limit: PAGE_SIZE, q: (sp.get('q') ?? '').trim().slice(0, 200) };
  }
  const page = await pageUsers(ctx.tenant, ctx.deps.federation, p);
  const users = await Promise.all(
    page.users.map(async (u) => ({
      id: u.id,
      username: u.username,
      name: u.name,
      email: u.email,
      roles: u.roles,
      activeSessions: (await listSessions(ctx.deps, ctx.tenant, u.id)).length,
    })),
  );
  sendHtml(
    ctx.res,
    200,
    usersPage({
      slug: ctx.tenant.slug,
      nav: viewer.nav,
      q: p.q,
      before: page.before,
      total: page.total,
      pageSize: PAGE_SIZE,
      nextCursor: page.nextCursor,
      users,
    }),
  );
}
