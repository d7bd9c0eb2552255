// The sessions table shared by "my sessions" and the admin's Sessions tab: device, how it
// signed in (a "2-step" badge after a second factor), IP, location, last activity and
// creation (relative and exact), a revoke form per row.
// On a phone each row becomes a card (CSS `table.stack`).
import { html, type SafeHtml } from './html.js';
import { deviceLabel, locationLabel, timeCell, type DeviceLike } from './format.js';
import { authMethodLabel } from './auth-method.js';

export interface SessionView extends DeviceLike {
  id: string;
  ipAddress: string;
  location: { city: string | null; country: string | null } | null;
  createdAt: string;
  lastActiveAt: string;
  expiresAt: string;
  rememberMe: boolean;
  /** The first factor: `password`, `passkey`, `oidc:{providerId}`. */
  authMethod: string;
  /** RFC 8176 values (`pwd`, `otp`, `hwk`, `swk`, `fed`, `mfa`…). */
  amr: readonly string[];
  /** A second factor was checked in this session. */
  mfaVerified: boolean;
}

export interface SessionRow {
  session: SessionView;
  /** The browser looking at the page. */
  current: boolean;
  /** POST target of this row's revoke button; none: no button. */
  revokeAction?: string;
}

export interface SessionTableOptions {
  nowMs: number;
  csrfToken: string;
  caption: string;
  /** Identity provider id → display name, to name `oidc:{id}` sign-ins (default: the id). */
  providerNames?: ReadonlyMap<string, string>;
}

const NO_PROVIDERS: ReadonlyMap<string, string> = new Map();

export function sessionTable(rows: readonly SessionRow[], opts: SessionTableOptions): SafeHtml {
  return html`<table class="stack sessions"><caption class="sr-only">${opts.caption}</caption>
<thead><tr><th scope="col">Device</th><th scope="col">How</th><th scope="col">IP address</th><th scope="col">Location</th><th scope="col">Last activity</th><th scope="col">Signed in</th><th scope="col"><span class="muted">Action</span></th></tr></thead>
<tbody>${rows.map((r) => row(r, opts))}</tbody></table>`;
}

function row(r: SessionRow, opts: SessionTableOptions): SafeHtml {
  const s = r.session;
  const label = deviceLabel(s);
  return html`<tr data-session-id="${s.id}"${r.current ? html` class="current"` : ''}>
<th scope="row"><span class="break">${label}</span>
${r.current ? html` <span class="badge me">This device</span>` : ''}${s.rememberMe ? html` <span class="badge">Remembered</span>` : ''}</th>
<td data-label="How">${authMethodLabel(s, opts.providerNames ?? NO_PROVIDERS)}${s.mfaVerified ? html` <span class="badge mfa" title="Signed in with a second factor">2-step</span>` : ''}</td>
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
