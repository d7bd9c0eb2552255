// The mark that lets /oauth/authorize know a forced login (prompt=login or max_age) has
// happened since it asked for one: a short-lived JWS signed with the gateway's key, bound
// to the browser session and the moment it was issued. A client cannot forge one, and one
// only counts when the session authenticated after it was made.
import { jwtVerify, SignJWT } from 'jose';
import type { KeySet } from './keys.js';

const TYP = 'gk-reauth+jwt';
const LIFETIME_S = 600;

export async function makeReauthMark(keys: KeySet, sessionId: string, nowMs: number): Promise<string> {
  return new SignJWT({ at: nowMs })
    .setProtectedHeader({ alg: keys.alg, kid: keys.signing.kid, typ: TYP })
    .setSubject(sessionId)
    .setIssuedAt(Math.floor(nowMs / 1000))
    .setExpirationTime(Math.floor(nowMs / 1000) + LIFETIME_S)
    .sign(keys.signing.key);
}

/** True when the mark is ours, unexpired, for this session, and the login came after it. */
export async function reauthSatisfied(
  keys: KeySet,
  mark: string | null,
  sessionId: string,
  authTime: number,
  nowMs: number,
): Promise<boolean> {
  if (!mark || mark.length > 2048) return false;
  try {
    const { payload } = await jwtVerify(
      mark,
      async (header) => {
        const key = header.kid ? keys.verification.get(header.kid) : undefined;
        if (!key) throw new Error('unknown kid');
        return key;
      },
      { algorithms: [keys.alg], typ: TYP, subject: sessionId, currentDate: new Date(nowMs) },
    );
    return typeof payload.at === 'number' && authTime >= payload.at;
  } catch {
    return false;
  }
}
