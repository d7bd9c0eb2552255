// Client secrets that verified recently, so a confidential client's steady token,
// refresh and introspection calls do not each cost a ~100 ms scrypt check in the hash pool
// (which allows ~10 checks a second on a 2-core machine and is there to stop guessing).
//
// Only successes are remembered, in memory, for a short time, under an HMAC with a
// per-process random key of (client id, stored hash, presented secret): a changed secret
// hash in the config (rotation) or another secret never hits, and the cache holds no
// value from which the secret could be read back faster than from its scrypt hash.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Clock } from '../util/clock.js';

const TTL_MS = 5 * 60_000;

export class VerifiedSecrets {
  private readonly key = randomBytes(32);
  /** entry key → { mac, until }: the key is the client id, so one entry per client (the newest). */
  private readonly entries = new LRUCache<string, { mac: Buffer; until: number }>({ max: 10_000 });

  constructor(private readonly clock: Clock) {}

  private mac(clientId: string, secretHash: string, secret: string): Buffer {
    return createHmac('sha256', this.key)
      .update(clientId)
      .update('\0')
      .update(secretHash)
      .update('\0')
      .update(secret)
      .digest();
  }

  /** True when this exact secret verified against this hash within the last few minutes. */
  has(clientId: string, secretHash: string, secret: string): boolean {
    const e = this.entries.get(clientId);
    if (!e || e.until <= this.clock.now()) return false;
    return timingSafeEqual(e.mac, this.mac(clientId, secretHash, secret));
  }

  remember(clientId: string, secretHash: string, secret: string): void {
    this.entries.set(clientId, { mac: this.mac(clientId, secretHash, secret), until: this.clock.now() + TTL_MS });
  }
}
