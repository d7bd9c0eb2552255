// The throttle concern of the store: password and client-secret checks, counted per
// subject and per source (SPEC §2 loginThrottle, §5). Memory and Redis implementations sit
// beside it (memory-throttle.ts, redis-throttle.ts); both pass
// test/store/contract-throttle.ts and both check their input with the functions below.

/**
 * One authentication attempt as the throttle sees it: it is counted against who is tried
 * and against where it comes from.
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

/**
 * Per key (the attempt's subject and its source): failures in a fixed window that starts at
 * the first failure, the attempts in flight, and a lockout. Per key, reading and changing
 * is one atomic step (the Redis store admits and settles the two keys separately, each in
 * its own slot; see redis-throttle.ts).
 */
export interface ThrottleStore {
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
}

/** A misconfigured rule is our bug, not hostile input. */
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
