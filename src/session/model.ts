// Pure predicates over a session record: the single definition of "alive" that the
// pipeline, the APIs and both stores share.
import type { SessionRecord } from '../store/types.js';

export function idleExpiresAt(s: Pick<SessionRecord, 'lastActiveAt' | 'idleTimeoutMs'>): number | null {
  return s.idleTimeoutMs === null ? null : s.lastActiveAt + s.idleTimeoutMs;
}

/** The moment the session dies if nothing else happens. */
export function effectiveExpiry(s: Pick<SessionRecord, 'expiresAt' | 'lastActiveAt' | 'idleTimeoutMs'>): number {
  const idle = idleExpiresAt(s);
  return idle === null ? s.expiresAt : Math.min(s.expiresAt, idle);
}

export type ExpiryState = 'alive' | 'absolute' | 'idle';

export function expiryState(
  s: Pick<SessionRecord, 'expiresAt' | 'lastActiveAt' | 'idleTimeoutMs'>,
  now: number,
): ExpiryState {
  if (now >= s.expiresAt) return 'absolute';
  const idle = idleExpiresAt(s);
  if (idle !== null && now >= idle) return 'idle';
  return 'alive';
}

export function isAlive(s: Pick<SessionRecord, 'expiresAt' | 'lastActiveAt' | 'idleTimeoutMs'>, now: number): boolean {
  return expiryState(s, now) === 'alive';
}

/** auth_time no older than maxAgeSeconds. */
export function isFresh(s: Pick<SessionRecord, 'authTime'>, maxAgeSeconds: number, now: number): boolean {
  return now - s.authTime <= maxAgeSeconds * 1000;
}

/**
 * Activity writes are throttled to spare the store: at most once per
 * min(60 s, idleTimeout / 10) (SPEC §4).
 */
export function activityDue(s: Pick<SessionRecord, 'lastActiveAt' | 'idleTimeoutMs'>, now: number): boolean {
  const interval = s.idleTimeoutMs === null ? 60_000 : Math.min(60_000, s.idleTimeoutMs / 10);
  return now - s.lastActiveAt >= interval;
}
