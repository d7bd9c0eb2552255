// Scope handling: space-separated sets (RFC 6749 §3.3), limited to what a client may ask.
export function parseScope(raw: string | null | undefined): string[] {
  if (!raw) return [];
  return [...new Set(raw.split(' ').filter((s) => s.length > 0))];
}

/**
 * The granted scope: with an allow-list, what was asked for within it (everything allowed
 * when nothing was asked); without one, what was asked for. null = asked for too much.
 */
export function grantScope(requested: readonly string[], allowed: readonly string[]): string[] | null {
  if (allowed.length === 0) return [...requested];
  if (requested.length === 0) return [...allowed];
  return requested.every((s) => allowed.includes(s)) ? [...requested] : null;
}

export const SESSION_CLIENT_ID = 'gatekeeper-session';
