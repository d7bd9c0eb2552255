// A bounded cache of verified access tokens so the bearer path skips signature checks for
// hot tokens: one LRU per (issuer, audience) the token was verified for, keyed by the token
// itself (a Map lookup, no hash to compute per request; tokens stay in memory only as long
// as their entry). Entries live at most 30 s and never past the token's exp; every hit is
// re-checked against revocation by the caller. Dropped whole after a pub/sub reconnect.
import { LRUCache } from 'lru-cache';
import type { AccessTokenClaims } from './access-token.js';

const MAX_TTL_MS = 30_000;
const MAX_ENTRIES = 10_000;

interface Entry {
  claims: AccessTokenClaims;
  validUntil: number;
}

export class VerifiedTokenCache {
  /** `${issuer}\0${audience}` → token → claims. A handful of pairs: one per app audience. */
  private readonly byTarget = new Map<string, LRUCache<string, Entry>>();
  hits = 0;
  misses = 0;

  private lru(issuer: string, audience: string, create: boolean): LRUCache<string, Entry> | undefined {
    const key = `${issuer}\0${audience}`;
    let lru = this.byTarget.get(key);
    if (!lru && create) this.byTarget.set(key, (lru = new LRUCache<string, Entry>({ max: MAX_ENTRIES })));
    return lru;
  }

  get(token: string, issuer: string, audience: string, nowMs: number): AccessTokenClaims | undefined {
    const lru = this.lru(issuer, audience, false);
    const e = lru?.get(token);
    if (e && e.validUntil > nowMs) {
      this.hits++;
      return e.claims;
    }
    if (e) lru!.delete(token);
    this.misses++;
    return undefined;
  }

  set(token: string, issuer: string, audience: string, claims: AccessTokenClaims, nowMs: number): void {
    const validUntil = Math.min(nowMs + MAX_TTL_MS, claims.exp * 1000);
    if (validUntil > nowMs) this.lru(issuer, audience, true)!.set(token, { claims, validUntil });
  }

  clear(): void {
    this.byTarget.clear();
  }

  stats(): { hits: number; misses: number; size: number } {
    let size = 0;
    for (const lru of this.byTarget.values()) size += lru.size;
    return { hits: this.hits, misses: this.misses, size };
  }
}
