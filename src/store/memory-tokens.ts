// The in-memory store's state beside the sessions: refresh-token chains, authorization
// codes, the access-token deny list, login throttles and tenant settings. Each method
// follows the rule of its Redis script (redis-scripts-tokens.ts) step by step; where Redis
// lets a key's TTL expire, this state compares with the clock and the sweep drops it.
import type { RefreshChain, RotateArgs, RotateResult, ThrottleRule, ThrottleState } from './types.js';

interface Chain extends RefreshChain {
  prev: string | null;
  rotatedAt: number;
  box: string;
  used: Set<string>;
}

interface Throttle {
  failures: number;
  /** End of the current counting window; null while locked or before the first failure. */
  windowEnd: number | null;
  lockedUntil: number | null;
}

const key = (tenant: string, id: string): string => `${tenant}\0${id}`;

/** Shared rule checks: a misconfigured rule is our bug, not hostile input. */
export function checkThrottleRule(rule: ThrottleRule): void {
  const ok = (n: number, min: number): boolean => Number.isSafeInteger(n) && n >= min;
  if (!ok(rule.windowMs, 1) || !ok(rule.maxFailures, 1) || !ok(rule.lockoutMs, 1)) {
    throw new TypeError(`invalid throttle rule: ${JSON.stringify(rule)}`);
  }
}

export function checkTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new TypeError(`invalid ttl: ${ttlMs}`);
}

export class MemoryTokenState {
  readonly #chains = new Map<string, Chain>();
  readonly #codes = new Map<string, { payload: string; expiresAt: number }>();
  readonly #denied = new Map<string, number>();
  readonly #throttles = new Map<string, Throttle>();
  readonly #settings = new Map<string, string>();

  /** Drops whatever a Redis TTL would have removed by `now`. */
  sweep(now: number): void {
    for (const [k, c] of this.#chains) if (now >= c.expiresAt) this.#chains.delete(k);
    for (const [k, c] of this.#codes) if (now >= c.expiresAt) this.#codes.delete(k);
    for (const [k, exp] of this.#denied) if (now >= exp) this.#denied.delete(k);
    for (const [k, th] of this.#throttles) if (now >= Math.max(th.windowEnd ?? 0, th.lockedUntil ?? 0)) this.#throttles.delete(k);
  }

  // ---- refresh chains

  saveChain(tenant: string, sessionId: string, chain: RefreshChain): void {
    this.#chains.set(key(tenant, sessionId), {
      clientId: chain.clientId,
      currentHash: chain.currentHash,
      expiresAt: chain.expiresAt,
      prev: null,
      rotatedAt: 0,
      box: '',
      used: new Set(),
    });
  }

  getChain(tenant: string, sessionId: string): RefreshChain | null {
    const c = this.#chains.get(key(tenant, sessionId));
    return c ? { clientId: c.clientId, currentHash: c.currentHash, expiresAt: c.expiresAt } : null;
  }

  /** The session's chain goes with the session. */
  dropChain(tenant: string, sessionId: string): void {
    this.#chains.delete(key(tenant, sessionId));
  }

  rotate(tenant: string, sessionId: string, a: RotateArgs): RotateResult {
    const c = this.#chains.get(key(tenant, sessionId));
    if (!c || a.now >= c.expiresAt) return { result: 'unknown' };
    const { clientId } = c;
    if (a.presentedHash === c.currentHash) {
      c.used.add(a.presentedHash);
      c.prev = a.presentedHash;
      c.rotatedAt = a.now;
      c.box = a.successorBox;
      c.currentHash = a.nextHash;
      c.expiresAt = a.expiresAt;
      return { result: 'rotated', clientId };
    }
    // graceMs = 0 means no grace at all, not "the same millisecond".
    if (a.presentedHash === c.prev && a.graceMs > 0 && a.now - c.rotatedAt <= a.graceMs) {
      return { result: 'grace', clientId, successorBox: c.box };
    }
    return c.used.has(a.presentedHash) ? { result: 'reuse', clientId } : { result: 'unknown' };
  }

  // ---- authorization codes

  saveCode(tenant: string, codeHash: string, payload: string, expiresAt: number): void {
    this.#codes.set(key(tenant, codeHash), { payload, expiresAt });
  }

  takeCode(tenant: string, codeHash: string, now: number): string | null {
    const k = key(tenant, codeHash);
    const code = this.#codes.get(k);
    this.#codes.delete(k);
    return code && now < code.expiresAt ? code.payload : null;
  }

  // ---- deny list

  deny(tenant: string, jti: string, expiresAt: number, now: number): void {
    if (expiresAt > now) this.#denied.set(key(tenant, jti), expiresAt);
  }

  isDenied(tenant: string, jti: string, now: number): boolean {
    const exp = this.#denied.get(key(tenant, jti));
    return exp !== undefined && now < exp;
  }

  // ---- login throttling

  getThrottle(tenant: string, k: string, now: number): ThrottleState {
    const th = this.#throttles.get(key(tenant, k));
    if (!th) return { failures: 0, lockedUntil: null };
    if (th.lockedUntil !== null && th.lockedUntil > now) return { failures: th.failures, lockedUntil: th.lockedUntil };
    return { failures: th.windowEnd !== null && now < th.windowEnd ? th.failures : 0, lockedUntil: null };
  }

  addFailure(tenant: string, k: string, rule: ThrottleRule, now: number): ThrottleState {
    const th = this.#throttles.get(key(tenant, k));
    if (th?.lockedUntil != null && th.lockedUntil > now) return { failures: th.failures, lockedUntil: th.lockedUntil };
    let failures = 0;
    let windowEnd = now + rule.windowMs;
    if (th?.windowEnd != null && now < th.windowEnd) {
      failures = th.failures;
      windowEnd = th.windowEnd;
    }
    failures++;
    if (failures >= rule.maxFailures) {
      const lockedUntil = now + rule.lockoutMs;
      this.#throttles.set(key(tenant, k), { failures: 0, windowEnd: null, lockedUntil });
      return { failures: 0, lockedUntil };
    }
    this.#throttles.set(key(tenant, k), { failures, windowEnd, lockedUntil: null });
    return { failures, lockedUntil: null };
  }

  clearThrottle(tenant: string, k: string): void {
    this.#throttles.delete(key(tenant, k));
  }

  // ---- tenant settings (never expire)

  getSettings(tenant: string): string | null {
    return this.#settings.get(tenant) ?? null;
  }

  setSettings(tenant: string, json: string): void {
    this.#settings.set(tenant, json);
  }
}
