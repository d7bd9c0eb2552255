// Seeing and ending a user's sessions (admin and self-service): list the live ones, revoke
// one, revoke all (optionally but the caller's own). Ending goes through end-session.ts, so
// every revocation reaches every instance.
import type { Deps } from '../deps.js';
import type { TenantRuntime } from '../registry.js';
import type { SessionRecord, SessionStore } from '../store/types.js';
import { endSession, endSessions, type EndDeps, type EndReason } from './end-session.js';

/** The clock, the store's session reads and deletes, and what ending a session announces. */
export type InventoryDeps = EndDeps &
  Pick<Deps, 'clock'> & {
    store: Pick<SessionStore, 'listUserSessions' | 'getSession' | 'deleteSession' | 'deleteUserSessions'>;
  };
import { isSessionId, tagOfSessionId, userTag } from './ids.js';
import { isAlive } from './model.js';

export function listSessions(deps: InventoryDeps, tenant: TenantRuntime, userId: string): Promise<SessionRecord[]> {
  return deps.store.listUserSessions(tenant.slug, userId, deps.clock.now());
}

/** false when the id is unknown, dead, or not this user's (the caller answers 404). */
export async function revokeUserSession(
  deps: InventoryDeps,
  tenant: TenantRuntime,
  userId: string,
  sessionId: string,
  reason: EndReason,
  ip: string,
): Promise<boolean> {
  // The id carries its owner's tag: another user's id is refused without a store read.
  if (!isSessionId(sessionId) || tagOfSessionId(sessionId) !== userTag(tenant.slug, userId)) return false;
  const s = await deps.store.getSession(tenant.slug, sessionId);
  // An expired session is gone (SPEC §4), even if the store has not dropped it yet.
  if (!s || s.userId !== userId || s.tenant !== tenant.slug || !isAlive(s, deps.clock.now())) return false;
  return endSession(deps, s, reason, ip);
}

/** Revoke-all (or all but `exceptId`): `{ revoked: N }` counts the sessions that were alive. */
export function revokeAllUserSessions(
  deps: InventoryDeps,
  tenant: TenantRuntime,
  userId: string,
  reason: EndReason,
  ip: string,
  exceptId?: string,
): Promise<number> {
  return endSessions(deps, tenant.slug, userId, reason, ip, exceptId);
}
