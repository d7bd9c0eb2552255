// Identity headers for the upstream (SPEC §7), and the removal of every client-sent
// header that could impersonate them.
import type { IncomingHttpHeaders } from 'node:http';
import type { Identity } from '../pipeline/scope.js';

/**
 * Values must be single-line ASCII. Anything else (CR/LF, non-ASCII, or a `%` that would
 * make decoding ambiguous) is sent percent-encoded (UTF-8), so an app may always apply
 * decodeURIComponent.
 */
export function headerValue(v: string): string {
  return /^[\x20-\x24\x26-\x7e]*$/.test(v) ? v : encodeURIComponent(v);
}

/** Sets the identity headers on `h` (the upstream request's headers, already stripped, or a response's). */
export function setIdentityHeaders(h: Record<string, string | string[] | number | undefined>, id: Identity): void {
  h['x-auth-user'] = headerValue(id.userId);
  h['x-auth-email'] = headerValue(id.email);
  h['x-auth-name'] = headerValue(id.name);
  h['x-auth-roles'] = id.roles.length === 0 ? '' : id.roles.map(headerValue).join(',');
  h['x-auth-tenant'] = id.tenant;
  // A client_credentials token has neither a session nor an authentication time.
  if (id.sessionId !== null) h['x-auth-session'] = id.sessionId;
  if (id.authTime !== null) h['x-auth-time'] = String(Math.floor(id.authTime / 1000));
  if (id.jwt !== undefined) h['x-auth-jwt'] = id.jwt;
}

/** `X-Auth-User`, `x_auth_user`, `X_AUTH-user`… all name the same header to an app. */
export function isSpoofableName(name: string): boolean {
  return name.toLowerCase().replace(/_/g, '-').startsWith('x-auth-');
}

/**
 * Removes, in place, every header that is hop-by-hop per the client's `Connection`
 * header (RFC 9110 §7.6.1) and every `X-Auth-*` spelling. The Connection header is
 * consumed here so a client can never make the upstream drop a header we set.
 */
export function stripClientHeaders(headers: IncomingHttpHeaders, keepUpgrade: boolean): void {
  const connection = headers.connection;
  if (typeof connection === 'string') {
    for (const token of connection.split(',')) {
      const name = token.trim().toLowerCase();
      if (name && name !== 'upgrade' && name !== 'keep-alive' && name !== 'close') delete headers[name];
    }
  }
  delete headers.connection;
  delete headers['keep-alive'];
  delete headers['proxy-connection'];
  if (keepUpgrade) headers.connection = 'upgrade';
  for (const name of Object.keys(headers)) {
    // Node lower-cases header names: only names starting with "x" can be a spelling of X-Auth-*.
    if (name.charCodeAt(0) === 0x78 && isSpoofableName(name)) delete headers[name];
  }
}

/** The Cookie header without the gateway's own cookies (the upstream never sees them). */
export function withoutCookies(cookieHeader: string | undefined, names: ReadonlySet<string>): string | undefined {
  if (!cookieHeader) return undefined;
  const kept = cookieHeader
    .split(';')
    .map((c) => c.trim())
    .filter((c) => {
      const eq = c.indexOf('=');
      return c.length > 0 && !names.has((eq < 0 ? c : c.slice(0, eq)).trim());
    });
  return kept.length > 0 ? kept.join('; ') : undefined;
}
