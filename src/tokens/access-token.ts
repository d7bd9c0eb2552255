// Access tokens: RFC 9068 JWTs (`typ: at+jwt`) signed with the configured key, and their
// verification — algorithm allow-list, known kid, exact issuer and audience, expiry with
// a small leeway, required claims. No key is ever taken from the token itself.
import { randomBytes } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { KeySet } from './keys.js';

export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  client_id: string;
  exp: number;
  iat: number;
  jti: string;
  scope: string;
  sid?: string;
  auth_time?: number;
  /** `mfa` when a second factor was used in the session, else `1` (one factor); absent without a user. */
  acr?: string;
  /** RFC 8176 authentication method references of the session. */
  amr?: string[];
  tid: string;
  roles: string[];
}

export interface IssueInput {
  issuer: string;
  subject: string;
  audience: string | readonly string[];
  clientId: string;
  scope: string;
  sessionId: string | null;
  /** epoch ms */
  authTime: number | null;
  /** How the session's user authenticated (null: no user session, e.g. client_credentials). */
  auth?: { amr: readonly string[]; mfa: boolean } | null;
  tenant: string;
  roles: readonly string[];
  lifetimeSeconds: number;
  /** epoch ms */
  now: number;
}

export const MAX_TOKEN_LENGTH = 8192;
const LEEWAY_SECONDS = 5;
// Header parameters that would let a token choose its own key: never honoured, refused.
const FORBIDDEN_HEADERS = ['jku', 'jwk', 'x5u', 'x5c', 'x5t', 'x5t#S256', 'crit'];

export async function issueAccessToken(
  keys: KeySet,
  i: IssueInput,
): Promise<{ token: string; claims: AccessTokenClaims }> {
  const iat = Math.floor(i.now / 1000);
  const claims: AccessTokenClaims = {
    iss: i.issuer,
    sub: i.subject,
    aud: typeof i.audience === 'string' ? i.audience : i.audience.length === 1 ? i.audience[0]! : [...i.audience],
    client_id: i.clientId,
    exp: iat + i.lifetimeSeconds,
    iat,
    jti: randomBytes(16).toString('base64url'),
    scope: i.scope,
    ...(i.sessionId !== null ? { sid: i.sessionId } : {}),
    ...(i.authTime !== null ? { auth_time: Math.floor(i.authTime / 1000) } : {}),
    ...(i.auth ? { acr: i.auth.mfa ? 'mfa' : '1', amr: [...i.auth.amr] } : {}),
    tid: i.tenant,
    roles: [...i.roles],
  };
  const token = await new SignJWT(claims as unknown as JWTPayload)
    .setProtectedHeader({ alg: keys.alg, kid: keys.signing.kid, typ: 'at+jwt' })
    .sign(keys.signing.key);
  return { token, claims };
}

export type VerifyResult = { ok: true; claims: AccessTokenClaims } | { ok: false; reason: string };

/** Checks everything that does not need the store (revocation and `sid` come after). */
export async function verifyAccessToken(
  keys: KeySet,
  token: string,
  /** audience null: any audience (introspection and revocation read tokens for any app). */
  expect: { issuer: string; audience: string | null; tenant: string; now: number },
): Promise<VerifyResult> {
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'token_too_long' };
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) return { ok: false, reason: 'malformed_token' };
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return { ok: false, reason: 'malformed_header' };
  }
  if (header.alg !== keys.alg) return { ok: false, reason: 'alg_not_allowed' };
  if (FORBIDDEN_HEADERS.some((h) => h in header)) return { ok: false, reason: 'forbidden_header' };
  const key = typeof header.kid === 'string' ? keys.verification.get(header.kid) : undefined;
  if (!key) return { ok: false, reason: 'unknown_kid' };
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: [keys.alg],
      typ: 'at+jwt',
      issuer: expect.issuer,
      ...(expect.audience !== null ? { audience: expect.audience } : {}),
      clockTolerance: LEEWAY_SECONDS,
      currentDate: new Date(expect.now),
      requiredClaims: ['sub', 'exp', 'iat', 'jti', 'client_id', 'tid'],
    });
    if (payload.tid !== expect.tenant) return { ok: false, reason: 'wrong_tenant' };
    // jose checks iat only with maxTokenAge; a token "issued" in the future is not ours.
    if (typeof payload.iat !== 'number' || payload.iat > expect.now / 1000 + LEEWAY_SECONDS)
      return { ok: false, reason: 'iat_in_future' };
    if (typeof payload.jti !== 'string' || typeof payload.sub !== 'string' || typeof payload.client_id !== 'string')
      return { ok: false, reason: 'bad_claims' };
    if (payload.sid !== undefined && typeof payload.sid !== 'string') return { ok: false, reason: 'bad_claims' };
    return { ok: true, claims: payload as unknown as AccessTokenClaims };
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'ERR_JWT_INVALID';
    return { ok: false, reason: code.replace(/^ERR_/, '').toLowerCase() };
  }
}
