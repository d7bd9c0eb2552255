// A bounded cache of verified access tokens (key: SHA-256 of the token and what it was
// verified for) so the bearer path skips signature checks for hot tokens. Entries live at
// most 30 s and never past the token's exp; every hit is re-checked against revocation
// by the caller. Dropped whole after a pub/sub reconnect.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { AccessTokenClaims } from './access-token.js';

const MAX_TTL_MS = 30_000;

export class VerifiedTokenCache {
  private readonly lru = new LRUCache<string, AccessTokenClaims>({ max: 10_000, ttl: MAX_TTL_MS, ttlAutopurge: false });
  hits = 0;
  misses = 0;

  static key(token: string, issuer: string, audience: string): string {
    return createHash('sha256').update(token).update('\0').update(issuer).update('\0').update(audience).digest('base64url');
  }

  get(key: string, nowMs: number): AccessTokenClaims | undefined {
    const c = this.lru.get(key);
    if (c && c.exp * 1000 <= nowMs) {
      this.lru.delete(key);
      this.misses++;
      return undefined;
    }
    if (c) this.hits++;
    else this.misses++;
    return c;
  }

  set(key: string, claims: AccessTokenClaims, nowMs: number): void {
    const ttl = Math.min(MAX_TTL_MS, claims.exp * 1000 - nowMs);
    if (ttl > 0) this.lru.set(key, claims, { ttl });
  }

  clear(): void {
    this.lru.clear();
  }

  stats(): { hits: number; misses: number; size: number } {
    return { hits: this.hits, misses: this.misses, size: this.lru.size };
  }
}
