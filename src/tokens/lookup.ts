// What a presented token is (RFC 7009 / RFC 7662 need to find it whatever the hint says):
// a live refresh token of a token session, a valid access token of this tenant, or nothing.
import type { Deps } from '../deps.js';
import type { TenantRuntime } from '../registry.js';
import { hashSecret } from '../session/ids.js';
import { isAlive } from '../session/model.js';
import type { SessionRecord, SessionStore } from '../store/types.js';
import { verifyAccessToken, type AccessTokenClaims } from './access-token.js';
import { parseRefreshToken } from './refresh-token.js';

/** The clock, the signing keys, the revocation LRU and the store's session, chain and deny-list reads. */
export type LookupDeps = Pick<Deps, 'clock' | 'keys' | 'revocations'> & {
  store: Pick<SessionStore, 'getSession' | 'getRefreshChain' | 'isTokenDenied'>;
};

export type FoundToken =
  | { kind: 'refresh_token'; clientId: string; session: SessionRecord; expiresAt: number }
  | { kind: 'access_token'; claims: AccessTokenClaims }
  | null;

export async function findToken(deps: LookupDeps, tenant: TenantRuntime, token: string): Promise<FoundToken> {
  const now = deps.clock.now();
  const refresh = parseRefreshToken(token);
  if (refresh) {
    const session = await deps.store.getSession(tenant.slug, refresh.sessionId);
    if (!session || session.kind !== 'token' || !isAlive(session, now)) return null;
    const chain = await deps.store.getRefreshChain(tenant.slug, session.id);
    if (!chain || chain.currentHash !== hashSecret(refresh.secret) || chain.expiresAt <= now) return null;
    return { kind: 'refresh_token', clientId: chain.clientId, session, expiresAt: chain.expiresAt };
  }
  const v = await verifyAccessToken(deps.keys, token, {
    issuer: tenant.issuer,
    audience: null,
    tenant: tenant.slug,
    now,
  });
  return v.ok ? { kind: 'access_token', claims: v.claims } : null;
}

/** An access token is active while its jti is not denied and its session (if any) lives. */
export async function accessTokenActive(
  deps: LookupDeps,
  tenant: TenantRuntime,
  claims: AccessTokenClaims,
): Promise<boolean> {
  if (deps.revocations.has(claims.jti) || (claims.sid && deps.revocations.has(claims.sid))) return false;
  if (await deps.store.isTokenDenied(tenant.slug, claims.jti)) return false;
  if (claims.sid === undefined) return true;
  const s = await deps.store.getSession(tenant.slug, claims.sid);
  return s !== null && isAlive(s, deps.clock.now());
}
