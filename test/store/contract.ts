// The whole SessionStore contract: every concern's suite (contract-sessions.ts,
// contract-tokens.ts, contract-throttle.ts, contract-settings.ts, contract-events.ts) and the
// lifecycle, run by each backend's test file on a fresh store per test.
import type { Test } from 'tap';
import { runEventsContract } from './contract-events.js';
import { suite, type MakeStore } from './contract-fixture.js';
import { runSessionsContract } from './contract-sessions.js';
import { runSettingsContract } from './contract-settings.js';
import { runThrottleContract } from './contract-throttle.js';
import { runTokensContract } from './contract-tokens.js';

export { sessionFor, type StoreFixture } from './contract-fixture.js';

export function runStoreContract(t: Test, name: string, make: MakeStore): void {
  runSessionsContract(t, name, make);
  runTokensContract(t, name, make);
  runThrottleContract(t, name, make);
  runSettingsContract(t, name, make);
  runEventsContract(t, name, make);

  const test = suite(t, name, 'lifecycle', make);
  test('ping answers; once subscribed, cached answers may stand in', async (t, { store }) => {
    await t.resolves(store.ping());
    const off = await store.subscribe(
      () => {},
      () => {},
    );
    t.equal(store.canServeCached(), true);
    await off();
  });
}
