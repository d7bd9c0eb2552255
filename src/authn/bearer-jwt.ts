// Authenticates by `Authorization: Bearer <access token>`: a verified (or recently
// verified, cached) JWT for this tenant and app audience, whose jti is not revoked and
// whose session is still alive. Tokens in query strings are never read.
import { userOfSession } from '../directory/users.js';
import type { Deps } from '../deps.js';
import type { Scope } from '../pipeline/scope.js';
import type { TenantRuntime } from '../registry.js';
import { verifyAccessToken, type AccessTokenClaims } from '../tokens/access-token.js';
import type { SessionRecord, SessionStore } from '../store/types.js';
import { NOT_RESPONSIBLE, type AuthnResult, type Authenticator } from './types.js';

export function bearerToken(authorization: string | string[] | undefined): string | null {
  if (typeof authorization !== 'string') return null;
  const m = /^Bearer +([^ ]+) *$/i.exec(authorization);
  return m ? m[1]! : authorization.slice(0, 7).toLowerCase() === 'bearer ' ? '' : null;
}

export type BearerCheck =
  { ok: true; claims: AccessTokenClaims; session: SessionRecord | null } | { ok: false; reason: string };

/** The signing keys, the verified-token cache, the deny lists (LRU, read cache, store) and the clock. */
export type BearerJwtDeps = Pick<Deps, 'clock' | 'keys' | 'tokenCache' | 'revocations' | 'readCache'> & {
  store: Pick<SessionStore, 'getSession' | 'isTokenDenied' | 'canServeCached'>;
};

/** The whole bearer check: signature and claims (cached), deny lists, the session it names. */
export async function checkBearer(
  token: string,
  tenant: TenantRuntime,
  audience: string,
  deps: BearerJwtDeps,
): Promise<BearerCheck> {
  const now = deps.clock.now();
  let claims = deps.tokenCache.get(token, tenant.issuer, audience, now);
  if (!claims) {
    const v = await verifyAccessToken(deps.keys, token, { issuer: tenant.issuer, audience, tenant: tenant.slug, now });
    if (!v.ok) return v;
    claims = v.claims;
    deps.tokenCache.set(token, tenant.issuer, audience, claims, now);
  }
  if (deps.revocations.has(claims.jti) || (claims.sid !== undefined && deps.revocations.has(claims.sid)))
    return { ok: false, reason: 'token_revoked' };
  const [denied, session] = await Promise.all([
    deps.readCache.tokenDenied(deps.store, tenant.slug, claims.jti),
    claims.sid !== undefined ? deps.readCache.session(deps.store, tenant.slug, claims.sid) : Promise.resolve(null),
  ]);
  if (denied) return { ok: false, reason: 'token_revoked' };
  if (claims.sid !== undefined && (!session || session.userId !== claims.sub))
    return { ok: false, reason: 'session_gone' };
  return { ok: true, claims, session };
}

export const bearerJwt: Authenticator<BearerJwtDeps> = {
  name: 'bearer-jwt',
  async authenticate(scope: Scope, deps: BearerJwtDeps): Promise<AuthnResult> {
    const { tenant, app } = scope;
    if (!tenant) throw new TypeError('bearer-jwt: tenant must be resolved');
    const token = bearerToken(scope.input.headers.authorization);
    if (token === null) return NOT_RESPONSIBLE;
    if (token === '') return { ok: false, reason: 'malformed_bearer' };
    // An app expects its own audience (SPEC §2); the gateway's own endpoints have no app and
    // take tokens issued for the tenant itself (aud = issuer).
    const checked = await checkBearer(
      token,
      tenant,
      app ? (app.config.audience ?? tenant.issuer) : tenant.issuer,
      deps,
    );
    if (!checked.ok) return checked;
    scope.token = checked.claims;
    if (checked.session === null) {
      // client_credentials: the client itself, no user and no session.
      return { ok: true, credential: 'bearer', session: null, user: null };
    }
    const user = userOfSession(tenant, checked.session);
    if (!user) return { ok: false, reason: 'user_no_longer_exists' };
    return { ok: true, credential: 'bearer', session: checked.session, user };
  },
};
