// Refresh tokens: opaque `<sessionId>.<secret>` (only the SHA-256 is stored), and the
// sealed box that lets a just-rotated token fetch the SAME successor within refreshGrace:
// the successor secret is encrypted under a key derived from the old token's secret, so
// nothing in the store alone can open it (SPEC §4).
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { parseCookieValue } from '../session/cookie.js';

export interface RefreshTokenParts {
  sessionId: string;
  secret: string;
}

/** Same shape as a session cookie value; null for anything else. */
export function parseRefreshToken(token: string): RefreshTokenParts | null {
  return token.length > 200 ? null : parseCookieValue(token);
}

export function formatRefreshToken(sessionId: string, secret: string): string {
  return `${sessionId}.${secret}`;
}

function boxKey(oldSecret: string, sessionId: string): Buffer {
  return Buffer.from(hkdfSync('sha256', oldSecret, sessionId, 'gatekeeper refresh successor v1', 32));
}

export function sealSuccessor(oldSecret: string, sessionId: string, successorSecret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', boxKey(oldSecret, sessionId), iv);
  const body = Buffer.concat([cipher.update(successorSecret, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

/** null when the box was not sealed with this secret (or was tampered with). */
export function openSuccessor(oldSecret: string, sessionId: string, box: string): string | null {
  try {
    const raw = Buffer.from(box, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', boxKey(oldSecret, sessionId), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
