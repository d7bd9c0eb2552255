// How a session signed in, in words for the sessions tables: the first factor (its
// authMethod: password, passkey, or an identity provider by its display name) and the
// second factors its RFC 8176 `amr` values record ("Password + authenticator app").

/** The second-factor `amr` values, in the order they are named, and their words. */
const SECOND_FACTORS: readonly (readonly [amr: readonly string[], words: string])[] = [
  [['otp'], 'authenticator app'],
  [['hwk', 'swk'], 'security key'],
];

function firstFactor(authMethod: string, providerNames: ReadonlyMap<string, string>): string {
  if (authMethod === 'password') return 'Password';
  if (authMethod === 'passkey') return 'Passkey';
  if (authMethod.startsWith('oidc:')) {
    const id = authMethod.slice('oidc:'.length);
    // A provider since removed from the config still shows which one it was.
    return providerNames.get(id) ?? id;
  }
  return authMethod || 'Unknown';
}

/**
 * "Password", "Password + authenticator app", "Password + security key", "Passkey",
 * "Corp SSO", "Corp SSO + authenticator app"… A passkey sign-in's own hwk/swk is its first
 * factor, not a second one. The result is plain text (the caller escapes it).
 */
export function authMethodLabel(
  s: { authMethod: string; amr: readonly string[] },
  providerNames: ReadonlyMap<string, string>,
): string {
  const parts = [firstFactor(s.authMethod, providerNames)];
  for (const [values, words] of SECOND_FACTORS) {
    if (s.authMethod === 'passkey' && values.includes('hwk')) continue;
    if (values.some((v) => s.amr.includes(v))) parts.push(words);
  }
  return parts.join(' + ');
}

/** Identity provider id → display name, for authMethodLabel. */
export function providerNamesOf(
  providers: readonly { id: string; displayName: string }[],
): ReadonlyMap<string, string> {
  return new Map(providers.map((p) => [p.id, p.displayName]));
}
