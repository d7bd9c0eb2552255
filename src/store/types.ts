// The storage contract. Every implementation (memory, Redis) passes test/store/contract.ts.
// Times are epoch milliseconds. Expiry is decided by the gateway from the record
// (session/model.ts); store TTLs only make sure nothing outlives its usefulness.

export type SessionKind = 'browser' | 'token';

export interface SessionRecord {
  /** Public id, `sess_…` (see session/ids.ts: it carries the user's shard tag). */
  id: string;
  tenant: string;
  userId: string;
  kind: SessionKind;
  /** SHA-256 (hex) of the cookie secret; the secret itself is never stored. */
  secretHash: string;
  clientId: string | null;
  ipAddress: string;
  userAgent: string;
  authMethod: string;
  rememberMe: boolean;
  createdAt: number;
  lastActiveAt: number;
  authTime: number;
  /** Absolute expiry. */
  expiresAt: number;
  /** Idle timeout in ms; null = no idle expiry (remember-me, token sessions). */
  idleTimeoutMs: number | null;
}

export interface ConcurrencyLimit {
  /** 0 = unlimited. */
  max: number;
  policy: 'evict-oldest' | 'reject';
}

export type CreateSessionResult =
  | { ok: true; evicted: string[] }
  | { ok: false; reason: 'limit' };

export interface SessionPatch {
  secretHash?: string;
  authTime?: number;
  lastActiveAt?: number;
  ipAddress?: string;
}

/** Thrown by a store when its backend cannot answer (Redis down). Never means "no session". */
export class StoreUnavailableError extends Error {
  readonly code = 'ERR_GK_STORE_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

export interface SessionStore {
  readonly kind: 'memory' | 'redis';
  /**
   * Atomically: drop the user's dead sessions from the index, apply the concurrency
   * limit (evict the least recently active, or refuse), then save the session.
   * `now` decides which indexed sessions are still alive.
   */
  createSession(session: SessionRecord, limit: ConcurrencyLimit, now: number): Promise<CreateSessionResult>;
  getSession(tenant: string, id: string): Promise<SessionRecord | null>;
  /** Updates fields of a live session; false when it no longer exists. */
  updateSession(tenant: string, id: string, patch: SessionPatch): Promise<boolean>;
  /** Removes the session; false when it did not exist. */
  deleteSession(tenant: string, id: string): Promise<boolean>;
  /** The user's sessions still alive at `now`, most recently active first. */
  listUserSessions(tenant: string, userId: string, now: number): Promise<SessionRecord[]>;
  /** Removes all of the user's sessions except `exceptId`; returns the removed ids. */
  deleteUserSessions(tenant: string, userId: string, exceptId?: string): Promise<string[]>;
  /** Resolves when the backend answers; rejects with StoreUnavailableError otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
