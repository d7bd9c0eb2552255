// The second-factor pages and their script (SPEC §13), rendered from models: every value a
// user or the URL supplies is escaped; every POST form carries the CSRF token; the forms
// carry the ids and attributes the page script and the handlers rely on; nothing inline
// (no script body, no style attribute, no event handler) under the page CSP. The script
// itself runs here against a small fake DOM; the static handlers serve it and the bundle.
import { runInNewContext } from 'node:vm';
import type { ServerResponse } from 'node:http';
import t, { type Test } from 'tap';
import { DEFAULTS } from '../../src/config/defaults.js';
import { formatSettings } from '../../src/config/settings-patch.js';
import type { TenantSettings } from '../../src/config/types.js';
import type { GatewayContext } from '../../src/http/context.js';
import { formToPatch } from '../../src/http/handlers/pages-settings.js';
import { getMfaScript, getWebAuthnScript, webAuthnBundlePath } from '../../src/http/handlers/static.js';
import { sendHtml } from '../../src/http/respond.js';
import { totpQrSvg, totpUri } from '../../src/mfa/totp.js';
import { authSettingsPage } from '../../src/ui/auth-settings-page.js';
import { accountSessionsPage } from '../../src/ui/account-sessions-page.js';
import { noticeFrom } from '../../src/ui/format.js';
import type { NavModel } from '../../src/ui/layout.js';
import { loginPage } from '../../src/ui/login-page.js';
import { mfaStepPage, type MfaStepModel } from '../../src/ui/mfa-page.js';
import { MFA_SCRIPT } from '../../src/ui/mfa-script.js';
import { USER_NOTICES, userPage } from '../../src/ui/portal-user-page.js';
import {
  groupSecret,
  recoveryCodesPage,
  SECURITY_NOTICES,
  securityPage,
  toFactorView,
  totpSetupPage,
  type FactorView,
  type SecurityPageModel,
} from '../../src/ui/security-page.js';
import type { SessionView } from '../../src/ui/session-table.js';
import { SETTINGS_FIELDS, valueAt } from '../../src/ui/settings-fields.js';

const SCRIPT = '<script>alert(1)</script>';
const QUOTES = `"'><img src=x onerror=alert(2)>`;
const NOW = Date.parse('2026-12-01T12:00:00Z');
const TOKEN = 'csrf-TOKEN_123';
const NAV: NavModel = { tenantName: `Acme ${SCRIPT}`, username: `alice${QUOTES}`, isAdmin: true, csrfToken: TOKEN };

const factor = (over: Partial<FactorView> = {}): FactorView => ({
  id: 'fac_AAAAAAAAAAAAAAAAAAAAAA',
  kind: 'webauthn',
  name: 'Blue key',
  createdAt: '2026-11-01T10:00:00.000Z',
  lastUsedAt: '2026-11-30T10:00:00.000Z',
  discoverable: false,
  deviceType: 'singleDevice',
  ...over,
});

const FACTORS: readonly FactorView[] = [
  factor({ id: 'fac_totp', kind: 'totp', name: 'Authenticator app', discoverable: false, deviceType: null }),
  factor({ id: 'fac_key/../x', name: SCRIPT, lastUsedAt: null }),
  factor({ id: 'fac_pk', name: QUOTES, discoverable: true, deviceType: 'multiDevice' }),
];

const security = (over: Partial<SecurityPageModel> = {}): string =>
  securityPage({
    slug: 'acme',
    nav: NAV,
    factors: FACTORS,
    recoveryCodesLeft: 7,
    offer: { totp: true, webauthn: true },
    mustEnrol: false,
    rd: null,
    nowMs: NOW,
    notice: null,
    ...over,
  });

/** No raw payload anywhere: each hostile value appears only escaped. */
function escapesAll(t: Test, page: string, what: string): void {
  t.notOk(page.includes(SCRIPT), `${what}: no raw <script> payload`);
  t.notOk(page.includes(QUOTES), `${what}: no raw quote-breaking payload`);
  t.notMatch(page, /<img/i, `${what}: no img element`);
}

/** CSP script-src 'self' and style-src 'self': scripts only by src, empty; no style or on* attribute. */
function nothingInline(t: Test, page: string, what: string): void {
  for (const tag of page.match(/<script\b[^>]*>[\s\S]*?<\/script>/gi) ?? [])
    t.match(tag, /^<script src="\/t\/acme\/static\/[a-z-]+\.js" defer><\/script>$/, `${what}: ${tag} is external`);
  t.equal(
    (page.match(/<script\b/gi) ?? []).length,
    (page.match(/<script src="/g) ?? []).length,
    `${what}: every script by src`,
  );
  // Attributes of the real tags (escaped text holds no `<`), quoted values blanked.
  const tags = (page.match(/<[a-z][^>]*>/gi) ?? []).map((tag) => tag.replace(/"[^"]*"/g, '""'));
  t.notOk(
    tags.find((tag) => /\sstyle\s*=/i.test(tag)),
    `${what}: no style attribute`,
  );
  t.notOk(
    tags.find((tag) => /\son[a-z]+\s*=/i.test(tag)),
    `${what}: no inline event handler`,
  );
  t.notMatch(page, /javascript:/i, `${what}: no javascript: URL`);
}

/** Every POST form of the page carries the token as its hidden csrf_token. */
function formsCarryToken(t: Test, page: string, token: string, what: string): string[] {
  const forms = page.match(/<form\b[^>]*method="post"[\s\S]*?<\/form>/g) ?? [];
  t.ok(forms.length > 0, `${what}: has POST forms`);
  for (const f of forms)
    t.match(
      f,
      `<input type="hidden" name="csrf_token" value="${token}">`,
      `${what}: form ${/action="([^"]+)"/.exec(f)?.[1]} carries the token`,
    );
  return forms;
}

const formById = (page: string, id: string): string =>
  new RegExp(`<form id="${id}"[\\s\\S]*?</form>`).exec(page)?.[0] ?? '';

t.test('security page: factors listed and escaped, remove forms, the add forms, recovery codes', async (t) => {
  const page = security({ rd: 'https://dashboard.acme.test/admin/?a=1&b=2' });
  escapesAll(t, page, 'security');
  nothingInline(t, page, 'security');
  formsCarryToken(t, page, TOKEN, 'security');
  t.match(page, `<meta name="csrf-token" content="${TOKEN}">`, 'the meta tag carries the session token');
  t.match(page, /<a href="\/t\/acme\/account\/security" aria-current="page">Security<\/a>/, 'nav: Security active');

  t.match(page, '&lt;script&gt;alert(1)&lt;/script&gt;', 'the hostile name shown as text');
  t.match(page, '&quot;&#39;&gt;&lt;img src=x onerror=alert(2)&gt;', 'quotes escaped');
  t.match(page, /<th scope="row">Authenticator app<\/th>/, 'TOTP kind label');
  t.match(page, /<th scope="row">Security key<\/th>/, 'security key kind label');
  t.match(page, /<th scope="row">Passkey <span class="badge">Synced<\/span><\/th>/, 'passkey, synced');
  t.match(page, /<time datetime="2026-11-01T10:00:00.000Z"/, 'added: a time cell');
  t.match(page, /<td data-label="Last used"><span class="muted">Never<\/span><\/td>/, 'never used');
  t.match(
    page,
    'action="/t/acme/account/security/factors/fac_key%2F..%2Fx/remove"',
    'remove: the factor id is one path segment',
  );
  t.match(page, 'action="/t/acme/account/security/factors/fac_totp/remove"');
  t.match(page, 'aria-label="Remove security key “&lt;script&gt;alert(1)&lt;/script&gt;”"', 'remove buttons say what');

  t.notMatch(page, 'href="/t/acme/account/security/totp', 'one authenticator app per user: no second one offered');
  const keysOnly = security({
    rd: 'https://dashboard.acme.test/admin/?a=1&b=2',
    factors: FACTORS.filter((f) => f.kind !== 'totp'),
  });
  t.match(
    keysOnly,
    'href="/t/acme/account/security/totp?rd=https%3A%2F%2Fdashboard.acme.test%2Fadmin%2F%3Fa%3D1%26b%3D2"',
    'TOTP link carries rd, encoded',
  );
  const reg = formById(page, 'webauthn-register');
  t.match(
    reg,
    /^<form id="webauthn-register" method="post" action="\/t\/acme\/account\/security\/webauthn" data-options-url="\/t\/acme\/account\/security\/webauthn\/options">/,
    'the registration form of the script contract',
  );
  t.match(reg, '<input type="hidden" name="response" value="">');
  t.match(reg, '<input type="hidden" name="rd" value="https://dashboard.acme.test/admin/?a=1&amp;b=2">');
  t.match(
    reg,
    /<label for="webauthn-name">Name<\/label>\s*<input id="webauthn-name" name="name" type="text" value="Security key"/,
  );
  t.match(reg, /<button type="submit">Add security key or passkey<\/button>/);
  t.match(reg, '<p class="webauthn-error" role="alert"></p>');

  t.match(page, 'You have <strong>7 recovery codes</strong> left.');
  t.match(page, /<form method="post" action="\/t\/acme\/account\/security\/recovery-codes">/);
  t.match(page, /Generate new recovery codes<\/button>/);
  t.match(page, '<a href="https://dashboard.acme.test/admin/?a=1&amp;b=2">Continue</a>', 'continue to rd');
  t.match(
    page,
    /<script src="\/t\/acme\/static\/webauthn.js" defer><\/script>\s*<script src="\/t\/acme\/static\/gatekeeper-mfa.js" defer><\/script>/,
    'the library, then our script',
  );
});

t.test('security page: only what is offered; no recovery codes without a factor; must enrol', async (t) => {
  const none = security({ factors: [], recoveryCodesLeft: 0, mustEnrol: true });
  t.match(none, /<div class="warn" role="alert"><strong>Set up a second factor to continue.<\/strong>/);
  t.match(none, 'You have no second factor yet');
  t.notMatch(none, /recovery-codes/, 'no recovery codes without a factor');
  t.notMatch(none, /<table/, 'no empty table');

  const totpOnly = security({ offer: { totp: true, webauthn: false }, factors: [] });
  t.notMatch(totpOnly, /webauthn-register|<script/, 'no WebAuthn form, no scripts');
  t.match(totpOnly, 'Set up an authenticator app');
  const keyOnly = security({ offer: { totp: false, webauthn: true } });
  t.notMatch(keyOnly, /account\/security\/totp/, 'no TOTP link');
  t.match(keyOnly, 'id="webauthn-register"');
  const nothing = security({ offer: { totp: false, webauthn: false } });
  t.notMatch(nothing, /account\/security\/totp|webauthn-register/);
  t.match(nothing, 'does not offer new second factors');
  t.match(nothing, /factors\/fac_totp\/remove/, 'factors can still be removed');

  t.notMatch(security({ rd: 'javascript:alert(1)' }), /href="javascript/i, 'a javascript: rd never becomes a link');
  t.notMatch(security({ rd: '//evil.test/' }), /href="\/\/evil/, 'nor a scheme-relative one');
  t.notMatch(security({ rd: '/x', mustEnrol: true }), />Continue</, 'no skipping a required enrolment');
  t.match(security({ recoveryCodesLeft: 0 }), '<strong>You have no recovery codes left.</strong>');
});

t.test('security notices: codes pick fixed wording', async (t) => {
  for (const code of ['totp-added', 'webauthn-added', 'removed', 'codes-generated'])
    t.equal(noticeFrom(new URLSearchParams({ done: code }), SECURITY_NOTICES)?.kind, 'ok', code);
  for (const code of ['webauthn-failed', 'factor-limit', 'unknown-factor', 'duplicate-factor'])
    t.equal(noticeFrom(new URLSearchParams({ error: code }), SECURITY_NOTICES)?.kind, 'error', code);
  t.equal(noticeFrom(new URLSearchParams({ done: SCRIPT }), SECURITY_NOTICES), null);
  const page = security({ notice: noticeFrom(new URLSearchParams({ error: 'factor-limit' }), SECURITY_NOTICES) });
  t.match(page, /<p class="error" role="alert">You have as many second factors as allowed/);
});

t.test('toFactorView: stored factors to the view, never their secrets', async (t) => {
  const totp = toFactorView({
    id: 'fac_t',
    kind: 'totp',
    name: 'Authenticator app',
    createdAt: NOW,
    lastUsedAt: null,
    secretBox: 'v1.sealed',
  } as Parameters<typeof toFactorView>[0]);
  t.same(totp, {
    id: 'fac_t',
    kind: 'totp',
    name: 'Authenticator app',
    createdAt: '2026-12-01T12:00:00.000Z',
    lastUsedAt: null,
    discoverable: false,
    deviceType: null,
  });
  t.notOk('secretBox' in totp, 'the sealed secret is not carried');
  const key = toFactorView({
    id: 'fac_w',
    kind: 'webauthn',
    name: 'k',
    createdAt: NOW,
    lastUsedAt: NOW + 1000,
    discoverable: true,
    deviceType: 'multiDevice',
  });
  t.equal(key.lastUsedAt, '2026-12-01T12:00:01.000Z');
  t.equal(key.discoverable, true);
  t.equal(key.deviceType, 'multiDevice');
});

t.test('TOTP setup: the QR code, the secret in groups, the code form', async (t) => {
  const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
  const qrSvg = await totpQrSvg(totpUri(secret, { issuer: 'Acme', account: 'alice' }));
  const model = { slug: 'acme', nav: NAV, qrSvg, secret, pending: `v1.k.${QUOTES}`, rd: `/after?x=${SCRIPT}` };
  const page = totpSetupPage(model);
  escapesAll(t, page, 'totp setup');
  nothingInline(t, page, 'totp setup');
  formsCarryToken(t, page, TOKEN, 'totp setup');
  t.ok(page.includes(qrSvg.trim()), 'the QR markup as the library made it');
  t.match(page, /<div class="qr"><svg /);
  t.equal(groupSecret(secret), 'JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP');
  t.match(page, '<code class="secret" id="totp-secret">JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP</code>');
  t.match(page, /<form method="post" action="\/t\/acme\/account\/security\/totp">/);
  t.match(page, '<input type="hidden" name="pending" value="v1.k.&quot;&#39;&gt;&lt;img src=x onerror=alert(2)&gt;">');
  t.match(page, '<input type="hidden" name="rd" value="/after?x=&lt;script&gt;alert(1)&lt;/script&gt;">');
  t.match(
    page,
    /<label for="totp-code">[^<]+<\/label>\s*<input id="totp-code" class="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="\[0-9\]\{6\}"/,
    'a labelled numeric one-time-code field',
  );
  t.match(
    page,
    /<a class="btn btn-secondary" href="\/t\/acme\/account\/security\?rd=%2Fafter%3Fx%3D%3Cscript%3Ealert\(1\)%3C%2Fscript%3E">Cancel<\/a>/,
  );
  t.notMatch(page, /<script/, 'no script on this page');

  const wrong = totpSetupPage({ ...model, error: `Wrong code ${SCRIPT}`, errorCode: 'ERR_GK_MFA_INVALID' });
  escapesAll(t, wrong, 'totp setup error');
  t.match(wrong, /<p class="error" role="alert" id="totp-error">Wrong code &lt;script&gt;/);
  t.match(wrong, /aria-describedby="totp-error totp-code-hint" aria-invalid="true"/, 'the error tied to the field');
  t.match(wrong, 'Error code: <code>ERR_GK_MFA_INVALID</code>');

  for (const bad of [
    `<svg onload="alert(1)"></svg>`,
    `<svg><script>alert(1)</script></svg>`,
    `<svg><foreignObject><div></div></foreignObject></svg>`,
    `<img src=x>`,
    `<svg style="x"></svg>`,
  ]) {
    const p = totpSetupPage({ ...model, qrSvg: bad });
    t.notOk(p.includes(bad), `markup other than a plain SVG is dropped: ${bad}`);
  }
});

t.test('recovery codes: shown once, monospace, a clear note, Continue', async (t) => {
  const codes = ['abcd-efgh-ijkl', 'mnop-qrst-uvwx', SCRIPT];
  const page = recoveryCodesPage({ slug: 'acme', nav: NAV, codes, continueTo: '/t/acme/account/security?done=x&y=1' });
  escapesAll(t, page, 'codes');
  nothingInline(t, page, 'codes');
  t.match(
    page,
    /<ol class="codes" aria-label="Recovery codes"><li><code>abcd-efgh-ijkl<\/code><\/li><li><code>mnop-qrst-uvwx<\/code><\/li>/,
  );
  t.match(page, 'Save these codes now: they are shown only once.');
  t.match(page, 'Each code works once');
  t.match(page, '<a class="btn" href="/t/acme/account/security?done=x&amp;y=1">Continue</a>');
  t.match(
    recoveryCodesPage({ slug: 'acme', nav: NAV, codes, continueTo: 'javascript:alert(1)' }),
    '<a class="btn" href="/t/acme/account/security">Continue</a>',
    'a javascript: target falls back to the security page',
  );
});

const mfaModel = (over: Partial<MfaStepModel> = {}): MfaStepModel => ({
  slug: 'acme',
  tenantName: `Acme ${SCRIPT}`,
  csrfToken: 'LOGIN-NONCE',
  rd: `https://dashboard.acme.test/?q=${QUOTES}`,
  maxAge: null,
  username: `alice${SCRIPT}`,
  stepUp: false,
  methods: { totp: true, webauthn: true, recovery: true },
  ...over,
});

t.test('second step: TOTP, WebAuthn and recovery forms with the same hidden fields', async (t) => {
  const page = mfaStepPage(mfaModel({ maxAge: 600 }));
  escapesAll(t, page, 'mfa');
  nothingInline(t, page, 'mfa');
  const forms = formsCarryToken(t, page, 'LOGIN-NONCE', 'mfa');
  t.equal(forms.length, 3, 'three forms');
  t.match(page, '<meta name="csrf-token" content="LOGIN-NONCE">');
  t.notMatch(page, /class="top"/, 'no top bar');
  for (const f of forms) {
    t.match(f, 'action="/t/acme/login/mfa"');
    t.match(
      f,
      '<input type="hidden" name="rd" value="https://dashboard.acme.test/?q=&quot;&#39;&gt;&lt;img src=x onerror=alert(2)&gt;">',
    );
    t.match(f, '<input type="hidden" name="max_age" value="600">');
  }
  const assert = formById(page, 'webauthn-assert');
  t.match(
    assert,
    /^<form id="webauthn-assert" method="post" action="\/t\/acme\/login\/mfa" data-options-url="\/t\/acme\/login\/mfa\/webauthn\/options">/,
  );
  t.match(assert, '<input type="hidden" name="webauthn_response" value="">');
  t.match(assert, '<button type="submit">Use security key or passkey</button>');
  t.match(assert, '<p class="webauthn-error" role="alert"></p>');
  t.match(
    page,
    /<label for="mfa-code">[^<]+<\/label>\s*<input id="mfa-code" class="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="\[0-9\]\{6\}"[^>]* autofocus/,
  );
  t.match(
    page,
    /<details class="method"><summary>Use a recovery code<\/summary><form[\s\S]*name="recovery_code"[\s\S]*<\/form><\/details>/,
  );
  t.match(page, /<label for="recovery-code">Recovery code<\/label>/);
  t.match(
    page,
    /<a href="\/t\/acme\/login\?rd=https%3A%2F%2Fdashboard.acme.test%2F%3Fq%3D%22[^"]*">Cancel<\/a>/,
    'cancel: back to login',
  );
  t.match(page, /webauthn.js" defer><\/script>\s*<script src="\/t\/acme\/static\/gatekeeper-mfa.js"/);

  const noMaxAge = mfaStepPage(mfaModel());
  t.notMatch(noMaxAge, /name="max_age"/, 'no max_age unless asked');
});

t.test('second step: step-up, errors, and only the methods the user has', async (t) => {
  const up = mfaStepPage(mfaModel({ stepUp: true, error: `Wrong ${QUOTES}`, errorCode: 'ERR_GK_MFA_INVALID' }));
  escapesAll(t, up, 'step-up');
  t.match(up, '<h1>Confirm it’s you</h1>');
  t.match(up, '<a href="/t/acme/account/sessions">Cancel</a>', 'cancel: back to my sessions');
  t.match(up, /<p class="error" role="alert" id="mfa-error">Wrong &quot;/);
  t.match(up, /aria-describedby="mfa-error mfa-code-hint" aria-invalid="true"/);
  t.match(up, 'Error code: <code>ERR_GK_MFA_INVALID</code>');

  const totpOnly = mfaStepPage(mfaModel({ methods: { totp: true, webauthn: false, recovery: false } }));
  t.notMatch(totpOnly, /webauthn-assert|<script|recovery_code/, 'TOTP only: no script, no other forms');
  const keyOnly = mfaStepPage(mfaModel({ methods: { totp: false, webauthn: true, recovery: true } }));
  t.notMatch(keyOnly, /name="code"/);
  t.match(keyOnly, 'id="webauthn-assert"');
  const recoveryOnly = mfaStepPage(mfaModel({ methods: { totp: false, webauthn: false, recovery: true } }));
  t.notMatch(recoveryOnly, /<details/, 'the only way left is not folded away');
  t.match(recoveryOnly, /name="recovery_code"[^>]* autofocus/);
  const none = mfaStepPage(mfaModel({ methods: { totp: false, webauthn: false, recovery: false } }));
  t.match(none, 'There is no second factor you can use here.');
  t.notMatch(mfaStepPage(mfaModel({ rd: 'javascript:alert(1)' })), /href="[^"]*javascript/i);
});

t.test('login page: the passkey form only when asked, hidden until the script shows it', async (t) => {
  const base = {
    slug: 'acme',
    tenantName: 'Acme',
    csrfToken: 'LOGIN-NONCE',
    rd: `https://dashboard.acme.test/${QUOTES}`,
    rememberMeEnabled: true,
  };
  const plain = loginPage(base);
  t.notMatch(plain, /<script|passkey/, 'no passkey: no script at all, as before');

  const page = loginPage({ ...base, passkey: true });
  nothingInline(t, page, 'login');
  escapesAll(t, page, 'login');
  formsCarryToken(t, page, 'LOGIN-NONCE', 'login');
  t.match(page, '<meta name="csrf-token" content="LOGIN-NONCE">', 'the meta tag carries the login nonce');
  const pk = formById(page, 'passkey-login');
  t.match(
    pk,
    /^<form id="passkey-login" method="post" action="\/t\/acme\/login\/passkey" data-options-url="\/t\/acme\/login\/passkey\/options" hidden>/,
  );
  t.match(pk, '<input type="hidden" name="webauthn_response" value="">');
  t.match(
    pk,
    '<input type="hidden" name="rd" value="https://dashboard.acme.test/&quot;&#39;&gt;&lt;img src=x onerror=alert(2)&gt;">',
  );
  t.match(pk, '<input type="hidden" name="remember_me" value="">', 'remember_me, set by the script from the checkbox');
  t.match(pk, 'Sign in with a passkey</button>');
  t.match(pk, '<p class="webauthn-error" role="alert"></p>');
  t.match(page, /<form method="post" action="\/t\/acme\/login">/, 'the password form is still there');
  t.match(page, /<button type="submit">Sign in<\/button>/);

  const reauth = loginPage({ ...base, passkey: true, reauthUsername: 'alice' });
  t.notMatch(formById(reauth, 'passkey-login'), /remember_me/, 're-auth: no remember me');
  const noPassword = loginPage({ ...base, passkey: true, passwordForm: false });
  t.match(noPassword, 'id="passkey-login"', 'also without a password form');
});

const sessionView = (over: Partial<SessionView> = {}): SessionView => ({
  id: 's1',
  kind: 'browser',
  clientId: null,
  device: { type: 'desktop', os: 'Linux', browser: 'Firefox 128' },
  ipAddress: '192.0.2.1',
  location: null,
  createdAt: '2026-12-01T11:00:00.000Z',
  lastActiveAt: '2026-12-01T11:30:00.000Z',
  expiresAt: '2026-12-02T11:00:00.000Z',
  rememberMe: false,
  authMethod: 'password',
  amr: ['pwd'],
  mfaVerified: false,
  ...over,
});

t.test('sessions table: the How column and the 2-step badge', async (t) => {
  const page = accountSessionsPage({
    slug: 'acme',
    nav: NAV,
    displayName: 'Alice',
    sessions: [
      sessionView(),
      sessionView({ id: 's2', authMethod: 'password', amr: ['pwd', 'otp', 'mfa'], mfaVerified: true }),
      sessionView({ id: 's3', authMethod: 'oidc:corp', amr: ['fed'] }),
    ],
    currentId: 's1',
    nowMs: NOW,
    notice: null,
    providerNames: new Map([['corp', `Corp ${SCRIPT}`]]),
  });
  escapesAll(t, page, 'sessions');
  t.match(page, '<th scope="col">How</th>');
  t.match(page, /<tr data-session-id="s1"[\s\S]*?<td data-label="How">Password<\/td>/);
  t.match(
    page,
    /<tr data-session-id="s2"[\s\S]*?<td data-label="How">Password \+ authenticator app <span class="badge mfa"[^>]*>2-step<\/span><\/td>/,
  );
  t.match(
    page,
    /<tr data-session-id="s3"[\s\S]*?<td data-label="How">Corp &lt;script&gt;alert\(1\)&lt;\/script&gt;<\/td>/,
  );
});

t.test('portal user page: the second factors card on both tabs, remove forms, notices', async (t) => {
  const model = {
    slug: 'acme',
    nav: NAV,
    user: { id: 'u/bob', username: `bob${QUOTES}`, name: `Bob ${SCRIPT}`, email: 'bob@acme.test', roles: [] },
    tab: 'sessions' as const,
    sessions: [sessionView()],
    viewerSessionId: 'sX',
    nowMs: NOW,
    notice: noticeFrom(new URLSearchParams({ done: 'factor-removed' }), USER_NOTICES),
    factors: FACTORS,
    recoveryCodesLeft: 3,
  };
  for (const tab of ['sessions', 'profile'] as const) {
    const page = userPage({ ...model, tab });
    escapesAll(t, page, `user ${tab}`);
    nothingInline(t, page, `user ${tab}`);
    formsCarryToken(t, page, TOKEN, `user ${tab}`);
    t.match(page, '<h2 id="factors-h">Second factors</h2>', `${tab}: the card`);
    t.match(page, 'action="/t/acme/portal/access-management/users/u%2Fbob/factors/fac_key%2F..%2Fx/remove"');
    t.match(page, 'action="/t/acme/portal/access-management/users/u%2Fbob/factors/fac_totp/remove"');
    t.match(page, 'Recovery codes left: <strong>3</strong>.');
    t.match(page, /<th scope="row">Passkey <span class="badge">Synced<\/span><\/th>/);
    t.match(page, /<p class="flash ok" role="status">The second factor was removed./);
  }
  const none = userPage({ ...model, factors: [], recoveryCodesLeft: 0 });
  t.match(none, 'No second factor: this user signs in with the first factor only.');
  t.notMatch(none, /\/factors\//);
  t.equal(noticeFrom(new URLSearchParams({ error: 'unknown-factor' }), USER_NOTICES)?.kind, 'error');
});

t.test('auth settings: the five mfa settings in "Second factors", round-tripped by the form', async (t) => {
  const settings = DEFAULTS.settings as TenantSettings;
  const formatted = formatSettings(settings);
  const values = Object.fromEntries(SETTINGS_FIELDS.map((f) => [f.path, valueAt(formatted, f.path)]));
  t.same(
    SETTINGS_FIELDS.filter((f) => f.group === 'mfa').map((f) => [f.path, f.kind]),
    [
      ['mfa.totp', 'checkbox'],
      ['mfa.webauthn', 'checkbox'],
      ['mfa.passkeyLogin', 'checkbox'],
      ['mfa.required', 'checkbox'],
      ['mfa.rpId', 'host'],
    ],
  );
  const page = authSettingsPage({ slug: 'acme', nav: NAV, values, errors: {}, notice: null });
  t.match(page, /<fieldset><legend>Second factors<\/legend>/);
  t.match(page, /<input id="f-mfa-totp" name="mfa.totp" type="checkbox" value="on" checked/);
  t.match(page, /<input id="f-mfa-required" name="mfa.required" type="checkbox" value="on" aria-describedby/, 'off');
  t.match(
    page,
    /<label for="f-mfa-rpId">WebAuthn relying party ID<\/label><input id="f-mfa-rpId" name="mfa.rpId" type="text"[^>]* value=""/,
  );

  // The form as posted unchanged: nothing to patch.
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== '') form.set(k, v);
  t.same(formToPatch(form, values).patch, {}, 'unchanged: an empty patch');
  // Requiring, no passkey login, an RP ID; then clearing the RP ID back to null.
  form.set('mfa.required', 'on');
  form.delete('mfa.passkeyLogin');
  form.set('mfa.rpId', 'acme.test');
  t.same(formToPatch(form, values).patch, { mfa: { passkeyLogin: false, required: true, rpId: 'acme.test' } });
  const withRp = { ...values, 'mfa.rpId': 'acme.test' };
  form.set('mfa.rpId', '');
  t.same(formToPatch(form, withRp).patch, { mfa: { passkeyLogin: false, required: true, rpId: null } }, 'empty: null');
});

// ---- the page script, against a fake DOM ----

interface FakeEl {
  hidden?: boolean;
  disabled?: boolean;
  value?: string;
  checked?: boolean;
  textContent?: string;
}

function fakePage(opts: {
  forms: Record<string, { field: string; hidden?: boolean; remember?: boolean }>;
  supported?: boolean;
  checkbox?: boolean;
  fetchAnswer?: { status: number; body: unknown };
  ceremony?: () => Promise<unknown>;
}) {
  const calls: {
    fetches: { url: string; init: Record<string, unknown> }[];
    ceremonies: unknown[];
    submitted: string[];
  } = { fetches: [], ceremonies: [], submitted: [] };
  const forms: Record<
    string,
    {
      el: FakeEl & Record<string, unknown>;
      button: FakeEl;
      field: FakeEl;
      error: FakeEl;
      remember: FakeEl;
      submit?: (e: { preventDefault(): void }) => Promise<void>;
    }
  > = {};
  for (const [id, f] of Object.entries(opts.forms)) {
    const parts = {
      button: { disabled: false },
      field: { value: '' },
      error: { textContent: '' },
      remember: { value: '' },
    };
    const entry: (typeof forms)[string] = {
      ...parts,
      el: {
        hidden: f.hidden ?? false,
        getAttribute: (name: string) => (name === 'data-options-url' ? `/t/acme/${id}/options` : null),
        querySelector: (sel: string) => {
          if (sel.startsWith('button')) return parts.button;
          if (sel === `input[name="${f.field}"]`) return parts.field;
          if (sel === '.webauthn-error') return parts.error;
          if (sel === 'input[type="hidden"][name="remember_me"]') return f.remember ? parts.remember : null;
          return null;
        },
        addEventListener: (type: string, fn: (e: { preventDefault(): void }) => Promise<void>) => {
          if (type === 'submit') entry.submit = fn;
        },
        submit: () => calls.submitted.push(id),
      },
    };
    forms[id] = entry;
  }
  const checkbox = { checked: opts.checkbox ?? false };
  const lib = {
    startRegistration: async (arg: unknown) => {
      calls.ceremonies.push(['registration', arg]);
      return opts.ceremony ? opts.ceremony() : { id: 'cred', type: 'public-key', response: { attestationObject: 'x' } };
    },
    startAuthentication: async (arg: unknown) => {
      calls.ceremonies.push(['authentication', arg]);
      return opts.ceremony ? opts.ceremony() : { id: 'cred', type: 'public-key', response: { signature: 'sig' } };
    },
  };
  const answer = opts.fetchAnswer ?? { status: 200, body: { options: { challenge: 'abc' } } };
  const context = {
    window: {
      PublicKeyCredential: opts.supported === false ? undefined : function PublicKeyCredential() {},
      SimpleWebAuthnBrowser: lib,
    },
    document: {
      getElementById: (id: string) => forms[id]?.el ?? null,
      querySelector: (sel: string) =>
        sel === 'meta[name="csrf-token"]'
          ? { getAttribute: () => 'META-TOKEN' }
          : sel === 'input[type="checkbox"][name="remember_me"]'
            ? checkbox
            : null,
    },
    fetch: async (url: string, init: Record<string, unknown>) => {
      calls.fetches.push({ url, init });
      return {
        ok: answer.status >= 200 && answer.status < 300,
        status: answer.status,
        json: async () => {
          if (answer.body === undefined) throw new SyntaxError('not JSON');
          return answer.body;
        },
      };
    },
  };
  runInNewContext(MFA_SCRIPT, context);
  return { forms, calls };
}

const submitEvent = () => {
  let prevented = false;
  return {
    preventDefault: () => {
      prevented = true;
    },
    get prevented() {
      return prevented;
    },
  };
};

t.test(
  'script: registration — options with the CSRF header, the ceremony, the hidden field, a real submit',
  async (t) => {
    const { forms, calls } = fakePage({ forms: { 'webauthn-register': { field: 'response' } } });
    const f = forms['webauthn-register']!;
    t.ok(f.submit, 'a submit listener');
    const e = submitEvent();
    await f.submit!(e);
    t.ok(e.prevented, 'the plain submit is stopped');
    t.equal(calls.fetches.length, 1);
    t.equal(calls.fetches[0]!.url, '/t/acme/webauthn-register/options', 'POST to data-options-url');
    t.same(calls.fetches[0]!.init, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': 'META-TOKEN' },
      body: '{}',
    });
    t.same(
      calls.ceremonies,
      [['registration', { optionsJSON: { challenge: 'abc' } }]],
      'startRegistration({ optionsJSON })',
    );
    t.same(JSON.parse(f.field.value!), { id: 'cred', type: 'public-key', response: { attestationObject: 'x' } });
    t.same(calls.submitted, ['webauthn-register'], 'then form.submit()');
  },
);

t.test('script: assertion and passkey sign-in; remember me copied; hidden form shown', async (t) => {
  const { forms, calls } = fakePage({
    forms: {
      'webauthn-assert': { field: 'webauthn_response' },
      'passkey-login': { field: 'webauthn_response', hidden: true, remember: true },
    },
    checkbox: true,
  });
  t.equal(forms['passkey-login']!.el.hidden, false, 'the passkey form is shown when WebAuthn works');
  await forms['webauthn-assert']!.submit!(submitEvent());
  await forms['passkey-login']!.submit!(submitEvent());
  t.same(
    calls.fetches.map((f) => f.url),
    ['/t/acme/webauthn-assert/options', '/t/acme/passkey-login/options'],
  );
  t.same(
    calls.ceremonies.map((c) => (c as unknown[])[0]),
    ['authentication', 'authentication'],
  );
  t.match(forms['passkey-login']!.field.value, /"signature":"sig"/);
  t.equal(forms['passkey-login']!.remember.value, '1', 'remember_me from the checkbox');
  t.same(calls.submitted, ['webauthn-assert', 'passkey-login']);
});

t.test('script: failures shown in .webauthn-error, the button usable again, nothing submitted', async (t) => {
  const refused = fakePage({
    forms: { 'webauthn-assert': { field: 'webauthn_response' } },
    fetchAnswer: { status: 403, body: { error: 'forbidden', error_description: `Bad token ${SCRIPT}` } },
  });
  const a = refused.forms['webauthn-assert']!;
  await a.submit!(submitEvent());
  t.equal(a.error.textContent, `Bad token ${SCRIPT}`, 'the server’s description, as text (textContent)');
  t.equal(a.button.disabled, false);
  t.same(refused.calls.ceremonies, [], 'no ceremony without options');
  t.same(refused.calls.submitted, []);

  const notJson = fakePage({
    forms: { 'webauthn-assert': { field: 'webauthn_response' } },
    fetchAnswer: { status: 502, body: undefined },
  });
  await notJson.forms['webauthn-assert']!.submit!(submitEvent());
  t.match(notJson.forms['webauthn-assert']!.error.textContent, /HTTP 502/);

  const cancelled = fakePage({
    forms: { 'webauthn-register': { field: 'response' } },
    ceremony: async () => {
      const err = new Error('The operation either timed out or was not allowed.');
      err.name = 'NotAllowedError';
      throw err;
    },
  });
  const r = cancelled.forms['webauthn-register']!;
  await r.submit!(submitEvent());
  t.match(r.error.textContent, /cancelled or timed out/);
  t.equal(r.field.value, '', 'the hidden field stays empty');
  t.same(cancelled.calls.submitted, []);

  const dup = fakePage({
    forms: { 'webauthn-register': { field: 'response' } },
    ceremony: async () => {
      const err = new Error('dup');
      err.name = 'InvalidStateError';
      throw err;
    },
  });
  await dup.forms['webauthn-register']!.submit!(submitEvent());
  t.match(dup.forms['webauthn-register']!.error.textContent, /already registered/);
});

t.test('script: without WebAuthn the buttons are disabled with a message; the passkey form stays hidden', async (t) => {
  const { forms } = fakePage({
    supported: false,
    forms: {
      'webauthn-register': { field: 'response' },
      'passkey-login': { field: 'webauthn_response', hidden: true },
    },
  });
  const r = forms['webauthn-register']!;
  t.equal(r.button.disabled, true);
  t.match(r.error.textContent, /cannot use security keys or passkeys/);
  t.equal(r.submit, undefined, 'no listener: nothing to intercept');
  t.equal(forms['passkey-login']!.el.hidden, true, 'the passkey sign-in is not offered');
});

t.test('script: plain ES2020, no template literals or eval', async (t) => {
  t.doesNotThrow(() => new Function(MFA_SCRIPT), 'parses');
  t.notMatch(MFA_SCRIPT, /`|\beval\b|innerHTML|new Function|document\.write/, 'no template literal, eval or HTML sink');
});

// ---- static handlers and CSP ----

function fakeCtx() {
  const out: { status?: number; headers?: Record<string, string | number>; body?: string } = {};
  const res = {
    writeHead: (status: number, headers: Record<string, string | number>) => {
      out.status = status;
      out.headers = headers;
    },
    end: (body?: string) => {
      out.body = body;
    },
  };
  return { ctx: { res, req: { method: 'GET', headers: {} } } as unknown as GatewayContext<unknown>, out };
}

t.test('static: the WebAuthn bundle and our script, as JavaScript, cached an hour, nosniff', async (t) => {
  t.match(webAuthnBundlePath(), /@simplewebauthn\/browser\/dist\/bundle\/index\.umd\.min\.js$/);
  for (const [handler, check] of [
    [getWebAuthnScript, (b: string) => b.includes('SimpleWebAuthnBrowser') && b.includes('startRegistration')],
    [getMfaScript, (b: string) => b === MFA_SCRIPT],
  ] as const) {
    const { ctx, out } = fakeCtx();
    await handler(ctx);
    t.equal(out.status, 200);
    t.equal(out.headers?.['content-type'], 'application/javascript; charset=utf-8');
    t.equal(out.headers?.['cache-control'], 'public, max-age=3600');
    t.equal(out.headers?.['x-content-type-options'], 'nosniff');
    t.equal(out.headers?.['content-length'], Buffer.byteLength(out.body ?? ''));
    t.ok(check(out.body ?? ''), `${handler.name}: the right body`);
  }
});

t.test('page CSP: scripts and fetches from the gateway only, nothing inline', async (t) => {
  let headers: Record<string, string> = {};
  const res = {
    writeHead: (_s: number, h: Record<string, string>) => {
      headers = h;
    },
    end: () => undefined,
  } as unknown as ServerResponse;
  (res as unknown as { hasHeader: () => boolean }).hasHeader = () => false;
  sendHtml(res, 200, '<p>x</p>');
  t.equal(
    headers['content-security-policy'],
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  );
});
