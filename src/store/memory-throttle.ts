// ThrottleStore in memory. Each method follows the rule of its Redis script
// (ADMIT_ATTEMPT / SETTLE_ATTEMPT in redis-throttle-scripts.ts) step by step; where Redis
// lets a key's TTL expire, this compares with `now` and the sweep drops it.
import {
  checkAttempt,
  checkThrottleRule,
  type AttemptOutcome,
  type ThrottleAdmission,
  type ThrottleAttempt,
  type ThrottleRule,
  type ThrottleStore,
} from './throttle.js';

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

export class MemoryThrottle implements ThrottleStore {
  readonly #throttles = new Map<string, Throttle>();

  /** Drops whatever a Redis TTL would have removed by `now`. */
  sweep(now: number): void {
    for (const [k, th] of this.#throttles) if (now >= expiry(th)) this.#throttles.delete(k);
  }

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

  async admitAttempt(tenant: string, a: ThrottleAttempt, rule: ThrottleRule, now: number): Promise<ThrottleAdmission> {
    checkThrottleRule(rule);
    checkAttempt(a);
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

  async settleAttempt(
    tenant: string,
    a: ThrottleAttempt,
    outcome: AttemptOutcome,
    rule: ThrottleRule,
    now: number,
  ): Promise<void> {
    checkThrottleRule(rule);
    checkAttempt(a);
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
}
