// GET /t/{slug}/portal/access-management/users: the tenant's users with search and paging by
// cursor (Next, and First page back to the start), each with its count of active sessions and a link to the user's page.
import { html } from './html.js';
import { layout, type NavModel } from './layout.js';
import { plural } from './format.js';

export interface UserListItem {
  id: string;
  username: string;
  name: string;
  email: string;
  roles: readonly string[];
  activeSessions: number;
}

export interface UsersPageModel {
  slug: string;
  nav: NavModel;
  q: string;
  /** Matches before this page and in all. */
  before: number;
  total: number;
  pageSize: number;
  /** The next page's cursor; null on the last page. */
  nextCursor: string | null;
  users: readonly UserListItem[];
}

export const usersPath = (slug: string): string => `/t/${slug}/portal/access-management/users`;
export const userPath = (slug: string, id: string): string => `${usersPath(slug)}/${encodeURIComponent(id)}`;

function pageHref(m: UsersPageModel, cursor: string | null, page: number): string {
  const q = new URLSearchParams();
  if (m.q) q.set('q', m.q);
  if (cursor) q.set('cursor', cursor);
  // The page number is for the eye (and the address bar); the cursor decides what is listed.
  if (page > 1) q.set('page', String(page));
  const qs = q.toString();
  return qs ? `${usersPath(m.slug)}?${qs}` : usersPath(m.slug);
}

export function usersPage(m: UsersPageModel): string {
  const first = m.users.length === 0 ? 0 : m.before + 1;
  const last = m.before + m.users.length;
  const page = Math.floor(m.before / m.pageSize) + 1;
  const pages = Math.max(1, Math.ceil(m.total / m.pageSize));
  return layout(
    { slug: m.slug, title: 'Users', nav: { ...m.nav, active: 'users' } },
    html`<div class="head"><div><h1>Users</h1><p class="muted">Access management for ${m.nav.tenantName}: pick a user to see and revoke their sessions.</p></div></div>
<section class="card" aria-labelledby="users-h"><h2 id="users-h" class="sr-only">Directory</h2>
<form class="search" method="get" action="${usersPath(m.slug)}" role="search">
<div><label for="q">Search users</label><input id="q" name="q" type="search" value="${m.q}" placeholder="Start of a username, email or name" autocomplete="off"></div>
<button type="submit">Search</button>${m.q ? html`<a class="btn btn-secondary" href="${usersPath(m.slug)}">Clear</a>` : ''}
</form>
<p class="muted" role="status">${
      m.total === 0
        ? m.q
          ? html`No user matches “${m.q}”.`
          : 'No users.'
        : html`Showing ${first}–${last} of ${plural(m.total, 'user')}${m.q ? html` matching “${m.q}”` : ''}.`
    }</p>
${
  m.users.length > 0
    ? html`<table class="stack compact users"><caption class="sr-only">Users, page ${page} of ${pages}</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Username</th><th scope="col">Email</th><th scope="col">Roles</th><th scope="col" class="num">Active sessions</th></tr></thead>
<tbody>${m.users.map(
        (u) => html`<tr>
<th scope="row"><a class="break" href="${userPath(m.slug, u.id)}">${u.name}</a></th>
<td data-label="Username" class="break">${u.username}</td>
<td data-label="Email" class="break">${u.email || '—'}</td>
<td data-label="Roles">${u.roles.length ? u.roles.map((r) => html`<span class="badge role">${r}</span> `) : html`<span class="muted">—</span>`}</td>
<td data-label="Active sessions" class="num">${u.activeSessions}</td>
</tr>`,
      )}</tbody></table>`
    : ''
}
${
  m.before > 0 || m.nextCursor
    ? html`<nav class="pager" aria-label="Pages">
${m.before > 0 ? html`<a class="btn btn-secondary" rel="first" href="${pageHref(m, null, 1)}">← First page</a>` : html`<span></span>`}
<span class="muted">Page ${page} of ${pages}</span>
${m.nextCursor ? html`<a class="btn btn-secondary" rel="next" href="${pageHref(m, m.nextCursor, page + 1)}">Next →</a>` : html`<span></span>`}
</nav>`
    : ''
}
</section>`,
  );
}
