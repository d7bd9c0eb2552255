// The revocation bus on its own, with two instances on one real memory store (its events
// are delivered in-process like Redis pub/sub): a revocation is enforced here at once and
// reaches the other instance; session and settings changes reach it; malformed messages
// are ignored; a reconnect tells every listener to drop positive caches.
import t from 'tap';
import { RevocationBus, type BusListener } from '../../src/revocation/bus.js';
import { RevocationCache } from '../../src/revocation/cache.js';
import { createStore } from '../../src/store/index.js';
import type { EventsStore } from '../../src/store/types.js';
import { ManualClock } from '../../src/util/clock.js';
import { createLogger } from '../../src/util/log.js';
import { Writable } from 'node:stream';

type Teardown = { teardown(fn: () => unknown): void };

interface Instance {
  bus: RevocationBus;
  lru: RevocationCache;
  events: string[];
  /** Resolves at the next listener call whose text starts with `prefix`. */
  next(prefix: string): Promise<string>;
  delays: number[];
  warnings: string[];
}

function instance(t: Teardown, store: EventsStore, clock: ManualClock): Instance {
  const lru = new RevocationCache();
  const events: string[] = [];
  const delays: number[] = [];
  const warnings: string[] = [];
  const waiting: Array<{ prefix: string; resolve: (e: string) => void }> = [];
  const log = createLogger({
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        warnings.push(String((JSON.parse(chunk.toString()) as { msg: string }).msg));
        done();
      },
    }),
  });
  const bus = new RevocationBus(
    store,
    lru,
    log,
    () => clock.now(),
    (ms) => delays.push(ms),
  );
  const note = (e: string) => {
    events.push(e);
    for (const w of waiting.splice(0))
      if (e.startsWith(w.prefix)) w.resolve(e);
      else waiting.push(w);
  };
  const listener: BusListener = {
    onRevoked: (kind, id) => note(`revoked ${kind} ${id}`),
    onSessionChanged: (id) => note(`changed ${id}`),
    onSettingsChanged: (tenant) => note(`settings ${tenant}`),
    onReconnect: () => note('reconnect'),
  };
  bus.listen(listener);
  t.teardown(() => bus.stop());
  return {
    bus,
    lru,
    events,
    delays,
    warnings,
    next: (prefix) => new Promise((resolve) => waiting.push({ prefix, resolve })),
  };
}

async function pair(t: Teardown) {
  const clock = new ManualClock();
  const store = createStore({ redis: null, keyPrefix: 'gk:' }, { clock, log: createLogger({ level: 'silent' }) });
  t.teardown(() => store.close());
  const a = instance(t, store, clock);
  const b = instance(t, store, clock);
  await a.bus.start();
  await b.bus.start();
  return { clock, store, a, b };
}

t.test('a revocation is enforced here at once, then on the other instance', async (t) => {
  const { a, b } = await pair(t);
  const there = b.next('revoked');
  const sent = a.bus.revoke('sid', 'sess_1');
  t.ok(a.lru.has('sess_1'), 'in this LRU before the message is even published');
  t.same(a.events, ['revoked sid sess_1'], 'local listeners ran synchronously');
  t.notOk(b.lru.has('sess_1'), 'not yet elsewhere');
  await sent;
  t.equal(await there, 'revoked sid sess_1');
  t.ok(b.lru.has('sess_1'), 'the other instance refuses it too');
  const jti = b.next('revoked jti');
  await a.bus.revoke('jti', 'jti_9');
  t.equal(await jti, 'revoked jti jti_9');
  t.ok(b.lru.has('jti_9'));
});

t.test('session and settings changes reach the other instance', async (t) => {
  const { a, b } = await pair(t);
  const changed = b.next('changed');
  await a.bus.sessionChanged('sess_2');
  t.ok(a.events.includes('changed sess_2'), 'this instance at once');
  t.equal(await changed, 'changed sess_2');
  t.notOk(b.lru.has('sess_2'), 'a change is not a revocation');
  const settings = b.next('settings');
  await a.bus.settingsChanged('acme');
  t.equal(await settings, 'settings acme');
});

t.test('the propagation delay is measured from the sender clock', async (t) => {
  const { clock, store, b } = await pair(t);
  const got = b.next('revoked');
  await store.publish(JSON.stringify({ t: 'sid', id: 'sess_3', at: clock.now() - 40 }));
  await got;
  t.same(b.delays, [40]);
  const again = b.next('revoked');
  await store.publish(JSON.stringify({ t: 'sid', id: 'sess_4', at: clock.now() + 5000 }));
  await again;
  t.same(b.delays, [40, 0], 'a sender clock ahead never gives a negative delay');
});

t.test('malformed or mistyped messages change nothing', async (t) => {
  const { store, b } = await pair(t);
  for (const raw of [
    'not json',
    JSON.stringify({ t: 'sid', id: 5, at: 1 }),
    JSON.stringify({ t: 'drop-all', id: 'x', at: 1 }),
    JSON.stringify({ t: 'settings', tenant: null, at: 1 }),
    JSON.stringify({ t: 'changed', at: 1 }),
  ])
    await store.publish(raw);
  // A well-formed message after them: once it has arrived, the ones before have been handled.
  const last = b.next('revoked');
  await store.publish(JSON.stringify({ t: 'sid', id: 'sess_ok', at: 1 }));
  await last;
  t.same(b.events, ['revoked sid sess_ok'], 'only the well-formed message reached the listeners');
  t.equal(b.lru.size, 1);
  t.same(b.warnings, ['ignoring a malformed bus message']);
});

t.test('a reconnect tells every listener to drop positive caches', async (t) => {
  let reconnect: (() => void) | undefined;
  const store: EventsStore = {
    publish: async () => {},
    subscribe: async (_onMessage, onReconnect) => {
      reconnect = onReconnect;
      return async () => {};
    },
  };
  const a = instance(t, store, new ManualClock());
  await a.bus.start();
  t.ok(reconnect, 'subscribed');
  reconnect!();
  t.same(a.events, ['reconnect']);
  t.match(a.warnings, [/reconnected/]);
});

t.test('a store that cannot subscribe does not stop the start; the failure is logged', async (t) => {
  const store: EventsStore = {
    publish: async () => {},
    subscribe: () => Promise.reject(new Error('redis down')),
  };
  const a = instance(t, store, new ManualClock());
  await a.bus.start();
  t.match(a.warnings, [/could not subscribe to the revocation channel/]);
  await a.bus.stop(); // cancels the retry
});
