// GET /t/{slug}/account/sessions: the signed-in user's own sessions ("this device" marked),
// a page at a time (Next by cursor), a revoke button for each other one, and "sign out
// everywhere else".
import { html } from './html.js';
import { layout, type NavModel } from './layout.js';
import { flash, plural, type NoticeTable } from './format.js';
import { sessionTable, type SessionView } from './session-table.js';
import { sessionPager } from './portal-user-page.js';

/** Messages after the page's actions (PRG), picked by `?done=` / `?error=`. */
export const ACCOUNT_NOTICES: NoticeTable = {
  revoked: { kind: 'ok', text: () => 'The session was revoked: that device is signed out.' },
  'revoked-others': {
    kind: 'ok',
    text: (n) => (n === 0 ? 'There were no other sessions to sign out.' : `Signed out ${plural(n, 'other session')}.`),
  },
  'unknown-session': { kind: 'error', text: () => 'That session is no longer active, or is not yours.' },
  'current-session': { kind: 'error', text: () => 'To end the session on this device, use Sign out.' },
};

export interface AccountSessionsModel {
  slug: string;
  nav: NavModel;
  displayName: string;
  /** One page of the user's sessions, most recently active first. */
  sessions: readonly SessionView[];
  /** The next page; null on the last. */
  nextHref?: string | null;
  /** Back to the first page; null on the first. */
  firstHref?: string | null;
  currentId: string;
  nowMs: number;
  notice: { kind: 'ok' | 'error'; text: string } | null;
  /** Identity provider id → display name, for the table's "How" column. */
  providerNames?: ReadonlyMap<string, string>;
}

export function accountSessionsPage(m: AccountSessionsModel): string {
  const base = `/t/${m.slug}/account/sessions`;
  const others = m.sessions.filter((s) => s.id !== m.currentId).length;
  // A page of a longer list: counts are of this page only.
  const paged = Boolean(m.nextHref || m.firstHref);
  // This device first, then the most recently active.
  const ordered = [...m.sessions].sort(
    (a, b) =>
      Number(b.id === m.currentId) - Number(a.id === m.currentId) || b.lastActiveAt.localeCompare(a.lastActiveAt),
  );
  const rows = ordered.map((s) => ({
    session: s,
    current: s.id === m.currentId,
    ...(s.id === m.currentId ? {} : { revokeAction: `${base}/${encodeURIComponent(s.id)}/revoke` }),
  }));
  return layout(
    { slug: m.slug, title: 'My sessions', nav: { ...m.nav, active: 'sessions' } },
    html`<div class="head"><div><h1>My sessions</h1>
<p class="muted">Where <span class="break">${m.displayName}</span> is signed in. Revoke any session you do not recognise.</p></div></div>
${m.notice ? flash(m.notice.kind, m.notice.text) : ''}
<section class="card" aria-labelledby="active-h"><h2 id="active-h">Active sessions</h2>
${sessionTable(rows, { nowMs: m.nowMs, csrfToken: m.nav.csrfToken, caption: `${plural(m.sessions.length, 'active session')}${paged ? ' on this page' : ''}, times in UTC`, providerNames: m.providerNames })}
${sessionPager(m)}</section>
<section class="card" aria-labelledby="others-h"><h2 id="others-h">Sign out everywhere else</h2>
${
  others > 0 || paged
    ? html`<p>Ends ${paged ? 'every other session' : html`the ${plural(others, 'other session')}`}, on every device except this one. Apps signed in through them lose access at once.</p>
<form method="post" action="${base}/revoke-others"><input type="hidden" name="csrf_token" value="${m.nav.csrfToken}">
<button type="submit" class="btn-danger">Sign out everywhere else</button></form>`
    : html`<p class="muted">This is your only session.</p>`
}
</section>`,
  );
}
