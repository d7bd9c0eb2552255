// GET /t/{slug}/portal/access-management/users/{userId}: one user, with a Sessions tab
// (IP, device, location, last activity, created; revoke one; revoke all behind a
// confirmation page) and a Profile tab.
import { html } from './html.js';
import { layout, type NavModel } from './layout.js';
import { flash, plural, type Notice, type NoticeTable } from './format.js';
import { sessionTable, type SessionView } from './session-table.js';
import { userPath, usersPath, type UserListItem } from './portal-users-page.js';

export const USER_NOTICES: NoticeTable = {
  revoked: { kind: 'ok', text: () => 'The session was revoked.' },
  'revoked-all': {
    kind: 'ok',
    text: (n) =>
      n === 0 ? 'There were no sessions to revoke.' : `Revoked ${plural(n, 'session')}. The user must sign in again.`,
  },
  'unknown-session': { kind: 'error', text: () => 'That session is no longer active.' },
};

export interface UserPageModel {
  slug: string;
  nav: NavModel;
  user: Omit<UserListItem, 'activeSessions'>;
  tab: 'sessions' | 'profile';
  sessions: readonly SessionView[];
  /** The admin's own session, marked "This device" when it is in the list. */
  viewerSessionId: string;
  nowMs: number;
  notice: Notice | null;
}

function breadcrumbs(slug: string, name: string) {
  return html`<nav aria-label="Breadcrumb" class="muted crumbs"><a href="${usersPath(slug)}">Users</a> / <span class="break">${name}</span></nav>`;
}

export function userPage(m: UserPageModel): string {
  const base = userPath(m.slug, m.user.id);
  const tab = (key: UserPageModel['tab'], label: string) =>
    html`<li><a href="${base}?tab=${key}"${m.tab === key ? html` aria-current="page"` : ''}>${label}</a></li>`;
  const ordered = [...m.sessions].sort((a, b) => b.lastActiveAt.localeCompare(a.lastActiveAt));
  const rows = ordered.map((s) => ({
    session: s,
    current: s.id === m.viewerSessionId,
    revokeAction: `${base}/sessions/${encodeURIComponent(s.id)}/revoke`,
  }));
  const body =
    m.tab === 'profile'
      ? html`<section class="card" aria-labelledby="profile-h"><h2 id="profile-h">Profile</h2><dl class="props">
<dt>User id</dt><dd><code>${m.user.id}</code></dd><dt>Username</dt><dd>${m.user.username}</dd>
<dt>Name</dt><dd>${m.user.name}</dd><dt>Email</dt><dd>${m.user.email || '—'}</dd>
<dt>Roles</dt><dd>${m.user.roles.length ? m.user.roles.map((r) => html`<span class="badge role">${r}</span> `) : '—'}</dd></dl></section>`
      : html`<section class="card" aria-labelledby="sessions-h"><div class="head"><h2 id="sessions-h">Active sessions</h2>
${m.sessions.length > 0 ? html`<a class="btn btn-danger" href="${base}/revoke-all">Revoke all sessions</a>` : ''}</div>
${
  m.sessions.length > 0
    ? sessionTable(rows, {
        nowMs: m.nowMs,
        csrfToken: m.nav.csrfToken,
        caption: `${plural(m.sessions.length, 'active session')}, times in UTC`,
      })
    : html`<p class="muted">No active sessions: this user is signed in nowhere.</p>`
}</section>`;
  return layout(
    { slug: m.slug, title: `${m.user.name} · Users`, nav: { ...m.nav, active: 'users' } },
    html`${breadcrumbs(m.slug, m.user.name)}
<div class="head"><div><h1 class="break">${m.user.name}</h1><p class="muted break">${m.user.username}${m.user.email ? html` · ${m.user.email}` : ''}</p></div></div>
${m.notice ? flash(m.notice.kind, m.notice.text) : ''}
<ul class="tabs">${tab('sessions', `Sessions (${m.sessions.length})`)}${tab('profile', 'Profile')}</ul>
${body}`,
  );
}

export function revokeAllConfirmPage(m: {
  slug: string;
  nav: NavModel;
  user: { id: string; name: string; username: string };
  count: number;
}): string {
  const base = userPath(m.slug, m.user.id);
  return layout(
    { slug: m.slug, title: `Revoke all sessions of ${m.user.name}`, nav: { ...m.nav, active: 'users' } },
    html`${breadcrumbs(m.slug, m.user.name)}
<section class="card" aria-labelledby="confirm-h"><h1 id="confirm-h">Are you sure?</h1>
<p>This revokes ${m.count === 0 ? 'every session' : html`<strong>${plural(m.count, 'active session')}</strong>`} of <strong class="break">${m.user.name}</strong> (<span class="break">${m.user.username}</span>),
with their refresh and access tokens. The user is signed out on every device at once and must sign in again.</p>
<form method="post" action="${base}/revoke-all"><input type="hidden" name="csrf_token" value="${m.nav.csrfToken}">
<div class="actions"><button type="submit" class="btn-danger">Yes, revoke all sessions</button><a class="btn btn-secondary" href="${base}">Cancel</a></div></form>
</section>`,
  );
}
