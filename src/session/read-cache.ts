// A short-lived positive cache of the two store reads on every authenticated request: the
// session record and "this jti is not denied". It only ever answers "still the same as a
// moment ago"; everything that changes those answers goes through the revocation bus, so
// no instance serves a stale answer once the bus has told it:
//   - revocation (logout, admin revoke, eviction, reuse detection, token revocation): the
//     caller checks the revocation LRU first, and the entry is dropped too;
//   - a changed session (re-authentication rotates the secret): dropped (bus "changed");
//   - a settings change, or the pub/sub subscription coming back after a loss: everything
//     is dropped (and nothing is answered from the cache while it is lost).
// An entry lives at most READ_CACHE_TTL_MS and never past the moment its session could expire, so
// expiry is always judged on a record read from the store. Misses are not cached, and
// nothing is answered from the cache unless the store says cached answers are good
// (connected and subscribed to the bus): an outage is a 503 at once (SPEC), and while the
// bus is down every request asks the store.
// The cookie secret that matched a cached record is kept with it (in memory only, for the
// entry's few seconds) so that a hit costs a constant-time compare instead of a SHA-256.
// A read that started before an invalidation never fills the cache (generation check).
import { LRUCache } from 'lru-cache';
import type { Clock } from '../util/clock.js';
import type { SessionRecord, SessionStore } from '../store/types.js';
import { effectiveExpiry } from './model.js';
import { constantTimeEqual } from '../util/constant-time.js';

export const READ_CACHE_TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

// Keyed by id alone (session ids and jtis are random and unique), so that an invalidation,
// which names only the id, is one delete; the tenant is checked on every hit.
interface Entry {
  tenant: string;
  validUntil: number;
}
interface SessionEntry extends Entry {
  record: SessionRecord;
  /** A cookie secret already checked against record.secretHash (saves a SHA-256 per hit). */
  verifiedSecret?: Buffer;
}

export class SessionReadCache {
  private readonly sessions = new LRUCache<string, SessionEntry>({ max: MAX_ENTRIES });
  private readonly allowedJtis = new LRUCache<string, Entry>({ max: MAX_ENTRIES });
  /** Bumped by every invalidation: a read that straddles one is not cached. */
  private generation = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly clock: Clock) {}

  /** The session record (as `store` would answer a moment ago), or null. */
  async session(
    store: Pick<SessionStore, 'getSession' | 'canServeCached'>,
    tenant: string,
    id: string,
  ): Promise<SessionRecord | null> {
    const now = this.clock.now();
    const hit = this.sessions.get(id);
    if (hit && hit.tenant === tenant && hit.validUntil > now && store.canServeCached()) {
      this.hits++;
      return hit.record;
    }
    this.misses++;
    const gen = this.generation;
    const record = await store.getSession(tenant, id);
    if (record && gen === this.generation) {
      const validUntil = Math.min(now + READ_CACHE_TTL_MS, effectiveExpiry(record));
      if (validUntil > now) this.sessions.set(id, { tenant, record, validUntil });
    }
    return record;
  }

  /** Whether the store lists the jti as denied (a cached "no" for a moment). */
  async tokenDenied(
    store: Pick<SessionStore, 'isTokenDenied' | 'canServeCached'>,
    tenant: string,
    jti: string,
  ): Promise<boolean> {
    const now = this.clock.now();
    const hit = this.allowedJtis.get(jti);
    if (hit && hit.tenant === tenant && hit.validUntil > now && store.canServeCached()) {
      this.hits++;
      return false;
    }
    this.misses++;
    const gen = this.generation;
    const denied = await store.isTokenDenied(tenant, jti);
    if (!denied && gen === this.generation) this.allowedJtis.set(jti, { tenant, validUntil: now + READ_CACHE_TTL_MS });
    return denied;
  }

  /** Activity was recorded for this session: the cached copy follows (its lifetime does not). */
  touched(tenant: string, id: string, lastActiveAt: number): void {
    const hit = this.sessions.get(id);
    if (hit && hit.tenant === tenant) hit.record = { ...hit.record, lastActiveAt };
  }

  /** Whether `secret` is the one already verified against this (cached) record's hash. */
  secretVerified(record: SessionRecord, secret: string): boolean {
    const entry = this.sessions.get(record.id);
    const known = entry?.verifiedSecret;
    if (!known || entry.record.secretHash !== record.secretHash) return false;
    return constantTimeEqual(secret, known);
  }

  /** `secret` matched `record.secretHash`: later hits may skip the hash. */
  noteVerifiedSecret(record: SessionRecord, secret: string): void {
    const entry = this.sessions.get(record.id);
    if (entry && entry.record.secretHash === record.secretHash) entry.verifiedSecret = Buffer.from(secret);
  }

  /** A session (or jti) was revoked or changed somewhere. */
  forget(id: string): void {
    this.generation++;
    this.sessions.delete(id);
    this.allowedJtis.delete(id);
  }

  /**
   * A revoke-all: every cached session of the user goes (a later one is simply read
   * again). A scan of at most MAX_ENTRIES, once per revoke-all rather than once per session.
   */
  forgetUser(tenant: string, userId: string): void {
    this.generation++;
    for (const [id, entry] of this.sessions.entries()) {
      if (entry.tenant === tenant && entry.record.userId === userId) this.sessions.delete(id);
    }
  }

  clear(): void {
    this.generation++;
    this.sessions.clear();
    this.allowedJtis.clear();
  }

  stats(): { hits: number; misses: number; size: number } {
    return { hits: this.hits, misses: this.misses, size: this.sessions.size + this.allowedJtis.size };
  }
}
