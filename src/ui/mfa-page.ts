// GET /t/{slug}/login/mfa: the second step of a sign-in (SPEC §13), and the step-up of a
// signed-in session asked again. A security key or passkey (WebAuthn, through the page
// script), a code from an authenticator app, or a recovery code. No top bar: during a
// login there is no session yet; the CSRF token is in the meta tag for the script.
import { html, type SafeHtml } from './html.js';
import { layout } from './layout.js';
import { webAuthnScripts } from './mfa-script.js';
import { safeHref } from './security-page.js';

export interface MfaStepModel {
  slug: string;
  tenantName: string;
  csrfToken: string;
  rd: string;
  maxAge: number | null;
  username: string;
  /** Signed in already, and asked again (a route needs a (fresh) second factor). */
  stepUp: boolean;
  methods: { totp: boolean; webauthn: boolean; recovery: boolean };
  /** One message for the whole step (wrong code, throttled, failed assertion). */
  error?: string;
  /** The catalogue code of `error`, shown in small print. */
  errorCode?: string;
}

const ACTION = (slug: string): string => `/t/${slug}/login/mfa`;

/** The fields every form of the step posts: the token, where to go next, any freshness asked. */
function common(m: MfaStepModel): SafeHtml {
  return html`<input type="hidden" name="csrf_token" value="${m.csrfToken}">
<input type="hidden" name="rd" value="${m.rd}">
${m.maxAge !== null ? html`<input type="hidden" name="max_age" value="${String(m.maxAge)}">` : ''}`;
}

function webauthnForm(m: MfaStepModel): SafeHtml {
  return html`<div class="method"><h2>Security key or passkey</h2>
<form id="webauthn-assert" method="post" action="${ACTION(m.slug)}" data-options-url="${ACTION(m.slug)}/webauthn/options">
${common(m)}
<input type="hidden" name="webauthn_response" value="">
<div class="actions"><button type="submit">Use security key or passkey</button></div>
<p class="webauthn-error" role="alert"></p>
</form></div>`;
}

function totpForm(m: MfaStepModel, autofocus: boolean): SafeHtml {
  const described = m.error
    ? html` aria-describedby="mfa-error mfa-code-hint" aria-invalid="true"`
    : html` aria-describedby="mfa-code-hint"`;
  return html`<div class="method"><h2>Authenticator app</h2>
<form method="post" action="${ACTION(m.slug)}">
${common(m)}
<label for="mfa-code">6-digit code</label>
<input id="mfa-code" class="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required${autofocus ? html` autofocus` : ''}${described}>
<p class="hint" id="mfa-code-hint">The code your authenticator app shows for ${m.tenantName}.</p>
<div class="actions"><button type="submit">Verify</button></div>
</form></div>`;
}

function recoveryForm(m: MfaStepModel, alone: boolean): SafeHtml {
  const form = html`<form method="post" action="${ACTION(m.slug)}">
${common(m)}
<label for="recovery-code">Recovery code</label>
<input id="recovery-code" class="code" name="recovery_code" type="text" autocomplete="off" autocapitalize="none" spellcheck="false" required aria-describedby="recovery-code-hint"${alone ? html` autofocus` : ''}>
<p class="hint" id="recovery-code-hint">One of the codes you saved when you set up two-step sign-in. Each works once.</p>
<div class="actions"><button type="submit">Use recovery code</button></div>
</form>`;
  // With no other way left it is the form itself; otherwise the fallback, folded away.
  return alone
    ? html`<div class="method"><h2>Recovery code</h2>${form}</div>`
    : html`<details class="method"><summary>Use a recovery code</summary>${form}</details>`;
}

export function mfaStepPage(m: MfaStepModel): string {
  const title = m.stepUp ? 'Confirm it’s you' : 'Two-step sign-in';
  const { totp, webauthn, recovery } = m.methods;
  const cancel = m.stepUp
    ? `/t/${m.slug}/account/sessions`
    : `/t/${m.slug}/login${safeHref(m.rd) ? `?rd=${encodeURIComponent(m.rd)}` : ''}`;
  return layout(
    {
      slug: m.slug,
      title,
      csrfToken: m.csrfToken,
      errorCode: m.errorCode,
      ...(webauthn ? { scripts: webAuthnScripts(m.slug) } : {}),
    },
    html`<p class="eyebrow">Gatekeeper · ${m.tenantName}</p>
<h1>${title}</h1>
<p>${m.stepUp ? 'To continue, confirm with your second factor' : 'One more step: confirm with your second factor'} that you are <strong class="break">${m.username}</strong>.</p>
${m.error ? html`<p class="error" role="alert" id="mfa-error">${m.error}</p>` : ''}
${webauthn ? webauthnForm(m) : ''}
${totp ? totpForm(m, true) : ''}
${recovery ? recoveryForm(m, !totp && !webauthn) : ''}
${!totp && !webauthn && !recovery ? html`<p class="error" role="alert">There is no second factor you can use here. Ask your administrator for help.</p>` : ''}
<div class="actions"><a href="${cancel}">Cancel</a></div>`,
  );
}
