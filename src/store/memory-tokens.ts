// The in-memory store's state beside the sessions: refresh-token chains, authorization
// codes, the access-token deny list, throttles and tenant settings. Each method
// follows the rule of its Redis script (redis-scripts-tokens.ts) step by step; where Redis
// lets a key's TTL expire, this state compares with the clock and the sweep drops it.
import type {
  AttemptOutcome,
  RefreshChain,
  RotateArgs,
  RotateResult,
  ThrottleAdmission,
  ThrottleAttempt,
  ThrottleRule,
} from './types.js';

interface Chain extends RefreshChain {
  prev: string | null;
  rotatedAt: number;
  box: string;
  used: Set<string>;
}

interface Throttle {
  /** Failures in the current window. */
  failures: number;
  /** End of the current counting window; null before its first failure. */
  windowEnd: number | null;
  lockedUntil: number | null;
  /** Attempts in flight: attempt id → until when it holds its place. */
  inFlight: Map<string, number>;
}

const key = (tenant: string, id: string): string => `${tenant}\0${id}`;

/** Shared rule checks: a misconfigured rule is our bug, not hostile input. */
export function checkThrottleRule(rule: ThrottleRule): void {
  const ok = (n: number, min: number): boolean => Number.isSafeInteger(n) && n >= min;
  if (!ok(rule.windowMs, 1) || !ok(rule.maxFailures, 1) || !ok(rule.lockoutMs, 1) || !ok(rule.inFlightMs, 1)) {
    throw new TypeError(`invalid throttle rule: ${JSON.stringify(rule)}`);
  }
}

/** The subject and the source are two keys; one string for both would be counted twice. */
export function checkAttempt(a: ThrottleAttempt): void {
  if (!a.subject || !a.source || !a.id || a.subject === a.source) throw new TypeError('invalid throttle attempt');
}

/** A key's state as it stands at `now`: a lockout or a window that is over starts the count over. */
function current(th: Throttle | undefined, now: number): Throttle {
  const s: Throttle = {
    failures: th?.failures ?? 0,
    windowEnd: th?.windowEnd ?? null,
    lockedUntil: th?.lockedUntil ?? null,
    inFlight: new Map([...(th?.inFlight ?? [])].filter(([, until]) => until > now)),
  };
  if (s.lockedUntil !== null && s.lockedUntil <= now)
    Object.assign(s, { lockedUntil: null, failures: 0, windowEnd: null });
  if (s.windowEnd !== null && s.windowEnd <= now) Object.assign(s, { failures: 0, windowEnd: null });
  return s;
}

function lock(s: Throttle, rule: ThrottleRule, now: number): number {
  Object.assign(s, { lockedUntil: now + rule.lockoutMs, failures: 0, windowEnd: null });
  return now + rule.lockoutMs;
}

/** The last moment anything in the state still matters (what the Redis TTL is set to). */
const expiry = (s: Throttle): number => Math.max(s.windowEnd ?? 0, s.lockedUntil ?? 0, ...s.inFlight.values());

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
    for (const [k, th] of this.#throttles) if (now >= expiry(th)) this.#throttles.delete(k);
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

  // ---- throttling (the rules of ADMIT_ATTEMPT / SETTLE_ATTEMPT in redis-scripts-tokens.ts)

  #load(tenant: string, a: ThrottleAttempt, now: number): [Throttle, Throttle] {
    return [
      current(this.#throttles.get(key(tenant, a.subject)), now),
      current(this.#throttles.get(key(tenant, a.source)), now),
    ];
  }

  #save(tenant: string, a: ThrottleAttempt, [subject, source]: [Throttle, Throttle], now: number): void {
    for (const [k, s] of [
      [a.subject, subject],
      [a.source, source],
    ] as const) {
      if (expiry(s) > now) this.#throttles.set(key(tenant, k), s);
      else this.#throttles.delete(key(tenant, k));
    }
  }

  admitAttempt(tenant: string, a: ThrottleAttempt, rule: ThrottleRule, now: number): ThrottleAdmission {
    const both = this.#load(tenant, a, now);
    const lockedUntil = Math.max(...both.map((s) => s.lockedUntil ?? 0));
    if (lockedUntil > now) return { admitted: false, lockedUntil };
    let lockedNow: number | null = null;
    for (const s of both) if (s.failures >= rule.maxFailures) lockedNow = lock(s, rule, now);
    if (lockedNow === null && both.every((s) => s.failures + s.inFlight.size < rule.maxFailures)) {
      for (const s of both) s.inFlight.set(a.id, now + rule.inFlightMs);
      this.#save(tenant, a, both, now);
      return { admitted: true };
    }
    this.#save(tenant, a, both, now);
    return { admitted: false, lockedUntil: lockedNow };
  }

  settleAttempt(tenant: string, a: ThrottleAttempt, outcome: AttemptOutcome, rule: ThrottleRule, now: number): void {
    const both = this.#load(tenant, a, now);
    for (const s of both) s.inFlight.delete(a.id);
    if (outcome === 'failed') {
      for (const s of both) {
        if (s.lockedUntil !== null) continue;
        s.windowEnd ??= now + rule.windowMs;
        if (++s.failures >= rule.maxFailures) lock(s, rule, now);
      }
    } else if (outcome === 'succeeded') {
      Object.assign(both[0], { failures: 0, windowEnd: null });
    }
    this.#save(tenant, a, both, now);
  }

  // ---- tenant settings (never expire)

  getSettings(tenant: string): string | null {
    return this.#settings.get(tenant) ?? null;
  }

  setSettings(tenant: string, json: string): void {
    this.#settings.set(tenant, json);
  }
}
