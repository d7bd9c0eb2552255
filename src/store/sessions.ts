// The sessions concern of the store: session records and the per-user index that the
// concurrency limit, the session lists and revoke-all work on. Memory and Redis
// implementations sit beside it (memory-sessions.ts, redis-sessions.ts); both pass
// test/store/contract-sessions.ts. Times are epoch milliseconds. Expiry is decided by the
// gateway from the record (session/model.ts); store TTLs only make sure nothing outlives
// its usefulness.

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
  /** The first factor: `password`, `passkey` or `oidc:{providerId}` (SPEC §12, §13). */
  authMethod: string;
  /**
   * How the user authenticated, as RFC 8176 values: `pwd`, `otp` (TOTP or a recovery code),
   * `hwk` / `swk` (a device-bound / synced WebAuthn credential), `user` (user verification),
   * `fed` (an upstream IdP), and `mfa` once a second factor (or a verified passkey) was used.
   */
  amr: readonly string[];
  /** When a second factor was last checked (epoch ms); null: never in this session. */
  mfaAt: number | null;
  rememberMe: boolean;
  createdAt: number;
  lastActiveAt: number;
  authTime: number;
  /** Absolute expiry. */
  expiresAt: number;
  /** Idle timeout in ms; null = no idle expiry (remember-me, token sessions). */
  idleTimeoutMs: number | null;
  /** Token sessions: the scope granted to the client (kept for refreshes). */
  scope?: string | null;
  /** A user signed in at an identity provider: the mapped claims of that login (SPEC §12). */
  profile?: { username: string; email: string; name: string; roles: readonly string[] };
  /** Which IdP session this one came from: for back-channel and RP-initiated logout. */
  idp?: { provider: string; sid: string | null; idToken: string | null };
}

export interface ConcurrencyLimit {
  /** 0 = unlimited. */
  max: number;
  policy: 'evict-oldest' | 'reject';
}

export type CreateSessionResult = { ok: true; evicted: string[] } | { ok: false; reason: 'limit' };

export interface SessionPatch {
  secretHash?: string;
  authTime?: number;
  lastActiveAt?: number;
  ipAddress?: string;
  /** A second factor was checked: the new amr and its time (set together). */
  amr?: readonly string[];
  mfaAt?: number;
}

/**
 * Every method that judges whether a session is alive takes `now` from the caller (the
 * gateway's clock), never from the store's own. A session leaves with its refresh-token
 * chain (TokensStore), however it leaves: delete, revoke-all, eviction or expiry.
 */
export interface SessionsStore {
  /**
   * Atomically: drop the user's dead sessions from the index, apply the concurrency
   * limit to the user's login sessions (`kind: browser`; token sessions never count nor
   * get evicted) — evict the least recently active, or refuse — then save the session.
   * `now` decides which indexed sessions are still alive.
   */
  createSession(session: SessionRecord, limit: ConcurrencyLimit, now: number): Promise<CreateSessionResult>;
  getSession(tenant: string, id: string): Promise<SessionRecord | null>;
  /** Updates fields of the session if it is alive at `now`; false when it is gone or dead. */
  updateSession(tenant: string, id: string, patch: SessionPatch, now: number): Promise<boolean>;
  /** Removes the session; false when it did not exist. */
  deleteSession(tenant: string, id: string): Promise<boolean>;
  /** The user's sessions still alive at `now`, most recently active first. */
  listUserSessions(tenant: string, userId: string, now: number): Promise<SessionRecord[]>;
  /**
   * Atomically removes all of the user's sessions except `exceptId` and returns the records
   * it removed (alive or not yet swept), so that the caller can announce every one of them —
   * also a session created a moment before the call (SPEC §4: revoke-all).
   */
  deleteUserSessions(tenant: string, userId: string, exceptId?: string): Promise<SessionRecord[]>;
}
