// ThrottleStore over Redis. Key layout (after keyPrefix):
//   {<tenant>:thr:<h>}:<key>  HASH  one per subject (u:<username>, c:<client id>) and per
//                                   source (ip:<addr>, cip:<addr>), each in a slot of its
//                                   own (h: redis-keys.ts ownSlot): failures, windowEnd,
//                                   lockedUntil, a:<attempt id> = until when an attempt in
//                                   flight holds its place. TTL = the latest of those moments.
// A tenant's logins are so spread over a Cluster instead of all landing on the shard of one
// tenant-wide slot (counters an earlier version kept under {<tenant>}:thr: are not read:
// they start over once, at the upgrade).
//
// Atomic per key, not across the two: an attempt is admitted on its subject and on its
// source by one script each (in parallel), and when either refuses, the place the other gave
// is released again. Per key, parallel attempts therefore never hold more than maxFailures
// places (SPEC: never more than maxFailures checks), and an attempt is checked only while it
// holds a place on both. What the split costs: for the moment between a refusal and its
// release, a place is held that no check will use, so a parallel attempt on that key may be
// refused as busy (never admitted in excess); and settling is one script per key, so an
// instance that dies between the two leaves one key's failure uncounted and its place to
// expire after inFlightMs, as an attempt never settled always did.
import type { RedisCalls } from './redis-connection.js';
import { int, ownSlot } from './redis-keys.js';
import { THROTTLE_SCRIPTS } from './redis-throttle-scripts.js';
import {
  checkAttempt,
  checkThrottleRule,
  type AttemptOutcome,
  type ThrottleAdmission,
  type ThrottleAttempt,
  type ThrottleRule,
  type ThrottleStore,
} from './throttle.js';

/** What settling does to one key (SETTLE_ATTEMPT's ARGV[7]). */
type KeyOutcome = 'failed' | 'cleared' | 'released';

/** A success clears the subject's failures; on the source it only gives the place back. */
const SUBJECT_OUTCOME: Readonly<Record<AttemptOutcome, KeyOutcome>> = {
  failed: 'failed',
  succeeded: 'cleared',
  abandoned: 'released',
};
const SOURCE_OUTCOME: Readonly<Record<AttemptOutcome, KeyOutcome>> = {
  failed: 'failed',
  succeeded: 'released',
  abandoned: 'released',
};

/** The first rejection of settled calls, thrown; else their values. */
function valuesOrThrow<T>(results: PromiseSettledResult<T>[]): T[] {
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

export class RedisThrottle implements ThrottleStore {
  readonly #redis: RedisCalls;

  constructor(redis: RedisCalls) {
    this.#redis = redis;
    redis.defineScripts(THROTTLE_SCRIPTS);
  }

  /** The attempt's two keys (subject, source) and the scripts' shared ARGV. */
  #args(tenant: string, a: ThrottleAttempt, rule: ThrottleRule, now: number): [[string, string], string[]] {
    checkThrottleRule(rule);
    checkAttempt(a);
    const key = (k: string): string => `${ownSlot(tenant, 'thr', k)}${k}`;
    return [
      [key(a.subject), key(a.source)],
      [int(now), int(rule.windowMs), int(rule.maxFailures), int(rule.lockoutMs), int(rule.inFlightMs), a.id],
    ];
  }

  #settle(key: string, args: string[], outcome: KeyOutcome): Promise<number> {
    return this.#redis.run('settleAttempt', () => this.#redis.client.gkSettleAttempt(key, ...args, outcome));
  }

  async admitAttempt(
    tenant: string,
    attempt: ThrottleAttempt,
    rule: ThrottleRule,
    now: number,
  ): Promise<ThrottleAdmission> {
    const [keys, args] = this.#args(tenant, attempt, rule, now);
    const results = await Promise.allSettled(
      keys.map((key) => this.#redis.run('admitAttempt', () => this.#redis.client.gkAdmitAttempt(key, ...args))),
    );
    const admittedOn = keys.filter((_, i) => {
      const r = results[i]!;
      return r.status === 'fulfilled' && r.value[0] === 1;
    });
    if (admittedOn.length === keys.length) return { admitted: true };
    // Refused on one key (or it failed): the place the other gave goes back at once. If that
    // fails too, the place expires after inFlightMs.
    const released = await Promise.allSettled(admittedOn.map((key) => this.#settle(key, args, 'released')));
    const replies = valuesOrThrow(results);
    valuesOrThrow(released);
    const lockedUntil = Math.max(...replies.map(([, until]) => until));
    return { admitted: false, lockedUntil: lockedUntil >= 0 ? lockedUntil : null };
  }

  async settleAttempt(
    tenant: string,
    attempt: ThrottleAttempt,
    outcome: AttemptOutcome,
    rule: ThrottleRule,
    now: number,
  ): Promise<void> {
    const [[subject, source], args] = this.#args(tenant, attempt, rule, now);
    valuesOrThrow(
      await Promise.allSettled([
        this.#settle(subject, args, SUBJECT_OUTCOME[outcome]),
        this.#settle(source, args, SOURCE_OUTCOME[outcome]),
      ]),
    );
  }
}
