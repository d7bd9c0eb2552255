// GET /t/{slug}/portal/access-management/users/{userId}: one user, with a Sessions tab
// (IP, device, location, last activity, created; revoke one; revoke all behind a
// confirmation page; a page at a time, Next by cursor) and a Profile tab; both show the user's second factors (kind, name,
// added, last used; remove one) and how many recovery codes are left.
import { html, type SafeHtml } from './html.js';
import { layout, type NavModel } from './layout.js';
import { flash, plural, timeCell, type Notice, type NoticeTable } from './format.js';
import { factorKindLabel, type FactorView } from './security-page.js';
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
  'factor-removed': {
    kind: 'ok',
    text: () => 'The second factor was removed. The user can no longer sign in with it.',
  },
  'unknown-factor': { kind: 'error', text: () => 'That second factor no longer exists.' },
};

export interface UserPageModel {
  slug: string;
  nav: NavModel;
  user: Omit<UserListItem, 'activeSessions'>;
  tab: 'sessions' | 'profile';
  /** One page of the user's sessions, most recently active first. */
  sessions: readonly SessionView[];
  /** The next page of sessions; null on the last. */
  nextHref?: string | null;
  /** Back to the first page; null on the first. */
  firstHref?: string | null;
  /** The admin's own session, marked "This device" when it is in the list. */
  viewerSessionId: string;
  nowMs: number;
  notice: Notice | null;
  /** The user's second factors, oldest first. */
  factors: readonly FactorView[];
  recoveryCodesLeft: number;
  /** Identity provider id → display name, for the sessions table's "How" column. */
  providerNames?: ReadonlyMap<string, string>;
}

/** The "Second factors" card: on both tabs, so the flash after a removal lands next to it. */
function factorsCard(m: UserPageModel, base: string): SafeHtml {
  const rows = m.factors.map((f) => {
    const kind = factorKindLabel(f);
    return html`<tr data-factor-id="${f.id}">
<th scope="row">${kind}${f.deviceType === 'multiDevice' ? html` <span class="badge">Synced</span>` : ''}</th>
<td data-label="Name"><span class="break">${f.name}</span></td>
<td data-label="Added">${timeCell(f.createdAt, m.nowMs)}</td>
<td data-label="Last used">${f.lastUsedAt ? timeCell(f.lastUsedAt, m.nowMs) : html`<span class="muted">Never</span>`}</td>
<td><form class="inline" method="post" action="${base}/factors/${encodeURIComponent(f.id)}/remove"><input type="hidden" name="csrf_token" value="${m.nav.csrfToken}"><button type="submit" class="btn-danger btn-small" aria-label="${`Remove ${kind.toLowerCase()} “${f.name}” of ${m.user.name}`}">Remove</button></form></td>
</tr>`;
  });
  return html`<section class="card" aria-labelledby="factors-h"><h2 id="factors-h">Second factors</h2>
${
  m.factors.length > 0
    ? html`<table class="stack factors"><caption class="sr-only">${plural(m.factors.length, 'second factor')}, times in UTC</caption>
<thead><tr><th scope="col">Kind</th><th scope="col">Name</th><th scope="col">Added</th><th scope="col">Last used</th><th scope="col"><span class="muted">Action</span></th></tr></thead>
<tbody>${rows}</tbody></table>
<p>Recovery codes left: <strong>${String(m.recoveryCodesLeft)}</strong>.</p>
<p class="hint">A removed factor stops working at once. Sessions already signed in with it stay; revoke them to sign the user out.</p>`
    : html`<p class="muted">No second factor: this user signs in with the first factor only.${m.recoveryCodesLeft > 0 ? ` ${plural(m.recoveryCodesLeft, 'recovery code')} left.` : ''}</p>`
}</section>`;
}

/** First page / Next links of a paged session list; nothing when it fits one page. */
export function sessionPager(m: { nextHref?: string | null; firstHref?: string | null }): SafeHtml | '' {
  if (!m.nextHref && !m.firstHref) return '';
  return html`<nav class="pager" aria-label="Pages of sessions">
${m.firstHref ? html`<a class="btn btn-secondary" rel="first" href="${m.firstHref}">← First page</a>` : html`<span></span>`}
${m.nextHref ? html`<a class="btn btn-secondary" rel="next" href="${m.nextHref}">Next →</a>` : html`<span></span>`}
</nav>`;
}

function breadcrumbs(slug: string, name: string) {
  return html`<nav aria-label="Breadcrumb" class="muted crumbs"><a href="${usersPath(slug)}">Users</a> / <span class="break">${name}</span></nav>`;
}

export function userPage(m: UserPageModel): string {
  const base = userPath(m.slug, m.user.id);
  // A page of a longer list: counts are of this page only.
  const paged = Boolean(m.nextHref || m.firstHref);
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
        caption: `${plural(m.sessions.length, 'active session')}${paged ? ' on this page' : ''}, times in UTC`,
        providerNames: m.providerNames,
      })
    : html`<p class="muted">${m.firstHref ? 'No more active sessions.' : 'No active sessions: this user is signed in nowhere.'}</p>`
}
${sessionPager(m)}</section>`;
  return layout(
    { slug: m.slug, title: `${m.user.name} · Users`, nav: { ...m.nav, active: 'users' } },
    html`${breadcrumbs(m.slug, m.user.name)}
<div class="head"><div><h1 class="break">${m.user.name}</h1><p class="muted break">${m.user.username}${m.user.email ? html` · ${m.user.email}` : ''}</p></div></div>
${m.notice ? flash(m.notice.kind, m.notice.text) : ''}
<ul class="tabs">${tab('sessions', paged ? 'Sessions' : `Sessions (${m.sessions.length})`)}${tab('profile', 'Profile')}</ul>
${body}
${factorsCard(m, base)}`,
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
