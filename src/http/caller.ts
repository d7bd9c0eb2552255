// Who is calling a gateway API: a bearer access token (user or client) or a login-session
// cookie. Cookie callers must pass the CSRF checks on state-changing methods (SPEC §5).
import type { UserRecord } from '../config/types.js';
import { bearerToken, checkBearer } from '../authn/bearer-jwt.js';
import { GatewayError } from '../errors.js';
import { safeEqual } from '../session/csrf.js';
import type { SessionRecord } from '../store/types.js';
import type { AccessTokenClaims } from '../tokens/access-token.js';
import type { GatewayContext } from './context.js';
import { currentSession } from './current-session.js';
import { isSameSiteRequest } from './origin-guard.js';
import { ipBindingHolds } from '../session/ip-binding.js';
import { isAlive } from '../session/model.js';

export interface Caller {
  via: 'bearer' | 'cookie';
  user: UserRecord | null;
  session: SessionRecord | null;
  token: AccessTokenClaims | null;
}

const SAFE = new Set(['GET', 'HEAD']);

/** The caller, or null when no credential was presented at all. Bad credentials throw 401/403. */
export async function identifyCaller(ctx: GatewayContext, formToken?: string): Promise<Caller | null> {
  const { req, tenant, deps } = ctx;
  const token = bearerToken(req.headers.authorization);
  if (token !== null) {
    const checked = token === '' ? ({ ok: false, reason: 'malformed_bearer' } as const) : await checkBearer(token, tenant, tenant.issuer, deps);
    if (!checked.ok) throw new GatewayError('ERR_GK_UNAUTHENTICATED', `bearer: ${checked.reason}`);
    const user = checked.session ? (tenant.usersById.get(checked.session.userId) ?? null) : null;
    if (checked.session && !user) throw new GatewayError('ERR_GK_UNAUTHENTICATED', 'bearer: user no longer exists');
    if (checked.session && !isAlive(checked.session, deps.clock.now())) throw new GatewayError('ERR_GK_UNAUTHENTICATED', 'bearer: session expired');
    if (checked.session && !(await ipBindingHolds(deps, tenant, checked.session, ctx.clientIp))) throw new GatewayError('ERR_GK_UNAUTHENTICATED', 'bearer: ip binding');
    return { via: 'bearer', user, session: checked.session, token: checked.claims };
  }
  const current = await currentSession(req, tenant, deps);
  if (!current) return null;
  if (!SAFE.has(req.method ?? 'GET')) {
    if (!isSameSiteRequest(req, ctx.publicUrl, tenant)) throw new GatewayError('ERR_GK_CSRF', 'cross-site request');
    const header = req.headers['x-csrf-token'];
    const presented = typeof header === 'string' ? header : (formToken ?? '');
    if (!presented || !safeEqual(presented, current.csrfToken)) throw new GatewayError('ERR_GK_CSRF', 'csrf token mismatch');
  }
  return { via: 'cookie', user: current.user, session: current.session, token: null };
}

/**
 * A user with the tenant role `admin`, or a client_credentials token (no user) whose scope
 * holds `sessions:admin`. A user's delegated token never makes its user an admin: the scope
 * counts only for the client acting as itself.
 */
export function isAdmin(c: Caller): boolean {
  if (c.user) return c.user.roles.includes('admin');
  return c.token !== null && c.token.sid === undefined && c.token.scope.split(' ').includes('sessions:admin');
}

/** 401 without credentials, 403 without the admin role or `sessions:admin` scope. */
export async function requireAdmin(ctx: GatewayContext, formToken?: string): Promise<Caller> {
  const caller = await identifyCaller(ctx, formToken);
  if (!caller) throw new GatewayError('ERR_GK_UNAUTHENTICATED', 'no credential');
  if (!isAdmin(caller)) throw new GatewayError('ERR_GK_FORBIDDEN', 'not an admin');
  return caller;
}

/** A signed-in user (cookie, or a token bound to a user session). */
export async function requireUser(ctx: GatewayContext, formToken?: string): Promise<Caller & { user: UserRecord; session: SessionRecord }> {
  const caller = await identifyCaller(ctx, formToken);
  if (!caller) throw new GatewayError('ERR_GK_UNAUTHENTICATED', 'no credential');
  if (!caller.user || !caller.session) throw new GatewayError('ERR_GK_FORBIDDEN', 'a user session is required');
  return caller as Caller & { user: UserRecord; session: SessionRecord };
}
