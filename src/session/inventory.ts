// Seeing and ending a user's sessions (admin and self-service): list the live ones, revoke
// one, revoke all (optionally but the caller's own). Every revocation reaches every instance.
import type { Deps } from '../deps.js';
import type { TenantRuntime } from '../registry.js';
import type { SessionRecord } from '../store/types.js';
import { isSessionId, tagOfSessionId, userTag } from './ids.js';
import { isAlive } from './model.js';
import { revokeSession } from './service.js';

export function listSessions(deps: Deps, tenant: TenantRuntime, userId: string): Promise<SessionRecord[]> {
  return deps.store.listUserSessions(tenant.slug, userId, deps.clock.now());
}

/** false when the id is unknown, dead, or not this user's (the caller answers 404). */
export async function revokeUserSession(deps: Deps, tenant: TenantRuntime, userId: string, sessionId: string, reason: string, ip: string): Promise<boolean> {
  // The id carries its owner's tag: another user's id is refused without a store read.
  if (!isSessionId(sessionId) || tagOfSessionId(sessionId) !== userTag(tenant.slug, userId)) return false;
  const s = await deps.store.getSession(tenant.slug, sessionId);
  // An expired session is gone (SPEC §4), even if the store has not dropped it yet.
  if (!s || s.userId !== userId || s.tenant !== tenant.slug || !isAlive(s, deps.clock.now())) return false;
  return revokeSession(deps, s, reason, ip);
}

export async function revokeAllUserSessions(deps: Deps, tenant: TenantRuntime, userId: string, reason: string, ip: string, exceptId?: string): Promise<number> {
  // Count and announce only sessions that were alive; dead ones are removed silently.
  const alive = new Set((await listSessions(deps, tenant, userId)).map((s) => s.id));
  const ids = (await deps.store.deleteUserSessions(tenant.slug, userId, exceptId)).filter((id) => alive.has(id));
  for (const id of ids) {
    await deps.bus.revoke('sid', id);
    deps.metrics.sessionsRevoked.inc({ tenant: tenant.slug, reason });
    deps.audit.emit('session_revoked', { tenant: tenant.slug, userId, sessionId: id, ip, reason });
  }
  return ids.length;
}
