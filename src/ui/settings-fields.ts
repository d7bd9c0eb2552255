// The auth-settings form, described once: each field's path in the settings shape (also its
// form name, and the `path` validateSettingsPatch reports errors under), its label, kind
// and group. The page renders from it; the handler turns posted fields into a PATCH with it.

export type FieldKind = 'duration' | 'int' | 'select' | 'checkbox' | 'host';

export interface SettingsField {
  path: string;
  label: string;
  kind: FieldKind;
  hint: string;
  options?: readonly { value: string; label: string }[];
  group: 'sessions' | 'remember' | 'tokens' | 'security' | 'throttle' | 'mfa';
}

export const SETTINGS_GROUPS: readonly { key: SettingsField['group']; legend: string }[] = [
  { key: 'sessions', legend: 'Login sessions' },
  { key: 'remember', legend: 'Remember me' },
  { key: 'tokens', legend: 'Tokens' },
  { key: 'security', legend: 'Session security' },
  { key: 'throttle', legend: 'Login throttling' },
  { key: 'mfa', legend: 'Second factors' },
];

const DURATION_HINT = 'e.g. 90s, 30m, 24h, 30d';

export const SETTINGS_FIELDS: readonly SettingsField[] = [
  {
    path: 'sessionLifetime',
    label: 'Session lifetime',
    kind: 'duration',
    group: 'sessions',
    hint: `How long a login session lasts at most (${DURATION_HINT}).`,
  },
  {
    path: 'idleTimeout',
    label: 'Idle timeout',
    kind: 'duration',
    group: 'sessions',
    hint: 'A session ends after this long without activity.',
  },
  {
    path: 'maxConcurrentSessions',
    label: 'Concurrent sessions per user',
    kind: 'int',
    group: 'sessions',
    hint: '0 means unlimited.',
  },
  {
    path: 'concurrentSessionPolicy',
    label: 'When the limit is reached',
    kind: 'select',
    group: 'sessions',
    hint: 'What a new login does when the user already has the maximum.',
    options: [
      { value: 'evict-oldest', label: 'Sign out the least recently active session' },
      { value: 'reject', label: 'Refuse the new login' },
    ],
  },
  {
    path: 'rememberMe.enabled',
    label: 'Offer “Remember me” on the login page',
    kind: 'checkbox',
    group: 'remember',
    hint: 'A remembered session survives closing the browser and has no idle timeout.',
  },
  {
    path: 'rememberMe.duration',
    label: 'Remember me duration',
    kind: 'duration',
    group: 'remember',
    hint: `Lifetime of a remembered session (${DURATION_HINT}).`,
  },
  {
    path: 'accessTokenLifetime',
    label: 'Access token lifetime',
    kind: 'duration',
    group: 'tokens',
    hint: 'Validity of the JWT access tokens.',
  },
  {
    path: 'refreshTokenLifetime',
    label: 'Refresh token lifetime',
    kind: 'duration',
    group: 'tokens',
    hint: 'Validity of refresh tokens, and of app sessions.',
  },
  {
    path: 'refreshGrace',
    label: 'Refresh grace period',
    kind: 'duration',
    group: 'tokens',
    hint: 'A just-rotated refresh token may be presented again for this long.',
  },
  {
    path: 'ipBinding',
    label: 'IP binding',
    kind: 'select',
    group: 'security',
    hint: 'Bind a session to the address it was created from.',
    options: [
      { value: 'off', label: 'Off' },
      { value: 'exact', label: 'Exact address' },
      { value: 'subnet', label: 'Same subnet (IPv4 /24, IPv6 /64)' },
    ],
  },
  {
    path: 'ipBindingAction',
    label: 'On an IP mismatch',
    kind: 'select',
    group: 'security',
    hint: 'What happens to a request from another address.',
    options: [
      { value: 'reject', label: 'Reject the request' },
      { value: 'revoke', label: 'Reject and revoke the session' },
    ],
  },
  {
    path: 'cookie.sameSite',
    label: 'Cookie SameSite',
    kind: 'select',
    group: 'security',
    hint: 'Strict also withholds the cookie on links from other sites.',
    options: [
      { value: 'lax', label: 'Lax' },
      { value: 'strict', label: 'Strict' },
    ],
  },
  {
    path: 'cookie.domain',
    label: 'Cookie domain',
    kind: 'host',
    group: 'security',
    hint: 'Leave empty for a host-only cookie; a domain shares it across subdomains.',
  },
  {
    path: 'loginThrottle.maxFailures',
    label: 'Failures before lockout',
    kind: 'int',
    group: 'throttle',
    hint: 'Per username and per client IP.',
  },
  {
    path: 'loginThrottle.window',
    label: 'Counting window',
    kind: 'duration',
    group: 'throttle',
    hint: 'Failures older than this are forgotten.',
  },
  {
    path: 'loginThrottle.lockout',
    label: 'Lockout',
    kind: 'duration',
    group: 'throttle',
    hint: 'How long sign-in stays blocked.',
  },
  {
    path: 'mfa.totp',
    label: 'Offer authenticator apps (TOTP)',
    kind: 'checkbox',
    group: 'mfa',
    hint: 'Users may add an app that shows a 6-digit code. Apps already added keep working.',
  },
  {
    path: 'mfa.webauthn',
    label: 'Offer security keys and passkeys',
    kind: 'checkbox',
    group: 'mfa',
    hint: 'Users may add WebAuthn credentials (hardware keys, passkeys). Ones already added keep working.',
  },
  {
    path: 'mfa.passkeyLogin',
    label: 'Offer “Sign in with a passkey” on the login page',
    kind: 'checkbox',
    group: 'mfa',
    hint: 'A passkey signs in without a password.',
  },
  {
    path: 'mfa.required',
    label: 'Require a second factor',
    kind: 'checkbox',
    group: 'mfa',
    hint: 'Users without one must add one after signing in; every sign-in then asks for it.',
  },
  {
    path: 'mfa.rpId',
    label: 'WebAuthn relying party ID',
    kind: 'host',
    group: 'mfa',
    hint: 'Leave empty for the public URL’s host. Changing it makes the security keys and passkeys added so far unusable.',
  },
];

/** A field's form id (`rememberMe.duration` → `f-rememberMe-duration`). */
export const fieldId = (path: string): string => `f-${path.replace(/\./g, '-')}`;

/** The value at a dotted path of a plain object, as the form shows it ('' for null; 'on'/'' for booleans). */
export function valueAt(obj: unknown, path: string): string {
  let v: unknown = obj;
  for (const k of path.split('.'))
    v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  if (v === null || v === undefined || v === false) return '';
  if (v === true) return 'on';
  return String(v);
}
