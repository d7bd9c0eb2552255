// The in-memory store: the shared contract plus its own sweep and factory behaviour.
import t from 'tap';
import pino from 'pino';
import { createStore } from '../../src/store/index.js';
import { MemoryStore } from '../../src/store/memory.js';
import { ManualClock } from '../../src/util/clock.js';
import { runStoreContract, sessionFor } from './contract.js';

runStoreContract(t, 'memory', async () => {
  const clock = new ManualClock();
  const store = new MemoryStore({ clock });
  return { store, clock, cleanup: () => store.close() };
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
  t.same(await store.deleteUserSessions('acme', 'u1'), [remember.id], 'the index forgot the swept session');
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
