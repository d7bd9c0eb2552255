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

/**
 * The most sessions one user keeps, whatever the concurrency limit (also when it is 0,
 * unlimited): creating one more evicts the least recently active, announced like a
 * concurrent-limit eviction. It bounds what every per-user operation (list, revoke-all,
 * the limit) can cost.
 */
export const MAX_SESSIONS_PER_USER = 1000;

/** Paging a user's sessions: at most `limit`, after the opaque `cursor` of a previous page. */
export interface SessionPageRequest {
  limit: number;
  cursor?: string | null;
}

export interface SessionPage {
  sessions: SessionRecord[];
  /** Where the next page starts; null on the last page. */
  nextCursor: string | null;
}

/** Where a page ended: the last listed session's activity time and id. */
export interface SessionCursor {
  at: number;
  id: string;
}

export function encodeSessionCursor(c: SessionCursor): string {
  return Buffer.from(`${c.at}:${c.id}`).toString('base64url');
}

/** null for anything that is not a cursor this module made (the API answers 400). */
export function decodeSessionCursor(raw: string): SessionCursor | null {
  if (raw.length > 200 || !/^[A-Za-z0-9_-]+$/.test(raw)) return null;
  const m = /^(\d{1,16}):(sess_[A-Za-z0-9_-]{33})$/.exec(Buffer.from(raw, 'base64url').toString());
  return m ? { at: Number(m[1]), id: m[2]! } : null;
}

/** Orders a page: most recently active first, ties by id descending (as Redis orders a reversed range). */
export function pageOrder(a: SessionRecord, b: SessionRecord): number {
  return b.lastActiveAt - a.lastActiveAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

export interface DeleteUserSessionsOptions {
  /**
   * Called once the revocation has taken effect in the store (every session of the user
   * that existed, but `exceptId`, is refused by every read from then on) and before the
   * records are removed: the caller announces it there, so that other instances stop
   * serving cached copies at once rather than after the last chunk.
   */
  onMarked?: () => Promise<void> | void;
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
   * Atomically: drop a bounded batch of the user's dead sessions (earliest expiry first),
   * apply the concurrency limit to the user's login sessions (`kind: browser`; token
   * sessions never count nor get evicted by it) — evict the least recently active, or
   * refuse — and the per-user cap (MAX_SESSIONS_PER_USER, any kind, least recently active
   * evicted), then save the session. Costs O(log n + evicted), never a walk of all the
   * user's sessions. `evicted` are the live sessions it removed (to announce).
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
   * One page of the user's sessions alive at `now`, most recently active first (ties by id
   * descending); `nextCursor` continues after the last one. Costs O(log n + limit). A page
   * may hold fewer than `limit` sessions (dead ones are skipped) and still have a next one.
   * A cursor that is not one of ours is a TypeError (the API checks it first: 400).
   */
  listUserSessionsPage(tenant: string, userId: string, now: number, page: SessionPageRequest): Promise<SessionPage>;
  /**
   * Revokes all of the user's sessions except `exceptId` and returns the records it removed
   * (alive or not yet swept), so that the caller can count and audit them. The revocation
   * takes effect at one instant — every session that existed then (also one created a moment
   * before, while the caller was deciding) is refused by every read from that instant on,
   * a session created after it is not touched (SPEC §4: revoke-all) — and the records are
   * then removed in bounded chunks, so no single store operation grows with the user's
   * sessions.
   */
  deleteUserSessions(
    tenant: string,
    userId: string,
    exceptId?: string,
    opts?: DeleteUserSessionsOptions,
  ): Promise<SessionRecord[]>;
}
