// SettingsStore over Redis. Key layout (after keyPrefix):
//   {<tenant>}:settings  STRING  the tenant's settings JSON. The only key of the store
//                                without a TTL: saved settings do not expire (SPEC §4).
import type { RedisCalls } from './redis-connection.js';
import { tenantSlot } from './redis-keys.js';
import type { SettingsStore } from './settings.js';

export class RedisSettings implements SettingsStore {
  readonly #redis: RedisCalls;

  constructor(redis: RedisCalls) {
    this.#redis = redis;
  }

  async getTenantSettings(tenant: string): Promise<string | null> {
    const key = `${tenantSlot(tenant)}settings`;
    return this.#redis.run('getTenantSettings', () => this.#redis.client.get(key));
  }

  async setTenantSettings(tenant: string, json: string): Promise<void> {
    const key = `${tenantSlot(tenant)}settings`;
    await this.#redis.run('setTenantSettings', () => this.#redis.client.set(key, json));
  }
}
