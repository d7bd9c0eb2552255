// ThrottleStore over Redis. Key layout (after keyPrefix):
//   {<tenant>}:thr:<key>  HASH  one per subject (u:<username>, c:<client id>) and per
//                               source (ip:<addr>, cip:<addr>): failures, windowEnd,
//                               lockedUntil, a:<attempt id> = until when an attempt in
//                               flight holds its place. TTL = the latest of those moments.
// Both keys of an attempt are read and changed by one script (redis-throttle-scripts.ts).
import type { RedisCalls } from './redis-connection.js';
import { int, tenantSlot } from './redis-keys.js';
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

export class RedisThrottle implements ThrottleStore {
  readonly #redis: RedisCalls;

  constructor(redis: RedisCalls) {
    this.#redis = redis;
    redis.defineScripts(THROTTLE_SCRIPTS);
  }

  #args(tenant: string, a: ThrottleAttempt, rule: ThrottleRule, now: number): [string, string, ...string[]] {
    checkThrottleRule(rule);
    checkAttempt(a);
    const base = `${tenantSlot(tenant)}thr:`;
    return [
      `${base}${a.subject}`,
      `${base}${a.source}`,
      int(now),
      int(rule.windowMs),
      int(rule.maxFailures),
      int(rule.lockoutMs),
      int(rule.inFlightMs),
      a.id,
    ];
  }

  async admitAttempt(
    tenant: string,
    attempt: ThrottleAttempt,
    rule: ThrottleRule,
    now: number,
  ): Promise<ThrottleAdmission> {
    const args = this.#args(tenant, attempt, rule, now);
    const [admitted, lockedUntil] = await this.#redis.run('admitAttempt', () =>
      this.#redis.client.gkAdmitAttempt(...args),
    );
    return admitted === 1
      ? { admitted: true }
      : { admitted: false, lockedUntil: lockedUntil >= 0 ? lockedUntil : null };
  }

  async settleAttempt(
    tenant: string,
    attempt: ThrottleAttempt,
    outcome: AttemptOutcome,
    rule: ThrottleRule,
    now: number,
  ): Promise<void> {
    const args = this.#args(tenant, attempt, rule, now);
    await this.#redis.run('settleAttempt', () => this.#redis.client.gkSettleAttempt(...args, outcome));
  }
}
