// The tenant-settings concern of the store: the settings saved through the API, as JSON,
// one document per tenant, never expiring (SPEC §4). Memory and Redis implementations sit
// beside it (memory-settings.ts, redis-settings.ts); both pass test/store/contract-settings.ts.

export interface SettingsStore {
  getTenantSettings(tenant: string): Promise<string | null>;
  setTenantSettings(tenant: string, json: string): Promise<void>;
}
