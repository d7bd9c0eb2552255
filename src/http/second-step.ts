// Between a first factor and a session (SPEC §13): a user who holds a second factor is
// sent to the second step with a pending sign-in (no session yet); when the second factor
// passes, the session starts with both factors recorded. Shared by the password form, the
// identity-provider callback and the second-step page.
import type { UserRecord } from '../config/types.js';
import type { Deps } from '../deps.js';
import { savePending, serializePendingCookie, type PendingLogin } from '../mfa/pending-login.js';
import { amrWith, type FactorProof } from '../mfa/second-factor.js';
import type { TenantRuntime } from '../registry.js';
import { serializeSessionCookie } from '../session/cookie.js';
import { endSession, type EndDeps } from '../session/end-session.js';
import { startSession, type StartDeps, type StartResult } from '../session/service.js';
import type { GatewayContext } from './context.js';
import type { CurrentSession } from './current-session.js';
import { redirect } from './respond.js';

export type SecondStepDeps = StartDeps & EndDeps & Pick<Deps, 'factors' | 'federation' | 'audit' | 'clock'>;

/** The second step's URL, carrying where to go afterwards. */
export function secondStepUrl(slug: string, rd: string, maxAge?: number | null): string {
  const q = new URLSearchParams();
  if (maxAge !== undefined && maxAge !== null) q.set('max_age', String(maxAge));
  q.set('rd', rd);
  return `/t/${slug}/login/mfa?${q.toString()}`;
}

/** The security page's URL, carrying where to go after enrolment. */
export function enrolUrl(slug: string, rd: string): string {
  return `/t/${slug}/account/security?${new URLSearchParams({ rd }).toString()}`;
}

/**
 * After the first factor: when the user holds a second factor, saves the pending sign-in,
 * answers 302 to the second step and returns true; else false (the caller starts the
 * session as before). `cookies` are sent along (clearing the login form's or flow's).
 */
export async function toSecondStep(
  ctx: GatewayContext<SecondStepDeps>,
  first: Omit<PendingLogin, 'startedAt'>,
  cookies: readonly string[],
): Promise<boolean> {
  const { deps, tenant } = ctx;
  const factors = await deps.factors.listFactors(tenant.slug, first.userId);
  if (factors.length === 0) return false;
  const id = await savePending(deps.federation, tenant.slug, { ...first, startedAt: deps.clock.now() });
  redirect(ctx.res, 302, secondStepUrl(tenant.slug, first.rd), {
    'set-cookie': [...cookies, serializePendingCookie(tenant.cookie, id)],
  });
  return true;
}

/** The user a pending sign-in names: from the users file, or the IdP profile it carries. */
export function pendingUser(tenant: TenantRuntime, p: PendingLogin): UserRecord | null {
  if (p.federated) return { id: p.userId, ...p.federated.profile, passwordHash: '' };
  return tenant.usersById.get(p.userId) ?? null;
}

/**
 * The second factor passed for a pending sign-in: ends the browser's previous session (if
 * any), starts the new one with both factors, links the IdP session, audits.
 */
export async function startTwoFactorSession(
  ctx: GatewayContext<SecondStepDeps>,
  p: PendingLogin,
  user: UserRecord,
  proof: FactorProof,
  current: CurrentSession | null,
): Promise<StartResult> {
  const { deps, tenant } = ctx;
  const now = deps.clock.now();
  if (current) await endSession(deps, current.session, 'replaced_by_login', ctx.clientIp);
  const started = await startSession(deps, tenant, user, {
    ip: ctx.clientIp,
    userAgent: String(ctx.req.headers['user-agent'] ?? ''),
    rememberMe: p.rememberMe,
    authMethod: p.authMethod,
    authTime: p.authTime,
    amr: amrWith(p.amr, proof),
    mfaAt: now,
    ...(p.federated ? { federated: p.federated } : {}),
  });
  if (!started.ok) return started;
  const sid = p.federated?.idp.sid ?? null;
  if (p.federated && sid !== null) {
    // As the IdP callback does without a second step: the sid may be carried by this session
    // and by the token sessions apps get from it.
    const linkMs = started.session.expiresAt - now + tenant.settings.refreshTokenLifetime * 1000;
    await deps.federation.linkIdpSession(tenant.slug, p.federated.idp.provider, sid, user.id, linkMs);
  }
  deps.audit.emit('login_succeeded', {
    tenant: tenant.slug,
    userId: user.id,
    sessionId: started.session.id,
    ip: ctx.clientIp,
    secondFactor: proof.kind,
  });
  return started;
}

/** The redirect that ends a sign-in: the session cookie, the pending cookie cleared. */
export function finishRedirect(
  ctx: GatewayContext<unknown>,
  rd: string,
  cookieValue: string,
  maxAgeSeconds: number | null,
  extraCookies: readonly string[] = [],
): void {
  redirect(ctx.res, 302, rd, {
    'set-cookie': [
      ...extraCookies,
      serializeSessionCookie(ctx.tenant.cookie, cookieValue, maxAgeSeconds),
      serializePendingCookie(ctx.tenant.cookie, ''),
    ],
  });
}
