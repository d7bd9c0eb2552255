// A bounded LRU of recently revoked session ids (and, with tokens, jti values), checked
// before the store so that a revocation is enforced at once on this instance.
import { LRUCache } from 'lru-cache';

export class RevocationCache {
  private readonly lru: LRUCache<string, true>;
  constructor(opts: { max?: number } = {}) {
    // No TTL (a clock read and a timer per lookup in lru-cache): a revoked id never becomes
    // valid again, so it may stay until newer revocations push it out; by then the store,
    // which stays the authority, has long deleted the session or denied the jti.
    this.lru = new LRUCache({ max: opts.max ?? 100_000 });
  }
  add(id: string): void {
    this.lru.set(id, true);
  }
  /** Requests refused from the LRU (without asking the store). */
  hits = 0;
  /** Lookups of ids not in the LRU (the store decides). */
  misses = 0;

  has(id: string): boolean {
    const found = this.lru.has(id);
    if (found) this.hits++;
    else this.misses++;
    return found;
  }
  get size(): number {
    return this.lru.size;
  }
}
