// The tokens concern of the store: refresh-token chains (one per `kind: token` session,
// kept beside it and deleted with it), one-time authorization codes, and the access-token
// deny list. Memory and Redis implementations sit beside it (memory-tokens.ts,
// redis-tokens.ts); both pass test/store/contract-tokens.ts.

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

export interface TokensStore {
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
}

/** A code's time to live must be positive: a misconfiguration is our bug, not hostile input. */
export function checkTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new TypeError(`invalid ttl: ${ttlMs}`);
}
