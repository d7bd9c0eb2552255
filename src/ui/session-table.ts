// The sessions table shared by "my sessions" and the admin's Sessions tab: device, IP,
// location, last activity and creation (relative and exact), a revoke form per row.
// On a phone each row becomes a card (CSS `table.stack`).
import { html, type SafeHtml } from './html.js';
import { deviceLabel, locationLabel, timeCell, type DeviceLike } from './format.js';

export interface SessionView extends DeviceLike {
  id: string;
  ipAddress: string;
  location: { city: string | null; country: string | null } | null;
  createdAt: string;
  lastActiveAt: string;
  expiresAt: string;
  rememberMe: boolean;
}

export interface SessionRow {
  session: SessionView;
  /** The browser looking at the page. */
  current: boolean;
  /** POST target of this row's revoke button; none: no button. */
  revokeAction?: string;
}

export function sessionTable(
  rows: readonly SessionRow[],
  opts: { nowMs: number; csrfToken: string; caption: string },
): SafeHtml {
  return html`<table class="stack sessions"><caption class="sr-only">${opts.caption}</caption>
<thead><tr><th scope="col">Device</th><th scope="col">IP address</th><th scope="col">Location</th><th scope="col">Last activity</th><th scope="col">Signed in</th><th scope="col"><span class="muted">Action</span></th></tr></thead>
<tbody>${rows.map((r) => row(r, opts))}</tbody></table>`;
}

function row(r: SessionRow, opts: { nowMs: number; csrfToken: string }): SafeHtml {
  const s = r.session;
  const label = deviceLabel(s);
  return html`<tr data-session-id="${s.id}"${r.current ? html` class="current"` : ''}>
<th scope="row"><span class="break">${label}</span>
${r.current ? html` <span class="badge me">This device</span>` : ''}${s.rememberMe ? html` <span class="badge">Remembered</span>` : ''}</th>
<td data-label="IP address"><code>${s.ipAddress}</code></td>
<td data-label="Location">${locationLabel(s.location)}</td>
<td data-label="Last activity">${timeCell(s.lastActiveAt, opts.nowMs)}</td>
<td data-label="Signed in">${timeCell(s.createdAt, opts.nowMs)}</td>
<td>${
    r.revokeAction
      ? html`<form class="inline" method="post" action="${r.revokeAction}"><input type="hidden" name="csrf_token" value="${opts.csrfToken}"><button type="submit" class="btn-danger btn-small" aria-label="${`Revoke the session on ${label}, IP ${s.ipAddress}`}">Revoke</button></form>`
      : html`<span class="muted nowrap">Current session</span>`
  }</td>
</tr>`;
}
