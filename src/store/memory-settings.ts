// SettingsStore in memory: one JSON document per tenant, never expiring.
import type { SettingsStore } from './settings.js';

export class MemorySettings implements SettingsStore {
  readonly #settings = new Map<string, string>();

  async getTenantSettings(tenant: string): Promise<string | null> {
    return this.#settings.get(tenant) ?? null;
  }

  async setTenantSettings(tenant: string, json: string): Promise<void> {
    this.#settings.set(tenant, json);
  }
}
