// Authenticates by the tenant's session cookie: `<sessionId>.<secret>`, the secret's
// SHA-256 compared in constant time with the stored hash. A wrong secret for a real id
// is the same as no session.
import { userOfSession } from '../directory/users.js';
import { parse as parseCookies } from 'cookie';
import type { Deps } from '../deps.js';
import type { TenantRuntime } from '../registry.js';
import { parseCookieValue } from '../session/cookie.js';
import { hashSecret } from '../session/ids.js';
import type { SessionRecord, SessionStore } from '../store/types.js';
import type { Scope } from '../pipeline/scope.js';
import { constantTimeEqual } from '../util/constant-time.js';
import { NOT_RESPONSIBLE, type AuthnResult, type Authenticator } from './types.js';

export function readSessionCookie(cookieHeader: string | undefined, name: string): string | undefined {
  if (!cookieHeader) return undefined;
  return parseCookies(cookieHeader)[name];
}

/** The LRU of revoked ids, the short-lived read cache and the store behind it. */
export type CookieSessionDeps = Pick<Deps, 'revocations' | 'readCache'> & {
  store: Pick<SessionStore, 'getSession' | 'canServeCached'>;
};

/** Looks up the session a cookie value names and checks its secret; null when it is not valid. */
export async function sessionFromCookie(
  raw: string,
  tenant: TenantRuntime,
  deps: CookieSessionDeps,
): Promise<SessionRecord | null> {
  const value = parseCookieValue(raw);
  if (!value) return null;
  if (deps.revocations.has(value.sessionId)) return null;
  const session = await deps.readCache.session(deps.store, tenant.slug, value.sessionId);
  if (!session || session.tenant !== tenant.slug) return null;
  if (deps.readCache.secretVerified(session, value.secret)) return session;
  const presented = Buffer.from(hashSecret(value.secret), 'hex');
  if (!constantTimeEqual(presented, Buffer.from(session.secretHash, 'hex'))) return null;
  deps.readCache.noteVerifiedSecret(session, value.secret);
  return session;
}

export const cookieSession: Authenticator<CookieSessionDeps> = {
  name: 'cookie-session',
  async authenticate(scope: Scope, deps: CookieSessionDeps): Promise<AuthnResult> {
    const tenant = scope.tenant;
    if (!tenant) throw new TypeError('cookie-session: tenant not resolved');
    const header = scope.input.headers.cookie;
    const raw = readSessionCookie(typeof header === 'string' ? header : undefined, tenant.cookie.name);
    if (raw === undefined) return NOT_RESPONSIBLE;
    const session = await sessionFromCookie(raw, tenant, deps);
    if (!session) return { ok: false, reason: 'invalid_session_cookie' };
    const user = userOfSession(tenant, session);
    if (!user) return { ok: false, reason: 'user_no_longer_exists' };
    return { ok: true, credential: 'cookie', session, user };
  },
};
