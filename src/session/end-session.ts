// The one way a session ends — logout, revocation (admin, self-service, RFC 7009), expiry,
// revoke-all, refresh-token reuse, code replay, concurrent-limit eviction, IP binding:
// refused on this instance at once (revocation LRU), removed from the store, announced on
// the bus so that every instance drops its cached copies and closes the WebSockets the
// session opened (SPEC §3.5, §4 "Revocation propagation"), counted and audited with its
// reason. Nothing else deletes a session or publishes its end.
import type { Deps } from '../deps.js';
import type { ConcurrencyLimit, CreateSessionResult, SessionRecord, SessionStore } from '../store/types.js';
import { ReplicaUnconfirmedError } from '../store/types.js';
import { isAlive } from './model.js';

export type EndReason =
  | 'logout'
  | 'replaced_by_login'
  | 'admin_revoked'
  | 'admin_revoked_all'
  | 'self_revoked'
  | 'self_revoked_others'
  | 'refresh_token_revoked'
  | 'refresh_token_reuse'
  | 'code_reuse'
  | 'concurrent_limit'
  | 'ip_binding_mismatch'
  | 'expired_absolute'
  | 'expired_idle'
  /** The identity provider ended the IdP session (back-channel logout, SPEC §12). */
  | 'backchannel_logout';

export type SessionRef = Pick<SessionRecord, 'tenant' | 'userId' | 'id'>;

export type EndDeps = Pick<Deps, 'revocations' | 'bus' | 'metrics' | 'audit'> & {
  store: Pick<SessionStore, 'deleteSession' | 'deleteUserSessions'>;
};

/** Expiry is audited as `session_expired` with reason absolute|idle (SPEC §9), the rest as `session_revoked`. */
const EXPIRY: Partial<Record<EndReason, string>> = { expired_absolute: 'absolute', expired_idle: 'idle' };

/**
 * The announcement every ending shares. `ended` are all the sessions the store removed (or
 * was asked to remove): each is published, alive or not, because another instance may hold
 * it in a cache or a socket. `counted` are the ones that really ended now: metrics, audit.
 */
async function announce(
  deps: EndDeps,
  ended: readonly SessionRef[],
  counted: readonly SessionRef[],
  reason: EndReason,
  ip: string | null,
): Promise<void> {
  // bus.revoke adds each id to this instance's LRU, closes its sockets and drops its cached
  // copies at once, then publishes to the other instances.
  await Promise.all(ended.map((s) => deps.bus.revoke('sid', s.id)));
  count(deps, counted, reason, ip);
}

/** Metrics and audit for the sessions that really ended now. */
function count(deps: EndDeps, counted: readonly SessionRef[], reason: EndReason, ip: string | null): void {
  const expiry = EXPIRY[reason];
  for (const s of counted) {
    deps.metrics.sessionsRevoked.inc({ tenant: s.tenant, reason });
    const event = { tenant: s.tenant, userId: s.userId, sessionId: s.id, ip };
    if (expiry) deps.audit.emit('session_expired', { ...event, reason: expiry });
    else deps.audit.emit('session_revoked', { ...event, reason });
  }
}

/**
 * Ends one session. Returns whether it still existed (the caller may answer 404 otherwise);
 * it is announced either way, since caches elsewhere may still hold it.
 */
export async function endSession(
  deps: EndDeps,
  session: SessionRef,
  reason: EndReason,
  ip: string | null,
): Promise<boolean> {
  // Refused here before the store is even asked: the LRU is checked first on every request.
  deps.revocations.add(session.id);
  let existed: boolean;
  try {
    existed = await deps.store.deleteSession(session.tenant, session.id);
  } catch (err) {
    // store.durability replicated: the revocation stands on the master but no replica has
    // confirmed it (the caller answers 503). Every instance must still stop serving it.
    if (err instanceof ReplicaUnconfirmedError) await announce(deps, [session], [session], reason, ip);
    throw err;
  }
  await announce(deps, [session], existed ? [session] : [], reason, ip);
  return existed;
}

/**
 * Ends all of a user's sessions (but `exceptId`). The store revokes them at one instant —
 * also one created a moment before, while this was being decided — and at that instant one
 * bus message tells every instance (this one first) to drop the user's cached sessions and
 * close their sockets; then the store removes the records in bounded chunks and says which
 * it removed, to count and audit. Returns how many were alive (SPEC §5 `{ revoked: N }`).
 */
export async function endSessions(
  deps: EndDeps & Pick<Deps, 'clock'>,
  tenant: string,
  userId: string,
  reason: EndReason,
  ip: string | null,
  exceptId?: string,
): Promise<number> {
  const before = deps.clock.now();
  const removed = await deps.store.deleteUserSessions(tenant, userId, exceptId, {
    onMarked: () => deps.bus.userRevoked({ tenant, userId, before, except: exceptId ?? null }),
  });
  const now = deps.clock.now();
  const alive = removed.filter((s) => isAlive(s, now));
  // This instance's LRU refuses them without a store read; other instances ask the store
  // (their cached copies went with the message), which refuses them too.
  for (const s of removed) deps.revocations.add(s.id);
  count(deps, alive, reason, ip);
  return alive.length;
}

/**
 * Sessions the store already removed atomically as part of another change (the concurrency
 * limit evicts inside createSession): only the announcement is left to do.
 */
export function sessionsRemoved(
  deps: EndDeps,
  removed: readonly SessionRef[],
  reason: EndReason,
  ip: string | null,
): Promise<void> {
  return announce(deps, removed, removed, reason, ip);
}

/**
 * Creates a session and announces the ones the store evicted with it (the concurrency limit,
 * the per-user cap) — also when the creation itself failed for want of a replica's
 * confirmation (store.durability replicated): those evictions stand on the master.
 */
export async function createAnnouncing(
  deps: EndDeps & { store: Pick<SessionStore, 'createSession'> },
  session: SessionRecord,
  limit: ConcurrencyLimit,
  now: number,
  ip: string | null,
): Promise<CreateSessionResult> {
  const evictedRefs = (ids: readonly string[]) =>
    ids.map((id) => ({ tenant: session.tenant, userId: session.userId, id }));
  let result: CreateSessionResult;
  try {
    result = await deps.store.createSession(session, limit, now);
  } catch (err) {
    if (err instanceof ReplicaUnconfirmedError && err.ended.length > 0)
      await sessionsRemoved(deps, evictedRefs(err.ended), 'concurrent_limit', ip);
    throw err;
  }
  if (result.ok && result.evicted.length > 0)
    await sessionsRemoved(deps, evictedRefs(result.evicted), 'concurrent_limit', ip);
  return result;
}
