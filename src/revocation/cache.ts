// A bounded LRU of recently revoked session ids (and, with tokens, jti values), checked
// before the store so that a revocation is enforced at once on this instance.
import { LRUCache } from 'lru-cache';

export class RevocationCache {
  private readonly lru: LRUCache<string, true>;
  constructor(opts: { max?: number; ttlMs?: number } = {}) {
    // TTL: longer than any access token or session lives in practice here; bounded anyway.
    this.lru = new LRUCache({ max: opts.max ?? 100_000, ttl: opts.ttlMs ?? 24 * 3600_000 });
  }
  add(id: string): void {
    this.lru.set(id, true);
  }
  /** Requests refused from the LRU (without asking the store). */
  hits = 0;

  has(id: string): boolean {
    const found = this.lru.has(id);
    if (found) this.hits++;
    return found;
  }
  get size(): number {
    return this.lru.size;
  }
}
