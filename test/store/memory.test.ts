// The in-memory store: every concern's contract on the composed store and on the concern
// implementations alone, plus its own sweep and factory behaviour.
import t from 'tap';
import pino from 'pino';
import { createStore } from '../../src/store/index.js';
import { MemoryEvents } from '../../src/store/memory-events.js';
import { MemorySettings } from '../../src/store/memory-settings.js';
import { MemoryThrottle } from '../../src/store/memory-throttle.js';
import { MemoryStore } from '../../src/store/memory.js';
import { ManualClock } from '../../src/util/clock.js';
import { runEventsContract } from './contract-events.js';
import { runSettingsContract } from './contract-settings.js';
import { runThrottleContract } from './contract-throttle.js';
import { runStoreContract, sessionFor } from './contract.js';

runStoreContract(t, 'memory', async () => {
  const clock = new ManualClock();
  const store = new MemoryStore({ clock });
  return { store, clock, cleanup: () => store.close() };
});

// A concern stands on its own: nothing of it depends on the composite around it.
const alone = <S>(store: S, cleanup = async (): Promise<void> => {}) => ({ store, clock: new ManualClock(), cleanup });
runThrottleContract(t, 'memory (alone)', async () => alone(new MemoryThrottle()));
runSettingsContract(t, 'memory (alone)', async () => alone(new MemorySettings()));
runEventsContract(t, 'memory (alone)', async () => {
  const events = new MemoryEvents();
  return alone(events, async () => events.clear());
});

t.test('the sweep drops dead sessions and keeps live ones', async (t) => {
  const clock = new ManualClock();
  const store = new MemoryStore({ clock });
  t.teardown(() => store.close());
  const idle = sessionFor(clock);
  const remember = sessionFor(clock, { idleTimeoutMs: null, rememberMe: true });
  await store.createSession(idle, { max: 0, policy: 'reject' }, clock.now());
  await store.createSession(remember, { max: 0, policy: 'reject' }, clock.now());
  t.equal(store.sweep(), 0);
  clock.advance(31 * 60_000);
  t.equal(store.sweep(), 1);
  t.equal(await store.getSession('acme', idle.id), null);
  t.ok(await store.getSession('acme', remember.id));
  t.same(
    (await store.deleteUserSessions('acme', 'u1')).map((s) => s.id),
    [remember.id],
    'the index forgot the swept session',
  );
});

t.test('codes and denied tokens expire by the clock; the sweep drops expired token state', async (t) => {
  const clock = new ManualClock();
  const store = new MemoryStore({ clock });
  t.teardown(() => store.close());
  await store.saveAuthCode('acme', 'c1', 'p1', 60_000);
  await store.saveAuthCode('acme', 'c2', 'p2', 60_000);
  await store.denyToken('acme', 'j1', clock.now() + 60_000, clock.now());
  const s = sessionFor(clock, { kind: 'token', idleTimeoutMs: null });
  await store.createSession(s, { max: 0, policy: 'reject' }, clock.now());
  await store.saveRefreshChain(
    'acme',
    s.id,
    { clientId: 'c', currentHash: 'h0', expiresAt: clock.now() + 60_000 },
    clock.now(),
  );
  t.equal(await store.takeAuthCode('acme', 'c1'), 'p1');
  clock.advance(60_000);
  t.equal(await store.takeAuthCode('acme', 'c2'), null, 'an expired code is not handed out');
  t.equal(await store.isTokenDenied('acme', 'j1'), false, 'denied until its exp only');
  t.ok(await store.getRefreshChain('acme', s.id), 'an expired chain is kept until the sweep (rotation refuses it)');
  store.sweep();
  t.equal(await store.getRefreshChain('acme', s.id), null);
  t.ok(await store.getSession('acme', s.id), 'the session itself lives on');
});

t.test('events: a throwing handler does not stop the others', async (t) => {
  const store = new MemoryStore({ clock: new ManualClock() });
  t.teardown(() => store.close());
  const warned = new Promise<Error>((resolve) => process.once('warning', resolve));
  await store.subscribe(
    () => {
      throw new Error('boom');
    },
    () => {},
  );
  const got = new Promise<string>((resolve) => void store.subscribe(resolve, () => {}));
  await store.publish('m');
  t.equal(await got, 'm');
  t.match((await warned).message, /boom/);
});

t.test('the sweep runs on its timer', async (t) => {
  const clock = new ManualClock();
  const store = new MemoryStore({ clock, sweepIntervalMs: 5 });
  t.teardown(() => store.close());
  const s = sessionFor(clock);
  await store.createSession(s, { max: 0, policy: 'reject' }, clock.now());
  clock.advance(31 * 60_000);
  // Await the timer's own sweep call. The store's timer is unref'd, so a guard timer
  // keeps the process alive meanwhile (and fails the test if the sweep never comes).
  const sweep = store.sweep.bind(store);
  let guard: NodeJS.Timeout | undefined;
  const swept = new Promise<number>((resolve, reject) => {
    guard = setTimeout(() => reject(new Error('no sweep within 5s')), 5000);
    store.sweep = () => {
      const n = sweep();
      resolve(n);
      return n;
    };
  });
  t.equal(await swept, 1);
  clearTimeout(guard);
  t.equal(await store.getSession('acme', s.id), null);
});

t.test('createStore picks memory without redis and says so', async (t) => {
  const lines: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
  const store = createStore({ redis: null, keyPrefix: 'gk:' }, { clock: new ManualClock(), log });
  t.teardown(() => store.close());
  t.equal(store.kind, 'memory');
  t.match(lines.join(''), /in-memory session store/);
});
