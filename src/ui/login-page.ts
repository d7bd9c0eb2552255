// The login and re-authentication form. Plain HTML, no script, every value escaped.
import { html } from './html.js';
import { layout } from './layout.js';

export interface LoginPageModel {
  slug: string;
  tenantName: string;
  csrfToken: string;
  rd: string;
  /** Re-authentication: the username is fixed and the password is asked again. */
  reauthUsername?: string;
  maxAge?: string;
  rememberMeEnabled: boolean;
  error?: string;
  username?: string;
}

export function loginPage(m: LoginPageModel): string {
  const reauth = m.reauthUsername !== undefined;
  return layout(
    { slug: m.slug, title: reauth ? 'Confirm your password' : `Sign in to ${m.tenantName}` },
    html`<h1>${reauth ? 'Confirm your password to continue' : `Sign in to ${m.tenantName}`}</h1>
${m.error ? html`<p class="error" role="alert">${m.error}</p>` : ''}
<form method="post" action="/t/${m.slug}/login">
<input type="hidden" name="csrf_token" value="${m.csrfToken}">
<input type="hidden" name="rd" value="${m.rd}">
${reauth ? html`<input type="hidden" name="prompt" value="login">` : ''}
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" required value="${reauth ? m.reauthUsername : (m.username ?? '')}" ${reauth ? html`readonly` : html`autofocus`}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required ${reauth ? html`autofocus` : ''}>
${m.rememberMeEnabled && !reauth ? html`<label class="check"><input type="checkbox" name="remember_me" value="1"> Remember me on this device</label>` : ''}
<button type="submit">${reauth ? 'Continue' : 'Sign in'}</button>
</form>`,
  );
}

export function logoutPage(m: { slug: string; csrfToken: string; username: string }): string {
  return layout(
    { slug: m.slug, title: 'Sign out', csrfToken: m.csrfToken },
    html`<h1>Sign out</h1><p>You are signed in as <strong>${m.username}</strong>.</p>
<form method="post" action="/t/${m.slug}/logout"><input type="hidden" name="csrf_token" value="${m.csrfToken}"><button type="submit">Sign out</button></form>`,
  );
}
