// CSRF tokens without server-side state. For a session: an HMAC of the session id keyed
// by the session's own cookie secret, so only a holder of the cookie can know it. Before
// login: a double-submit nonce in its own cookie, echoed in the form.
import { createHmac, randomBytes } from 'node:crypto';
import { parseCookieValue } from './cookie.js';

export function sessionCsrfToken(sessionId: string, secret: string): string {
  return createHmac('sha256', secret).update(`csrf:${sessionId}`).digest('base64url');
}

/**
 * The CSRF token of a session from the raw value of the cookie that authenticated it, or
 * null when that value does not name this session.
 */
export function csrfTokenFromCookie(rawCookie: string | undefined, sessionId: string): string | null {
  const value = rawCookie === undefined ? null : parseCookieValue(rawCookie);
  return value && value.sessionId === sessionId ? sessionCsrfToken(sessionId, value.secret) : null;
}

export function newLoginNonce(): string {
  return randomBytes(24).toString('base64url');
}
