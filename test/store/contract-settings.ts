// The SettingsStore contract (settings.ts): tenant settings saved through the API.
// Every implementation passes it on every backend.
import type { Test } from 'tap';
import type { SettingsStore } from '../../src/store/settings.js';
import { suite, type MakeStore } from './contract-fixture.js';

export function runSettingsContract(t: Test, name: string, make: MakeStore<SettingsStore>): void {
  const test = suite(t, name, 'settings', make);
  test('round trip, per tenant', async (t, { store }) => {
    t.equal(await store.getTenantSettings('acme'), null);
    await store.setTenantSettings('acme', '{"idleTimeout":"30m"}');
    t.equal(await store.getTenantSettings('acme'), '{"idleTimeout":"30m"}');
    await store.setTenantSettings('acme', '{"idleTimeout":"10m"}');
    t.equal(await store.getTenantSettings('acme'), '{"idleTimeout":"10m"}', 'replaced');
    t.equal(await store.getTenantSettings('globex'), null, 'per tenant');
  });

  test('kept as given and never expire', async (t, { store, clock }) => {
    const json = JSON.stringify({ name: 'Ünïcode ✓ "quoted" \\ tab\t', pad: 'x'.repeat(64 * 1024) });
    await store.setTenantSettings('acme', json);
    clock.advance(400 * 24 * 60 * 60_000);
    t.equal(await store.getTenantSettings('acme'), json, 'byte for byte, a year later');
  });
}
