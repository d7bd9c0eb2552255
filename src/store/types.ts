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
}

/** Thrown by a store when its backend cannot answer (Redis down). Never means "no session". */
export class StoreUnavailableError extends Error {
  readonly code = 'ERR_GK_STORE_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/** The refresh-token chain of one `kind: token` session (SPEC §4). Hashes are SHA-256 hex. */
export interface RefreshChain {
  clientId: string;
  currentHash: string;
  /** min(issued + refreshTokenLifetime, session expiry) of the current token. */
  expiresAt: number;
}

export type RotateResult =
  | { result: 'rotated'; clientId: string }
  /** Within refreshGrace of the last rotation: the box holding the successor secret. */
  | { result: 'grace'; clientId: string; successorBox: string }
  /** A token of this chain that was already used (outside the grace window): theft. */
  | { result: 'reuse'; clientId: string }
  /** No chain for this session, or a hash this chain never issued. */
  | { result: 'unknown' };

export interface RotateArgs {
  presentedHash: string;
  nextHash: string;
  /** The successor's secret encrypted under a key derived from the presented secret. */
  successorBox: string;
  /** Expiry of the successor token. */
  expiresAt: number;
  now: number;
  graceMs: number;
}

/**
 * One authentication attempt as the throttle sees it (SPEC §2 loginThrottle, §5): it is
 * counted against who is tried and against where it comes from.
 */
export interface ThrottleAttempt {
  /** The username or client id: a success clears its count. */
  subject: string;
  /** The client address: a success only gives this attempt's place back. */
  source: string;
  /** Random, unique per attempt: its place while it is in flight. */
  id: string;
}

export interface ThrottleRule {
  windowMs: number;
  maxFailures: number;
  lockoutMs: number;
  /** How long an admitted attempt holds its place if it is never settled (a crashed instance). */
  inFlightMs: number;
}

/** Refused: lockedUntil = end of the lockout, or null when attempts in flight hold every place. */
export type ThrottleAdmission = { admitted: true } | { admitted: false; lockedUntil: number | null };

/** failed: the check said no; succeeded: it said yes; abandoned: no check happened after all. */
export type AttemptOutcome = 'failed' | 'succeeded' | 'abandoned';

export interface SessionStore {
  readonly kind: 'memory' | 'redis';
  /**
   * Atomically: drop the user's dead sessions from the index, apply the concurrency
   * limit to the user's login sessions (`kind: browser`; token sessions never count nor
   * get evicted) — evict the least recently active, or refuse — then save the session.
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
  /**
   * Atomically removes all of the user's sessions except `exceptId` and returns the records
   * it removed (alive or not yet swept), so that the caller can announce every one of them —
   * also a session created a moment before the call (SPEC §4: revoke-all).
   */
  deleteUserSessions(tenant: string, userId: string, exceptId?: string): Promise<SessionRecord[]>;

  // ---- Refresh tokens: one chain per token session, stored beside the session (same
  // hash slot); deleting the session (or all of a user's sessions) deletes its chain.
  /** Starts (or replaces) the session's chain with its first token. */
  saveRefreshChain(tenant: string, sessionId: string, chain: RefreshChain, now: number): Promise<void>;
  getRefreshChain(tenant: string, sessionId: string): Promise<RefreshChain | null>;
  /**
   * Atomically: presented == current → rotate to nextHash (remember the presented hash as
   * used, keep the box and the rotation time); presented == the previous token and
   * now - rotatedAt <= graceMs → 'grace' with the stored box, no change; presented is any
   * other used hash → 'reuse'; else 'unknown'.
   */
  rotateRefreshToken(tenant: string, sessionId: string, args: RotateArgs): Promise<RotateResult>;

  // ---- Authorization codes: one-time (take = get and delete atomically), hashed key.
  saveAuthCode(tenant: string, codeHash: string, payload: string, ttlMs: number): Promise<void>;
  takeAuthCode(tenant: string, codeHash: string): Promise<string | null>;

  // ---- Access-token deny list (RFC 7009 revocation of an access token), until its exp.
  denyToken(tenant: string, jti: string, expiresAt: number, now: number): Promise<void>;
  isTokenDenied(tenant: string, jti: string): Promise<boolean>;

  // ---- Throttling of password and client-secret checks. Per key (the attempt's subject
  // and its source): failures in a fixed window that starts at the first failure, the
  // attempts in flight, and a lockout. Both keys are read and changed in one atomic step.
  /**
   * Admits the attempt BEFORE its check: refused while either key is locked (nothing
   * changes, so a refused attempt never extends a lockout) or while its failures plus
   * attempts in flight have reached maxFailures; else it takes a place in flight on both
   * keys. A key whose lockout or window is over starts counting from zero. Failures at or
   * over maxFailures without a lockout (the rule was lowered) lock the key now.
   */
  admitAttempt(tenant: string, attempt: ThrottleAttempt, rule: ThrottleRule, now: number): Promise<ThrottleAdmission>;
  /**
   * Gives the attempt's places back. failed: one more failure on each key that is not
   * locked; the one that reaches maxFailures locks the key for lockoutMs and its count
   * starts over. succeeded: the subject's failures are cleared (a lockout stays).
   */
  settleAttempt(
    tenant: string,
    attempt: ThrottleAttempt,
    outcome: AttemptOutcome,
    rule: ThrottleRule,
    now: number,
  ): Promise<void>;

  // ---- Tenant settings saved through the API (JSON, never expires).
  getTenantSettings(tenant: string): Promise<string | null>;
  setTenantSettings(tenant: string, json: string): Promise<void>;

  // ---- Events between instances (revocations, settings changes). The memory store
  // delivers in-process; Redis uses pub/sub on a channel under keyPrefix.
  publish(message: string): Promise<void>;
  /**
   * `onMessage` gets every published message (also this instance's own). `onReconnect`
   * runs after the subscription was lost and re-established: messages may have been
   * missed, so positive caches must be dropped. Returns an unsubscribe function.
   */
  subscribe(onMessage: (message: string) => void, onReconnect: () => void): Promise<() => Promise<void>>;

  /** Resolves when the backend answers; rejects with StoreUnavailableError otherwise. */
  ping(): Promise<void>;
  /**
   * Synchronous and free: whether an answer this store gave a moment ago may stand in for
   * asking it again — the backend is connected AND this instance hears every change (its
   * event subscription is up). Redis: both connections ready. While false, the request
   * path asks the store itself: an outage is a 503 at once, and with the subscription
   * down a revocation made elsewhere is seen on the very next request.
   */
  canServeCached(): boolean;
  close(): Promise<void>;
}
