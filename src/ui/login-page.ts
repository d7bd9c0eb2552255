// The login and re-authentication form, and the logout confirmation. Plain HTML, every
// value escaped; the only script is the optional "Sign in with a passkey" (WebAuthn).
import { html, type SafeHtml } from './html.js';
import { layout } from './layout.js';
import { webAuthnScripts } from './mfa-script.js';

export interface LoginPageModel {
  slug: string;
  tenantName: string;
  csrfToken: string;
  rd: string;
  /** Re-authentication: the username is fixed and the password is asked again. */
  reauthUsername?: string;
  maxAge?: string;
  rememberMeEnabled: boolean;
  /** One message for the whole form (wrong credentials, lockout with its wait, session limit). */
  error?: string;
  /** The catalogue code of `error`, shown in small print. */
  errorCode?: string;
  username?: string;
  /** One button per identity provider (SPEC §12); each link already carries rd and any step-up. */
  providers?: readonly { href: string; displayName: string }[];
  /** false when the tenant has no users file (or the user to re-authenticate signed in at an IdP). */
  passwordForm?: boolean;
  /**
   * "Sign in with a passkey" (settings.mfa.passkeyLogin). The form starts hidden: the page
   * script shows it when the browser can use WebAuthn (without script it could not work).
   */
  passkey?: boolean;
}

/** The passkey sign-in: the script fills `webauthn_response` (and `remember_me` from the checkbox). */
function passkeyForm(m: LoginPageModel, orPassword: boolean): SafeHtml {
  return html`<form id="passkey-login" method="post" action="/t/${m.slug}/login/passkey" data-options-url="/t/${m.slug}/login/passkey/options" hidden>
<input type="hidden" name="csrf_token" value="${m.csrfToken}">
<input type="hidden" name="rd" value="${m.rd}">
<input type="hidden" name="webauthn_response" value="">
${m.rememberMeEnabled && m.reauthUsername === undefined ? html`<input type="hidden" name="remember_me" value="">` : ''}
<div class="providers"><button type="submit" class="btn-secondary">Sign in with a passkey</button></div>
<p class="webauthn-error" role="alert"></p>
${orPassword ? html`<p class="hint">or with your password:</p>` : ''}
</form>`;
}

export function loginPage(m: LoginPageModel): string {
  const reauth = m.reauthUsername !== undefined;
  const title = reauth ? 'Confirm your password to continue' : `Sign in to ${m.tenantName}`;
  // The error is tied to both fields so a screen reader announces it when focusing them.
  const described = m.error ? html` aria-describedby="login-error" aria-invalid="true"` : '';
  const providers = m.providers ?? [];
  const buttons =
    providers.length === 0
      ? ''
      : html`<div class="providers">${providers.map((p) => html`<a class="btn btn-secondary" href="${p.href}">Sign in with ${p.displayName}</a>`)}</div>`;
  const scripts = m.passkey ? { scripts: webAuthnScripts(m.slug) } : {};
  if (m.passwordForm === false) {
    return layout(
      { slug: m.slug, title: `Sign in to ${m.tenantName}`, csrfToken: m.csrfToken, errorCode: m.errorCode, ...scripts },
      html`<p class="eyebrow">Gatekeeper${reauth ? html` · ${m.tenantName}` : ''}</p>
<h1>${reauth ? 'Sign in again to continue' : `Sign in to ${m.tenantName}`}</h1>
${reauth ? html`<p>For your security, sign in again as <strong class="break">${m.reauthUsername}</strong>.</p>` : ''}
${m.error ? html`<div id="login-error"><p class="error" role="alert">${m.error}</p></div>` : ''}
${buttons}${m.passkey ? passkeyForm(m, false) : ''}`,
    );
  }
  return layout(
    {
      slug: m.slug,
      title: reauth ? 'Confirm your password' : `Sign in to ${m.tenantName}`,
      csrfToken: m.csrfToken,
      errorCode: m.errorCode,
      ...scripts,
    },
    html`<p class="eyebrow">Gatekeeper${reauth ? html` · ${m.tenantName}` : ''}</p>
<h1>${title}</h1>
${buttons}${m.passkey ? passkeyForm(m, providers.length === 0) : ''}${providers.length > 0 ? html`<p class="hint">or with your password:</p>` : ''}
${reauth ? html`<p>For your security, enter the password of <strong class="break">${m.reauthUsername}</strong> again.</p>` : ''}
${m.error ? html`<div id="login-error"><p class="error" role="alert">${m.error}</p></div>` : ''}
<form method="post" action="/t/${m.slug}/login">
<input type="hidden" name="csrf_token" value="${m.csrfToken}">
<input type="hidden" name="rd" value="${m.rd}">
${reauth ? html`<input type="hidden" name="prompt" value="login">` : ''}
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${reauth ? m.reauthUsername : (m.username ?? '')}"${reauth ? html` readonly` : html` autofocus`}${reauth ? '' : described}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${reauth ? html` autofocus` : ''}${described}>
${
  m.rememberMeEnabled && !reauth
    ? html`<label class="check"><input type="checkbox" name="remember_me" value="1" aria-describedby="remember-hint"> Remember me on this device</label>
<p class="hint" id="remember-hint">Stay signed in after closing the browser. Do not use on a shared computer.</p>`
    : ''
}
<div class="actions"><button type="submit">${reauth ? 'Continue' : 'Sign in'}</button>
${reauth ? html`<a href="/t/${m.slug}/logout">Not you? Sign out</a>` : ''}</div>
</form>`,
  );
}

export function logoutPage(m: { slug: string; csrfToken: string; username: string }): string {
  return layout(
    { slug: m.slug, title: 'Sign out', csrfToken: m.csrfToken },
    html`<h1>Sign out</h1><p>You are signed in as <strong class="break">${m.username}</strong>.</p>
<form method="post" action="/t/${m.slug}/logout"><input type="hidden" name="csrf_token" value="${m.csrfToken}">
<div class="actions"><button type="submit">Sign out</button><a href="/t/${m.slug}/account/sessions">My sessions</a></div></form>`,
  );
}
