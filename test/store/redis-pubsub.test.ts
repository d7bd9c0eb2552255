// Redis store events across instances: the channel name, losing the subscription (Redis
// restarted, the connection killed, on a standalone server and on a Cluster), onReconnect
// and delivery afterwards, and a subscriber that close() really closes.
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import t, { type Test } from 'tap';
import { Redis } from 'ioredis';
import pino from 'pino';
import type { RedisConfig } from '../../src/config/types.js';
import { RedisStore } from '../../src/store/redis.js';
import { StoreUnavailableError } from '../../src/store/types.js';
import { freePort } from '../helpers/net.js';
import { redisCli, startCluster, startRedis, startSentinel } from '../helpers/redis.js';
import { Inbox } from './contract-events.js';

const log = pino({ level: 'silent' });

/** Two instances on one backend; B listens and counts its reconnects. */
async function pair(t: Test, cfg: RedisConfig, keyPrefix: string) {
  const a = new RedisStore(cfg, { keyPrefix, log });
  const b = new RedisStore(cfg, { keyPrefix, log });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  await a.ping();
  const inbox = new Inbox();
  let reconnects = 0;
  let wake: (() => void) | null = null;
  const unsubscribe = await b.subscribe(inbox.push, () => {
    reconnects++;
    wake?.();
  });
  /** Resolves at B's next onReconnect. */
  const reconnected = (): Promise<void> => new Promise((resolve) => (wake = resolve));
  return { a, b, inbox, unsubscribe, reconnected, reconnects: () => reconnects };
}

/** Until the server lists no pub/sub client (closing is asynchronous on the server side). */
async function noSubscribers(port: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if ((await redisCli(port, 'client', 'list', 'type', 'pubsub')).trim() === '') return true;
    await delay(50);
  }
  return false;
}

const server = await startRedis();
t.teardown(() => server.stop());

t.test('the channel is <keyPrefix>events, prefixed once', async (t) => {
  const { a, inbox } = await pair(t, { url: server.url }, 'gk:ps1:');
  const raw = new Redis(server.url);
  t.teardown(() => raw.disconnect());
  await raw.subscribe('gk:ps1:events');
  const rawGot = once(raw, 'message');
  await a.publish('hello');
  t.equal(await inbox.next(), 'hello');
  t.same(await rawGot, ['gk:ps1:events', 'hello']);
});

t.test('subscription connection killed: onReconnect, then messages flow again', async (t) => {
  const { a, inbox, reconnected, reconnects } = await pair(t, { url: server.url }, 'gk:ps2:');
  await a.publish('before');
  t.equal(await inbox.next(), 'before');
  t.equal(reconnects(), 0, 'the first connect is no reconnect');
  const back = reconnected();
  await redisCli(server.port, 'client', 'kill', 'type', 'pubsub');
  await back;
  await a.publish('after');
  t.equal(await inbox.next('message after the reconnect'), 'after');
  t.equal(reconnects(), 1);
});

t.test('cached answers are only good while both connections are up (canServeCached)', async (t) => {
  const { b, reconnected } = await pair(t, { url: server.url }, 'gk:ps5:');
  t.equal(b.canServeCached(), true, 'connected and subscribed');
  const lonely = new RedisStore({ url: server.url }, { keyPrefix: 'gk:ps5:', log });
  t.teardown(() => lonely.close());
  await lonely.ping();
  t.equal(lonely.canServeCached(), false, 'connected but never subscribed: it would not hear revocations');

  const back = reconnected();
  let sawDown = false;
  let done = false;
  void back.then(() => (done = true));
  // Watch every event-loop turn from before the kill until the subscription is back
  // (bounded by that event, and by a turn count).
  const watching = (async () => {
    for (let turns = 0; !done && turns < 5_000_000; turns++) {
      if (!b.canServeCached()) sawDown = true;
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  await redisCli(server.port, 'client', 'kill', 'type', 'pubsub');
  await back;
  await watching;
  t.ok(sawDown, 'false between losing the subscription and having it again');
  t.equal(b.canServeCached(), true, 'true again once re-subscribed');
});

t.test('close() closes the subscriber connection; later subscribe calls reject', async (t) => {
  const store = new RedisStore({ url: server.url }, { keyPrefix: 'gk:ps3:', log });
  const off = await store.subscribe(
    () => {},
    () => {},
  );
  t.match(await redisCli(server.port, 'client', 'list', 'type', 'pubsub'), /sub=1/);
  await off();
  await store.close();
  t.ok(await noSubscribers(server.port), 'no pub/sub connection left');
  await t.rejects(
    store.subscribe(
      () => {},
      () => {},
    ),
    StoreUnavailableError,
  );
});

t.test('Redis unreachable: subscribe rejects instead of hanging', async (t) => {
  const port = await freePort(); // nobody listens here
  const store = new RedisStore({ url: `redis://127.0.0.1:${port}` }, { keyPrefix: 'gk:', log });
  t.teardown(() => store.close());
  await t.rejects(
    store.subscribe(
      () => {},
      () => {},
    ),
    StoreUnavailableError,
  );
  await t.rejects(store.publish('m'), StoreUnavailableError);
});

t.test('cluster: delivery between instances, and after the subscriber connection is killed', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.stop());
  const { a, inbox, reconnected, reconnects } = await pair(t, { cluster: cluster.nodes }, 'gk:');
  for (let i = 0; i < 3; i++) {
    await a.publish(`m${i}`);
    t.equal(await inbox.next(), `m${i}`);
  }
  const back = reconnected();
  await Promise.all(cluster.nodes.map((node) => redisCli(node.port, 'client', 'kill', 'type', 'pubsub')));
  await back;
  await a.publish('after');
  t.equal(await inbox.next('message after the reconnect'), 'after');
  t.equal(reconnects(), 1);
});

t.test('sentinel: delivery between instances, and after the subscriber connection is killed', async (t) => {
  const sentinel = await startSentinel();
  t.teardown(() => sentinel.stop());
  const { a, inbox, reconnected } = await pair(t, { sentinels: sentinel.sentinels, name: sentinel.name }, 'gk:');
  await a.publish('one');
  t.equal(await inbox.next(), 'one');
  const back = reconnected();
  await redisCli(sentinel.master.port, 'client', 'kill', 'type', 'pubsub');
  await back;
  await a.publish('two');
  t.equal(await inbox.next('message after the reconnect'), 'two');
});

// Last: it takes the shared server down.
t.test('redis-server killed and restarted: onReconnect, then messages flow again', async (t) => {
  const { a, b, inbox, unsubscribe, reconnected, reconnects } = await pair(t, { url: server.url }, 'gk:ps4:');
  await a.publish('before');
  t.equal(await inbox.next(), 'before');
  const back = reconnected();
  await server.kill();
  await t.rejects(a.publish('lost'), StoreUnavailableError, 'publish fails fast while Redis is down');
  await server.restart();
  await back;
  t.pass('onReconnect ran');
  if (a.client.status !== 'ready') await once(a.client, 'ready');
  await a.publish('after');
  t.equal(await inbox.next('message after the restart'), 'after');
  t.equal(reconnects(), 1, 'one outage, one onReconnect');
  t.same(inbox.messages, ['before', 'after']);

  await unsubscribe();
  const other = new Inbox();
  await b.subscribe(other.push, () => {});
  await a.publish('last');
  t.equal(await other.next(), 'last');
  t.same(inbox.messages, ['before', 'after'], 'an unsubscribed handler gets nothing more');
});
