// Identity headers for the upstream (SPEC §7): the one place that spells them and encodes
// their values. Used for the proxied request and for forward-auth answers.
import type { Identity } from '../authn/identity.js';

/**
 * Values must be single-line ASCII. Anything else (CR/LF, non-ASCII, or a `%` that would
 * make decoding ambiguous) is sent percent-encoded (UTF-8), so an app may always apply
 * decodeURIComponent.
 */
export function headerValue(v: string): string {
  return /^[\x20-\x24\x26-\x7e]*$/.test(v) ? v : encodeURIComponent(v);
}

/** The identity headers as a flat [name, value, …] list. */
export function identityHeaderList(id: Identity): string[] {
  const out = [
    'x-auth-user',
    headerValue(id.userId),
    'x-auth-email',
    headerValue(id.email),
    'x-auth-name',
    headerValue(id.name),
    'x-auth-roles',
    id.roles.map(headerValue).join(','),
    'x-auth-tenant',
    id.tenant,
  ];
  // A client_credentials token has neither a session nor an authentication time.
  if (id.sessionId !== null) out.push('x-auth-session', id.sessionId);
  if (id.authTime !== null) out.push('x-auth-time', String(Math.floor(id.authTime / 1000)));
  if (id.jwt !== undefined) out.push('x-auth-jwt', id.jwt);
  return out;
}

/** Sets the identity headers on a header object (a forward-auth answer's). */
export function setIdentityHeaders(h: Record<string, string | string[] | number | undefined>, id: Identity): void {
  const list = identityHeaderList(id);
  for (let i = 0; i < list.length; i += 2) h[list[i]!] = list[i + 1]!;
}
