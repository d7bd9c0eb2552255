// GET /t/{slug}/account/security and its two follow-up views (SPEC §13): the signed-in
// user's second factors (list, remove), adding an authenticator app (QR code + secret,
// confirmed by one code) or a security key / passkey (WebAuthn, through the page script),
// and the recovery codes — how many are left, new ones shown exactly once.
import { html, SafeHtml } from './html.js';
import { layout, type NavModel } from './layout.js';
import { flash, plural, timeCell, type Notice, type NoticeTable } from './format.js';
import { webAuthnScripts } from './mfa-script.js';

/** One enrolled factor as the pages show it (no secret, no credential material). */
export interface FactorView {
  id: string;
  kind: 'totp' | 'webauthn';
  name: string;
  createdAt: string /* ISO */;
  lastUsedAt: string | null;
  /** A WebAuthn passkey (discoverable credential): it can also sign in without a password. */
  discoverable: boolean;
  /** WebAuthn only: 'multiDevice' credentials are synced between devices. */
  deviceType: 'singleDevice' | 'multiDevice' | null;
}

/** A stored factor (src/store/factors.ts FactorRecord, structurally) → its view. */
export function toFactorView(f: {
  id: string;
  kind: 'totp' | 'webauthn';
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  discoverable?: boolean;
  deviceType?: 'singleDevice' | 'multiDevice';
}): FactorView {
  return {
    id: f.id,
    kind: f.kind,
    name: f.name,
    createdAt: new Date(f.createdAt).toISOString(),
    lastUsedAt: f.lastUsedAt === null ? null : new Date(f.lastUsedAt).toISOString(),
    discoverable: f.kind === 'webauthn' && f.discoverable === true,
    deviceType: f.kind === 'webauthn' ? (f.deviceType ?? null) : null,
  };
}

/** "Authenticator app", "Security key" or "Passkey". */
export function factorKindLabel(f: Pick<FactorView, 'kind' | 'discoverable'>): string {
  if (f.kind === 'totp') return 'Authenticator app';
  return f.discoverable ? 'Passkey' : 'Security key';
}

/** Messages after the page's actions (PRG), picked by `?done=` / `?error=`. */
export const SECURITY_NOTICES: NoticeTable = {
  'totp-added': { kind: 'ok', text: () => 'Your authenticator app is set up: sign-ins now ask for its code.' },
  'webauthn-added': { kind: 'ok', text: () => 'Your security key or passkey is added.' },
  removed: { kind: 'ok', text: () => 'The second factor was removed.' },
  'codes-generated': {
    kind: 'ok',
    text: () => 'New recovery codes were generated; the old ones no longer work.',
  },
  'codes-saved': { kind: 'ok', text: () => 'Keep your recovery codes somewhere safe.' },
  'webauthn-failed': {
    kind: 'error',
    text: () => 'The security key or passkey could not be added. Please try again.',
  },
  'totp-exists': {
    kind: 'error',
    text: () => 'You already have an authenticator app. Remove it first to set up another one.',
  },
  'totp-failed': { kind: 'error', text: () => 'The authenticator app could not be set up. Please start again.' },
  'factor-limit': {
    kind: 'error',
    text: () => 'You have as many second factors as allowed. Remove one before adding another.',
  },
  'duplicate-factor': { kind: 'error', text: () => 'That security key or passkey is already added.' },
  'unknown-factor': { kind: 'error', text: () => 'That second factor no longer exists.' },
  'not-offered': { kind: 'error', text: () => 'That kind of second factor is not offered here.' },
  'no-factor': { kind: 'error', text: () => 'Add a second factor first: recovery codes go with one.' },
};

export interface SecurityPageModel {
  slug: string;
  nav: NavModel;
  factors: readonly FactorView[];
  recoveryCodesLeft: number;
  /** What the tenant lets users add (settings.mfa.totp / .webauthn). */
  offer: { totp: boolean; webauthn: boolean };
  /** The tenant requires a second factor and the user has none: a notice at the top. */
  mustEnrol: boolean;
  /** Where to continue after enrolment (carried in links and forms as `rd`). */
  rd: string | null;
  nowMs: number;
  notice: Notice | null;
}

export const securityPath = (slug: string): string => `/t/${slug}/account/security`;

/** `path` with `?rd=` when there is somewhere to continue to. */
const withRd = (path: string, rd: string | null): string => (rd ? `${path}?rd=${encodeURIComponent(rd)}` : path);

/**
 * A link target from a redirect parameter: only a path on this origin or an http(s) URL
 * (the handlers check `rd` against the tenant's hosts; this keeps `javascript:` out even
 * if one did not).
 */
export function safeHref(url: string | null): string | null {
  return url !== null && /^(?:\/(?![/\\])|https?:\/\/)/i.test(url) ? url : null;
}

/**
 * The QR code's markup as the qrcode library made it. It is the one markup not built with
 * `html`; anything but a plain SVG (a script, an event handler, foreign content) shows nothing.
 */
function trustedSvg(svg: string): SafeHtml | string {
  const plain = /^<svg[\s>]/.test(svg) && !/<script|<foreignObject|\son[a-z]+\s*=|javascript:|\sstyle\s*=/i.test(svg);
  return plain ? new SafeHtml(svg) : '';
}

const rdField = (rd: string | null) => (rd ? html`<input type="hidden" name="rd" value="${rd}">` : '');

function factorRow(f: FactorView, m: SecurityPageModel): SafeHtml {
  const kind = factorKindLabel(f);
  return html`<tr data-factor-id="${f.id}">
<th scope="row">${kind}${f.deviceType === 'multiDevice' ? html` <span class="badge">Synced</span>` : ''}</th>
<td data-label="Name"><span class="break">${f.name}</span></td>
<td data-label="Added">${timeCell(f.createdAt, m.nowMs)}</td>
<td data-label="Last used">${f.lastUsedAt ? timeCell(f.lastUsedAt, m.nowMs) : html`<span class="muted">Never</span>`}</td>
<td><form class="inline" method="post" action="${securityPath(m.slug)}/factors/${encodeURIComponent(f.id)}/remove"><input type="hidden" name="csrf_token" value="${m.nav.csrfToken}"><button type="submit" class="btn-danger btn-small" aria-label="${`Remove ${kind.toLowerCase()} “${f.name}”`}">Remove</button></form></td>
</tr>`;
}

function factorList(m: SecurityPageModel): SafeHtml {
  if (m.factors.length === 0)
    return html`<p class="muted">You have no second factor yet: signing in needs only your first factor.${m.offer.totp || m.offer.webauthn ? ' Add one below.' : ''}</p>`;
  return html`<p>Signing in asks for one of these after your password.</p>
<table class="stack factors"><caption class="sr-only">${plural(m.factors.length, 'second factor')}, times in UTC</caption>
<thead><tr><th scope="col">Kind</th><th scope="col">Name</th><th scope="col">Added</th><th scope="col">Last used</th><th scope="col"><span class="muted">Action</span></th></tr></thead>
<tbody>${m.factors.map((f) => factorRow(f, m))}</tbody></table>
<p class="hint">Removing a factor asks you to confirm with a second factor first.</p>`;
}

function addTotp(m: SecurityPageModel): SafeHtml {
  return html`<div class="method"><h3>Authenticator app</h3>
<p>Use an app such as Google Authenticator, Microsoft Authenticator or 1Password: it shows a new 6-digit code every 30 seconds.</p>
<a class="btn" href="${withRd(`${securityPath(m.slug)}/totp`, m.rd)}">Set up an authenticator app</a></div>`;
}

function addWebAuthn(m: SecurityPageModel): SafeHtml {
  const base = securityPath(m.slug);
  return html`<div class="method"><h3>Security key or passkey</h3>
<p>A hardware key (USB, NFC) or a passkey kept by your phone, computer or password manager.</p>
<form id="webauthn-register" method="post" action="${base}/webauthn" data-options-url="${base}/webauthn/options">
<input type="hidden" name="csrf_token" value="${m.nav.csrfToken}">
<input type="hidden" name="response" value="">
${rdField(m.rd)}
<label for="webauthn-name">Name</label>
<input id="webauthn-name" name="name" type="text" value="Security key" maxlength="64" required autocomplete="off" aria-describedby="webauthn-name-hint">
<p class="hint" id="webauthn-name-hint">To tell your keys apart, e.g. “Blue YubiKey” or “Work laptop”.</p>
<div class="actions"><button type="submit">Add security key or passkey</button></div>
<p class="webauthn-error" role="alert"></p>
</form></div>`;
}

function recoverySection(m: SecurityPageModel): SafeHtml | string {
  if (m.factors.length === 0) return '';
  const left = m.recoveryCodesLeft;
  return html`<section class="card" aria-labelledby="recovery-h"><h2 id="recovery-h">Recovery codes</h2>
<p>If you lose your second factors, a recovery code signs you in once.
${left === 0 ? html`<strong>You have no recovery codes left.</strong>` : html`You have <strong>${plural(left, 'recovery code')}</strong> left.`}</p>
<form method="post" action="${securityPath(m.slug)}/recovery-codes"><input type="hidden" name="csrf_token" value="${m.nav.csrfToken}">
${rdField(m.rd)}
<button type="submit"${left > 0 ? html` class="btn-secondary"` : ''}>Generate new recovery codes</button></form>
<p class="hint">New codes replace all the old ones. You are asked to confirm with a second factor first.</p></section>`;
}

export function securityPage(m: SecurityPageModel): string {
  const offered = m.offer.totp || m.offer.webauthn;
  return layout(
    {
      slug: m.slug,
      title: 'Security',
      nav: { ...m.nav, active: 'security' },
      ...(m.offer.webauthn ? { scripts: webAuthnScripts(m.slug) } : {}),
    },
    html`<div class="head"><div><h1>Security</h1>
<p class="muted">How you sign in to ${m.nav.tenantName}: add a second factor so a stolen password alone is not enough.</p></div></div>
${m.mustEnrol ? html`<div class="warn" role="alert"><strong>Set up a second factor to continue.</strong> ${m.nav.tenantName} requires two-step sign-in: add ${m.offer.totp && m.offer.webauthn ? 'an authenticator app or a security key' : m.offer.totp ? 'an authenticator app' : 'a security key or passkey'} below.</div>` : ''}
${m.notice ? flash(m.notice.kind, m.notice.text) : ''}
<section class="card" aria-labelledby="factors-h"><h2 id="factors-h">Two-step sign-in</h2>
${factorList(m)}</section>
${
  offered
    ? html`<section class="card" aria-labelledby="add-h"><h2 id="add-h">Add a second factor</h2>
${m.offer.totp && !m.factors.some((f) => f.kind === 'totp') ? addTotp(m) : ''}${m.offer.webauthn ? addWebAuthn(m) : ''}</section>`
    : html`<section class="card" aria-labelledby="add-h"><h2 id="add-h">Add a second factor</h2><p class="muted">${m.nav.tenantName} does not offer new second factors at the moment.</p></section>`
}
${recoverySection(m)}
${safeHref(m.rd) && !m.mustEnrol ? html`<p><a href="${safeHref(m.rd)}">Continue</a></p>` : ''}`,
  );
}

/** The base32 secret in groups of four, as authenticator apps ask for it to be typed. */
export function groupSecret(secret: string): string {
  return (secret.match(/.{1,4}/g) ?? []).join(' ');
}

export interface TotpSetupModel {
  slug: string;
  nav: NavModel;
  /** Trusted SVG markup from the qrcode library (of the otpauth:// URI), inserted unescaped. */
  qrSvg: string;
  /** The base32 secret, for typing it in instead. */
  secret: string;
  /** The sealed new secret, posted back with the code. */
  pending: string;
  rd: string | null;
  /** A wrong code: the message, tied to the field. */
  error?: string;
  errorCode?: string;
}

export function totpSetupPage(m: TotpSetupModel): string {
  const base = securityPath(m.slug);
  const described = m.error
    ? html` aria-describedby="totp-error totp-code-hint" aria-invalid="true"`
    : html` aria-describedby="totp-code-hint"`;
  return layout(
    {
      slug: m.slug,
      title: 'Set up an authenticator app',
      nav: { ...m.nav, active: 'security' },
      errorCode: m.errorCode,
    },
    html`<nav aria-label="Breadcrumb" class="muted crumbs"><a href="${withRd(base, m.rd)}">Security</a> / Authenticator app</nav>
<section class="card" aria-labelledby="totp-h"><h1 id="totp-h">Set up an authenticator app</h1>
${m.error ? html`<p class="error" role="alert" id="totp-error">${m.error}</p>` : ''}
<ol class="steps">
<li><p><strong>Scan this QR code</strong> with your authenticator app.</p>
<div class="qr">${trustedSvg(m.qrSvg)}</div></li>
<li><p><strong>Cannot scan it?</strong> Enter this key in the app instead (time-based, 6 digits):</p>
<code class="secret" id="totp-secret">${groupSecret(m.secret)}</code></li>
<li><form method="post" action="${base}/totp">
<input type="hidden" name="csrf_token" value="${m.nav.csrfToken}">
<input type="hidden" name="pending" value="${m.pending}">
${rdField(m.rd)}
<label for="totp-code">Enter the 6-digit code the app shows</label>
<input id="totp-code" class="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required autofocus${described}>
<p class="hint" id="totp-code-hint">This confirms the app is set up correctly.</p>
<div class="actions"><button type="submit">Turn on</button><a class="btn btn-secondary" href="${withRd(base, m.rd)}">Cancel</a></div>
</form></li>
</ol></section>`,
  );
}

export interface RecoveryCodesModel {
  slug: string;
  nav: NavModel;
  codes: readonly string[];
  /** Where Continue leads (the security page, or the `rd` of an enrolment). */
  continueTo: string;
}

export function recoveryCodesPage(m: RecoveryCodesModel): string {
  return layout(
    { slug: m.slug, title: 'Your recovery codes', nav: { ...m.nav, active: 'security' } },
    html`<section class="card" aria-labelledby="codes-h"><h1 id="codes-h">Your recovery codes</h1>
<div class="warn" role="note"><strong>Save these codes now: they are shown only once.</strong>
Each code works once, to sign in when you cannot use your second factor. Print them or keep them in a password manager.</div>
<ol class="codes" aria-label="Recovery codes">${m.codes.map((c) => html`<li><code>${c}</code></li>`)}</ol>
<p class="hint">Any older recovery codes no longer work.</p>
<div class="actions"><a class="btn" href="${safeHref(m.continueTo) ?? securityPath(m.slug)}">Continue</a></div></section>`,
  );
}
