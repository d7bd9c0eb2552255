// OpenID Connect Back-Channel Logout 1.0 §2.6: what makes a logout token acceptable. The
// signature against the provider's JWKS (asymmetric algorithms only), `iss`, `aud` =
// our client id, `iat` recent, `jti` present, `events` holding the back-channel-logout
// member, `sid` and/or `sub`, and no `nonce` (so an ID token can never pass as one).
import { jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

export const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** Signature algorithms accepted: asymmetric only (no `none`, no HS* with a public key). */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
/** How old a logout token may be, and how far in the future its iat may lie (clock skew). */
const MAX_AGE_S = 600;
const SKEW_S = 60;

export interface LogoutClaims {
  jti: string;
  sub: string | null;
  sid: string | null;
  /** epoch seconds until which the jti must be remembered. */
  rememberUntil: number;
}

export class LogoutTokenError extends Error {
  constructor(readonly reason: string) {
    super(`logout token refused: ${reason}`);
    this.name = 'LogoutTokenError';
  }
}

export async function verifyLogoutToken(
  token: string,
  keys: JWTVerifyGetKey,
  expect: { issuer: string; clientId: string; now: number },
): Promise<LogoutClaims> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keys, {
      issuer: expect.issuer,
      audience: expect.clientId,
      algorithms: ALGORITHMS,
      currentDate: new Date(expect.now),
      clockTolerance: SKEW_S,
      maxTokenAge: MAX_AGE_S,
      requiredClaims: ['iat', 'jti'],
    }));
  } catch (err) {
    throw new LogoutTokenError(`invalid: ${(err as { code?: string }).code ?? (err as Error).message}`);
  }
  if (payload.iat! > expect.now / 1000 + SKEW_S) throw new LogoutTokenError('iat in the future');
  if ('nonce' in payload) throw new LogoutTokenError('nonce present');
  const events = payload.events;
  const event =
    typeof events === 'object' && events !== null && !Array.isArray(events)
      ? (events as Record<string, unknown>)[LOGOUT_EVENT]
      : undefined;
  // §2.4: the member's value is a JSON object (typically empty); null is not one.
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new LogoutTokenError('no back-channel logout event');
  }
  const sid = typeof payload.sid === 'string' && payload.sid !== '' ? payload.sid : null;
  const sub = typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : null;
  if (sid === null && sub === null) throw new LogoutTokenError('neither sid nor sub');
  if (typeof payload.jti !== 'string' || payload.jti === '' || payload.jti.length > 256)
    throw new LogoutTokenError('bad jti');
  // Remembered exactly as long as jwtVerify above would still accept it (exp and maxTokenAge,
  // each with the clock skew allowance): a replay inside that window must find the mark.
  const rememberUntil =
    Math.min(typeof payload.exp === 'number' ? payload.exp : Infinity, payload.iat! + MAX_AGE_S) + SKEW_S;
  return { jti: payload.jti, sub, sid, rememberUntil };
}
