// Scope handling: space-separated sets (RFC 6749 §3.3), limited to what a client may ask.
export function parseScope(raw: string | null | undefined): string[] {
  if (!raw) return [];
  return [...new Set(raw.split(' ').filter((s) => s.length > 0))];
}

/**
 * The granted scope: a client gets only scopes listed for it (`clients[].scopes`) — what it
 * asked for within that list, or the whole list when it asked for nothing. A client
 * without a list gets no scope. null = it asked for something it may not have.
 */
export function grantScope(requested: readonly string[], allowed: readonly string[]): string[] | null {
  if (requested.length === 0) return [...allowed];
  return requested.every((s) => allowed.includes(s)) ? [...requested] : null;
}

export const SESSION_CLIENT_ID = 'gatekeeper-session';
