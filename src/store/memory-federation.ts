// FederationStore in memory (the embedded store's companion): bounded maps with expiry
// judged by the injected clock on every read.
import type { Clock } from '../util/clock.js';
import type { FederationStore, IdpUserRecord } from './federation.js';

interface Expiring<T> {
  value: T;
  until: number;
}

export class MemoryFederation implements FederationStore {
  readonly #users = new Map<string, IdpUserRecord>();
  readonly #links = new Map<string, Expiring<Set<string>>>();
  readonly #flows = new Map<string, Expiring<string>>();
  readonly #marks = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  async saveIdpUser(tenant: string, user: IdpUserRecord): Promise<void> {
    this.#users.set(`${tenant}\0${user.id}`, { ...user, roles: [...user.roles] });
  }

  async getIdpUser(tenant: string, userId: string): Promise<IdpUserRecord | null> {
    return this.#users.get(`${tenant}\0${userId}`) ?? null;
  }

  async listIdpUsers(tenant: string): Promise<IdpUserRecord[]> {
    const prefix = `${tenant}\0`;
    return [...this.#users.entries()].filter(([k]) => k.startsWith(prefix)).map(([, u]) => u);
  }

  async linkIdpSession(tenant: string, provider: string, sid: string, userId: string, ttlMs: number): Promise<void> {
    const key = `${tenant}\0${provider}\0${sid}`;
    const now = this.clock.now();
    const cur = this.#links.get(key);
    const set = cur && cur.until > now ? cur.value : new Set<string>();
    set.add(userId);
    this.#links.set(key, { value: set, until: Math.max(cur?.until ?? 0, now + ttlMs) });
  }

  async idpSessionUsers(tenant: string, provider: string, sid: string): Promise<string[]> {
    const cur = this.#links.get(`${tenant}\0${provider}\0${sid}`);
    return cur && cur.until > this.clock.now() ? [...cur.value] : [];
  }

  async saveFlow(tenant: string, idHash: string, payload: string, ttlMs: number): Promise<void> {
    this.#sweep();
    this.#flows.set(`${tenant}\0${idHash}`, { value: payload, until: this.clock.now() + ttlMs });
  }

  async peekFlow(tenant: string, idHash: string): Promise<string | null> {
    const f = this.#flows.get(`${tenant}\0${idHash}`);
    return f && f.until > this.clock.now() ? f.value : null;
  }

  async takeFlow(tenant: string, idHash: string): Promise<string | null> {
    const key = `${tenant}\0${idHash}`;
    const f = this.#flows.get(key);
    this.#flows.delete(key);
    return f && f.until > this.clock.now() ? f.value : null;
  }

  async markOnce(tenant: string, key: string, ttlMs: number): Promise<boolean> {
    this.#sweep();
    const k = `${tenant}\0${key}`;
    const now = this.clock.now();
    const until = this.#marks.get(k);
    if (until !== undefined && until > now) return false;
    this.#marks.set(k, now + ttlMs);
    return true;
  }

  /** Drops what has expired, so flows started and never finished cannot pile up. */
  #sweep(): void {
    const now = this.clock.now();
    if (this.#flows.size > 1000) for (const [k, f] of this.#flows) if (f.until <= now) this.#flows.delete(k);
    if (this.#marks.size > 1000) for (const [k, until] of this.#marks) if (until <= now) this.#marks.delete(k);
  }
}
