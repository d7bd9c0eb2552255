// Throttling of password and client-secret checks (SPEC §2 loginThrottle; §5 the login row
// and "(client authentication)"). Each check is an attempt counted per subject (username or
// client_id) and per client IP, atomically in the store BEFORE the check, so parallel
// attempts never get more than maxFailures checks per key. A lockout refuses without a
// check and is not extended by what it refuses; when it ends the count starts over; a
// success clears the subject's count (not the address's: one IP may serve many users).
// Unknown usernames and client ids count exactly like known ones.
import { createHash, randomBytes } from 'node:crypto';
import type { TenantRuntime } from '../registry.js';
import type { AttemptOutcome, SessionStore, ThrottleRule } from '../store/types.js';
import type { Clock } from '../util/clock.js';

export interface ThrottleDeps {
  store: Pick<SessionStore, 'admitAttempt' | 'settleAttempt'>;
  clock: Clock;
}

/** The tenant facts the throttle reads. */
export type ThrottleTenant = Pick<TenantRuntime, 'slug' | 'settings'>;

/** Who is tried and from where; the prefixes keep logins and client authentication apart. */
export interface ThrottleKeys {
  subject: string;
  source: string;
}

/**
 * How long an admitted attempt may hold its place unsettled: far above what one check can
 * take (a hash-pool wait of at most 1 s plus one bounded hash), so only an instance that
 * died mid-check leaves a place taken, and only for this long.
 */
const IN_FLIGHT_MS = 30_000;

/** Refused attempts say when to come back; attempts in flight are done within about a second. */
const BUSY_RETRY_AFTER = 1;

export const loginKeys = (username: string, ip: string): ThrottleKeys => ({
  subject: `u:${username.toLowerCase()}`,
  source: `ip:${ip}`,
});

/** A client id is any string a request sends: a long one is keyed by its digest. */
export function clientKeys(clientId: string, ip: string): ThrottleKeys {
  const id = clientId.length <= 128 ? clientId : `#${createHash('sha256').update(clientId).digest('base64url')}`;
  return { subject: `c:${id}`, source: `cip:${ip}` };
}

function ruleOf(tenant: ThrottleTenant): ThrottleRule {
  const t = tenant.settings.loginThrottle;
  return {
    windowMs: t.window * 1000,
    maxFailures: t.maxFailures,
    lockoutMs: t.lockout * 1000,
    inFlightMs: IN_FLIGHT_MS,
  };
}

export type ThrottledResult =
  /** Not checked. locked: a lockout (else too many attempts in flight); retryAfter in seconds. */
  { refused: true; locked: boolean; retryAfter: number } | { refused: false; ok: boolean };

/**
 * Runs `check` (true = the password or secret is right) only if the attempt is admitted,
 * and settles it with the result. A check that throws (no hash slot, for one) settles as
 * abandoned: no check happened, nothing is counted.
 */
export async function throttledCheck(
  deps: ThrottleDeps,
  tenant: ThrottleTenant,
  keys: ThrottleKeys,
  check: () => Promise<boolean>,
): Promise<ThrottledResult> {
  const rule = ruleOf(tenant);
  const attempt = { ...keys, id: randomBytes(12).toString('base64url') };
  const now = deps.clock.now();
  const admission = await deps.store.admitAttempt(tenant.slug, attempt, rule, now);
  if (!admission.admitted) {
    const { lockedUntil } = admission;
    return lockedUntil === null
      ? { refused: true, locked: false, retryAfter: BUSY_RETRY_AFTER }
      : { refused: true, locked: true, retryAfter: Math.max(1, Math.ceil((lockedUntil - now) / 1000)) };
  }
  let outcome: AttemptOutcome = 'abandoned';
  try {
    const ok = await check();
    outcome = ok ? 'succeeded' : 'failed';
    return { refused: false, ok };
  } finally {
    await deps.store.settleAttempt(tenant.slug, attempt, outcome, rule, deps.clock.now());
  }
}
