// Seeing and ending a user's sessions (admin and self-service): list the live ones, revoke
// one, revoke all (optionally but the caller's own). Ending goes through end-session.ts, so
// every revocation reaches every instance.
import type { Deps } from '../deps.js';
import type { TenantRuntime } from '../registry.js';
import type { SessionRecord, SessionStore } from '../store/types.js';
import { decodeSessionCursor, type SessionPage, type SessionPageRequest } from '../store/sessions.js';
import { endSession, endSessions, type EndDeps, type EndReason } from './end-session.js';

/** The clock, the store's session reads and deletes, and what ending a session announces. */
export type InventoryDeps = EndDeps &
  Pick<Deps, 'clock'> & {
    store: Pick<
      SessionStore,
      'listUserSessions' | 'listUserSessionsPage' | 'getSession' | 'deleteSession' | 'deleteUserSessions'
    >;
  };
import { isSessionId, tagOfSessionId, userTag } from './ids.js';
import { isAlive } from './model.js';

export function listSessions(deps: InventoryDeps, tenant: TenantRuntime, userId: string): Promise<SessionRecord[]> {
  return deps.store.listUserSessions(tenant.slug, userId, deps.clock.now());
}

/** Page sizes of the session lists (API and pages). */
export const SESSION_PAGE = { default: 50, max: 500 } as const;

/** One page of the user's live sessions, most recently active first. */
export function listSessionsPage(
  deps: InventoryDeps,
  tenant: TenantRuntime,
  userId: string,
  page: SessionPageRequest,
): Promise<SessionPage> {
  return deps.store.listUserSessionsPage(tenant.slug, userId, deps.clock.now(), page);
}

/**
 * `?limit=&cursor=` of a session list, or null when malformed (the caller answers 400):
 * limit 1…500 (default 50), cursor one that a previous page gave.
 */
export function sessionPageParams(params: URLSearchParams): SessionPageRequest | null {
  const rawLimit = params.get('limit');
  const rawCursor = params.get('cursor');
  const limit = rawLimit === null ? SESSION_PAGE.default : /^\d{1,4}$/.test(rawLimit) ? Number(rawLimit) : NaN;
  if (!(limit >= 1 && limit <= SESSION_PAGE.max)) return null;
  if (rawCursor !== null && rawCursor !== '' && !decodeSessionCursor(rawCursor)) return null;
  return { limit, cursor: rawCursor || null };
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
