// The login-session life cycle as operations on the store: start (fixation-safe, with
// the concurrency limit), re-authenticate (rotate the secret), record activity. Every end
// of a session goes through end-session.ts. Transport-free.
import type { UserRecord } from '../config/types.js';
import type { Deps } from '../deps.js';
import type { TenantRuntime } from '../registry.js';
import type { SessionRecord, SessionStore } from '../store/types.js';
import { formatCookieValue } from './cookie.js';
import { createAnnouncing, type EndDeps } from './end-session.js';
import { hashSecret, newSecret, newSessionId } from './ids.js';
import { activityDue } from './model.js';

export interface LoginContext {
  ip: string;
  userAgent: string;
  rememberMe: boolean;
  authMethod?: string;
  /** RFC 8176 values; default: `pwd` for a password, `fed` for an identity provider. */
  amr?: readonly string[];
  /** A second factor was checked at this time (a second step, or a verified passkey). */
  mfaAt?: number | null;
  /** When the user authenticated, if not now (an IdP's auth_time: its SSO session may be older). */
  authTime?: number;
  /** A user signed in at an identity provider: the mapped claims and the IdP session (SPEC §12). */
  federated?: Required<Pick<SessionRecord, 'profile' | 'idp'>>;
}

export type StartResult =
  | { ok: true; session: SessionRecord; cookieValue: string; maxAgeSeconds: number | null }
  | { ok: false; reason: 'limit' };

/** The clock, the store's create (with the concurrency limit), metrics, audit, and announcing evictions. */
export type StartDeps = EndDeps &
  Pick<Deps, 'clock' | 'metrics' | 'audit'> & { store: Pick<SessionStore, 'createSession'> };

/** Always a new id and secret: nothing the client sent can become this session (fixation). */
export async function startSession(
  deps: StartDeps,
  tenant: TenantRuntime,
  user: UserRecord,
  ctx: LoginContext,
): Promise<StartResult> {
  const s = tenant.settings;
  const now = deps.clock.now();
  const remember = ctx.rememberMe && s.rememberMe.enabled;
  const secret = newSecret();
  const session: SessionRecord = {
    id: newSessionId(tenant.slug, user.id),
    tenant: tenant.slug,
    userId: user.id,
    kind: 'browser',
    secretHash: hashSecret(secret),
    clientId: null,
    ipAddress: ctx.ip,
    userAgent: ctx.userAgent.slice(0, 512),
    authMethod: ctx.authMethod ?? 'password',
    amr: ctx.amr ?? [ctx.authMethod?.startsWith('oidc:') ? 'fed' : 'pwd'],
    mfaAt: ctx.mfaAt ?? null,
    rememberMe: remember,
    createdAt: now,
    lastActiveAt: now,
    authTime: Math.min(ctx.authTime ?? now, now),
    expiresAt: now + (remember ? s.rememberMe.duration : s.sessionLifetime) * 1000,
    // Remember-me sessions have no idle timeout (SPEC §4).
    idleTimeoutMs: remember ? null : s.idleTimeout * 1000,
    ...ctx.federated,
  };
  // The store evicts atomically with the creation; the evicted still have to be announced.
  const result = await createAnnouncing(
    deps,
    session,
    { max: s.maxConcurrentSessions, policy: s.concurrentSessionPolicy },
    now,
    ctx.ip,
  );
  if (!result.ok) return { ok: false, reason: 'limit' };
  deps.metrics.sessionsCreated.inc({ tenant: tenant.slug });
  deps.audit.emit('session_created', {
    tenant: tenant.slug,
    userId: user.id,
    sessionId: session.id,
    ip: ctx.ip,
    rememberMe: remember,
  });
  return {
    ok: true,
    session,
    cookieValue: formatCookieValue(session.id, secret),
    maxAgeSeconds: remember ? s.rememberMe.duration : null,
  };
}

/**
 * prompt=login: a new secret (the old cookie stops working at once) and a new auth_time.
 * Returns null when the session vanished meanwhile.
 */
export type ReauthDeps = Pick<Deps, 'clock' | 'bus' | 'audit'> & { store: Pick<SessionStore, 'updateSession'> };

export async function reauthenticate(
  deps: ReauthDeps,
  session: SessionRecord,
  ip: string,
): Promise<{ session: SessionRecord; cookieValue: string } | null> {
  const secret = newSecret();
  const now = deps.clock.now();
  const patch = { secretHash: hashSecret(secret), authTime: now, lastActiveAt: now };
  if (!(await deps.store.updateSession(session.tenant, session.id, patch, now))) return null;
  // The old cookie must stop working on every instance, not only once their caches expire.
  await deps.bus.sessionChanged(session.id);
  deps.audit.emit('login_succeeded', {
    tenant: session.tenant,
    userId: session.userId,
    sessionId: session.id,
    ip,
    reason: 'reauthentication',
  });
  return { session: { ...session, ...patch }, cookieValue: formatCookieValue(session.id, secret) };
}

/**
 * A second factor was checked in this session (step-up, SPEC §13): the session records it
 * (amr, mfaAt) under a new secret — more rights, new cookie, as a re-authentication does.
 * Returns null when the session vanished meanwhile.
 */
export async function recordSecondFactor(
  deps: ReauthDeps,
  session: SessionRecord,
  amr: readonly string[],
): Promise<{ session: SessionRecord; cookieValue: string } | null> {
  const secret = newSecret();
  const now = deps.clock.now();
  const patch = { secretHash: hashSecret(secret), amr, mfaAt: now, lastActiveAt: now };
  if (!(await deps.store.updateSession(session.tenant, session.id, patch, now))) return null;
  await deps.bus.sessionChanged(session.id);
  return { session: { ...session, ...patch }, cookieValue: formatCookieValue(session.id, secret) };
}

/** The cookie Max-Age of a session whose cookie is replaced: what a remember-me session has left. */
export function remainingMaxAge(session: SessionRecord, now: number): number | null {
  return session.rememberMe ? Math.max(0, Math.floor((session.expiresAt - now) / 1000)) : null;
}

/**
 * Idle refresh, throttled to once per min(60 s, idleTimeout/10) so the store is not written
 * on every request. Not awaited by callers: a late write only shortens the idle time.
 */
export type TouchDeps = Pick<Deps, 'clock' | 'log'> & ActivityDeps;

export function touchSession(deps: TouchDeps, session: SessionRecord): void {
  const now = deps.clock.now();
  if (!activityDue(session, now)) return;
  recordActivity(deps, session, now).catch((err: unknown) => {
    deps.log.warn({ err: String(err), sessionId: session.id }, 'could not record session activity');
  });
}

/** Writes lastActiveAt = now; false when the session no longer exists or is dead already. */
export type ActivityDeps = Pick<Deps, 'readCache'> & { store: Pick<SessionStore, 'updateSession'> };

export function recordActivity(
  deps: ActivityDeps,
  session: Pick<SessionRecord, 'tenant' | 'id'>,
  now: number,
): Promise<boolean> {
  deps.readCache.touched(session.tenant, session.id, now);
  return deps.store.updateSession(session.tenant, session.id, { lastActiveAt: now }, now);
}
