// FederationStore over the Redis store's own client (same keyPrefix, same fail-fast rules).
//
// Key layout (after keyPrefix), all in the tenant's slot:
//   {<tenant>}:idpu               HASH   user id → IdpUserRecord JSON (no TTL: the users list)
//   {<tenant>}:sidu:<p>:<sid>     SET    user ids signed in through IdP session sid of provider
//                                        p; TTL = the longest life of a session carrying it
//   {<tenant>}:flow:<hash>        STRING a login flow; PX = its ttl; GETDEL takes it once
//   {<tenant>}:once:<key>         STRING a one-time mark; SET NX PX
import type { Cluster, Redis } from 'ioredis';
import type { FederationStore, IdpUserRecord } from './federation.js';
import { tenantSlot as slot } from './redis-keys.js';
import { StoreUnavailableError } from './types.js';

function parseUser(json: string | null | undefined): IdpUserRecord | null {
  if (!json) return null;
  try {
    const u = JSON.parse(json) as IdpUserRecord;
    return typeof u.id === 'string' && Array.isArray(u.roles) ? u : null;
  } catch {
    return null;
  }
}

export class RedisFederation implements FederationStore {
  constructor(private readonly client: Redis | Cluster) {}

  async #run<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw new StoreUnavailableError(`redis ${what} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  async saveIdpUser(tenant: string, user: IdpUserRecord): Promise<void> {
    await this.#run('saveIdpUser', () => this.client.hset(`${slot(tenant)}idpu`, user.id, JSON.stringify(user)));
  }

  async getIdpUser(tenant: string, userId: string): Promise<IdpUserRecord | null> {
    return parseUser(await this.#run('getIdpUser', () => this.client.hget(`${slot(tenant)}idpu`, userId)));
  }

  async listIdpUsers(tenant: string): Promise<IdpUserRecord[]> {
    const all = await this.#run('listIdpUsers', () => this.client.hvals(`${slot(tenant)}idpu`));
    return all.map(parseUser).filter((u): u is IdpUserRecord => u !== null);
  }

  async linkIdpSession(tenant: string, provider: string, sid: string, userId: string, ttlMs: number): Promise<void> {
    const key = `${slot(tenant)}sidu:${provider}:${sid}`;
    // GT: a shorter session never shortens the index that a longer one still needs.
    await this.#run('linkIdpSession', () =>
      this.client
        .multi()
        .sadd(key, userId)
        .pexpire(key, Math.ceil(ttlMs), 'GT')
        .pexpire(key, Math.ceil(ttlMs), 'NX')
        .exec(),
    );
  }

  async idpSessionUsers(tenant: string, provider: string, sid: string): Promise<string[]> {
    return this.#run('idpSessionUsers', () => this.client.smembers(`${slot(tenant)}sidu:${provider}:${sid}`));
  }

  async saveFlow(tenant: string, idHash: string, payload: string, ttlMs: number): Promise<void> {
    await this.#run('saveFlow', () =>
      this.client.set(`${slot(tenant)}flow:${idHash}`, payload, 'PX', Math.ceil(ttlMs)),
    );
  }

  async peekFlow(tenant: string, idHash: string): Promise<string | null> {
    return this.#run('peekFlow', () => this.client.get(`${slot(tenant)}flow:${idHash}`));
  }

  async takeFlow(tenant: string, idHash: string): Promise<string | null> {
    return this.#run('takeFlow', () => this.client.getdel(`${slot(tenant)}flow:${idHash}`));
  }

  async markOnce(tenant: string, key: string, ttlMs: number): Promise<boolean> {
    const r = await this.#run('markOnce', () =>
      this.client.set(`${slot(tenant)}once:${key}`, '1', 'PX', Math.ceil(ttlMs), 'NX'),
    );
    return r === 'OK';
  }
}
