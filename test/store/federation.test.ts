// The FederationStore contract (SPEC §12 storage), run on the memory implementation and on
// Redis (a private redis-server): users seen at an IdP, the IdP session → users index,
// one-time login flows and one-time marks, each kept per tenant; then what each does with
// time (memory: the injected clock; Redis: PX on every key).
import t, { type Test } from 'tap';
import { Redis } from 'ioredis';
import type { FederationStore, IdpUserRecord } from '../../src/store/federation.js';
import { MemoryFederation } from '../../src/store/memory-federation.js';
import { RedisFederation } from '../../src/store/redis-federation.js';
import { ManualClock } from '../../src/util/clock.js';
import { startRedis } from '../helpers/redis.js';

const MIN = 60_000;
const server = await startRedis();
t.teardown(() => server.stop());

const carol = (over: Partial<IdpUserRecord> = {}): IdpUserRecord => ({
  id: 'corp:carol',
  provider: 'corp',
  username: 'carol',
  email: 'carol@corp.test',
  name: 'Carol',
  roles: ['admin'],
  lastLoginAt: 1,
  ...over,
});

let n = 0;
const makers: [string, () => Promise<{ store: FederationStore; close: () => Promise<void> }>][] = [
  ['memory', async () => ({ store: new MemoryFederation(new ManualClock()), close: async () => {} })],
  [
    'redis',
    async () => {
      const client = new Redis(server.url, { keyPrefix: `gk:f${++n}:` });
      return { store: new RedisFederation(client), close: async () => void (await client.quit()) };
    },
  ],
];

for (const [name, make] of makers) {
  const test = (title: string, body: (t: Test, f: FederationStore) => Promise<void>): void => {
    void t.test(`${name}: ${title}`, async (t) => {
      const { store, close } = await make();
      t.teardown(close);
      await body(t, store);
    });
  };

  test('users seen at an IdP: saved, replaced at the next login, listed per tenant', async (t, f) => {
    await f.saveIdpUser('acme', carol());
    await f.saveIdpUser('acme', carol({ roles: [], lastLoginAt: 2 }));
    await f.saveIdpUser('acme', carol({ id: 'corp:dave', username: 'dave' }));
    await f.saveIdpUser('globex', carol({ name: 'Other Carol' }));
    t.same(await f.getIdpUser('acme', 'corp:carol'), carol({ roles: [], lastLoginAt: 2 }));
    t.equal(await f.getIdpUser('acme', 'corp:nobody'), null);
    t.same((await f.listIdpUsers('acme')).map((u) => u.id).sort(), ['corp:carol', 'corp:dave']);
    t.same(
      (await f.listIdpUsers('globex')).map((u) => u.name),
      ['Other Carol'],
    );
  });

  test('the IdP session index: users per (tenant, provider, sid), each once', async (t, f) => {
    await f.linkIdpSession('acme', 'corp', 'sid-1', 'corp:carol', 10 * MIN);
    await f.linkIdpSession('acme', 'corp', 'sid-1', 'corp:carol', 5 * MIN);
    await f.linkIdpSession('acme', 'corp', 'sid-1', 'corp:dave', MIN);
    t.same((await f.idpSessionUsers('acme', 'corp', 'sid-1')).sort(), ['corp:carol', 'corp:dave']);
    t.same(await f.idpSessionUsers('acme', 'corp', 'sid-2'), []);
    t.same(await f.idpSessionUsers('acme', 'other', 'sid-1'), []);
    t.same(await f.idpSessionUsers('globex', 'corp', 'sid-1'), []);
  });

  test('a login flow is taken once, and only in its tenant', async (t, f) => {
    await f.saveFlow('acme', 'h1', '{"a":1}', 10 * MIN);
    t.equal(await f.takeFlow('globex', 'h1'), null);
    t.equal(await f.peekFlow('globex', 'h1'), null, 'another tenant sees nothing');
    t.equal(await f.peekFlow('acme', 'h1'), '{"a":1}', 'peek reads');
    t.equal(await f.peekFlow('acme', 'h1'), '{"a":1}', 'and does not use it');
    t.equal(await f.takeFlow('acme', 'h1'), '{"a":1}');
    t.equal(await f.peekFlow('acme', 'h1'), null, 'gone once taken');
    t.equal(await f.takeFlow('acme', 'h1'), null, 'used');
    await f.saveFlow('acme', 'h2', 'x', 10 * MIN);
    const takes = await Promise.all(Array.from({ length: 10 }, () => f.takeFlow('acme', 'h2')));
    t.equal(takes.filter((v) => v !== null).length, 1, 'ten takes at once: one gets it');
  });

  test('a one-time mark is true once, also when raced, and per tenant', async (t, f) => {
    const marks = await Promise.all(Array.from({ length: 10 }, () => f.markOnce('acme', 'bcl:corp:j1', MIN)));
    t.equal(marks.filter(Boolean).length, 1);
    t.equal(await f.markOnce('globex', 'bcl:corp:j1', MIN), true);
  });
}

t.test(
  'memory: flows, marks and the index expire by the injected clock; a shorter link never shortens the index',
  async (t) => {
    const clock = new ManualClock();
    const f = new MemoryFederation(clock);
    await f.saveFlow('acme', 'h', 'x', MIN);
    await f.linkIdpSession('acme', 'corp', 's', 'corp:carol', 10 * MIN);
    await f.linkIdpSession('acme', 'corp', 's', 'corp:dave', MIN);
    t.equal(await f.markOnce('acme', 'k', MIN), true);
    clock.advance(MIN);
    t.equal(await f.takeFlow('acme', 'h'), null, 'the flow expired');
    t.equal(await f.markOnce('acme', 'k', MIN), true, 'the mark expired');
    t.same(
      (await f.idpSessionUsers('acme', 'corp', 's')).sort(),
      ['corp:carol', 'corp:dave'],
      'the index lives as long as its longest link',
    );
    clock.advance(9 * MIN);
    t.same(await f.idpSessionUsers('acme', 'corp', 's'), []);
  },
);

t.test(
  'redis: flows, marks and the index carry a TTL (a shorter link never shortens it); the users seen do not',
  async (t) => {
    const client = new Redis(server.url, { keyPrefix: 'gk:ttl:' });
    const raw = new Redis(server.url);
    t.teardown(async () => void (await Promise.all([client.quit(), raw.quit()])));
    const f = new RedisFederation(client);
    await f.linkIdpSession('acme', 'corp', 's', 'corp:carol', 10 * MIN);
    await f.linkIdpSession('acme', 'corp', 's', 'corp:dave', MIN);
    await f.saveFlow('acme', 'h', 'x', MIN);
    await f.markOnce('acme', 'k', MIN);
    await f.saveIdpUser('acme', carol());
    const pttl = (k: string): Promise<number> => raw.pttl(`gk:ttl:{acme}:${k}`);
    t.ok((await pttl('sidu:corp:s')) > 9 * MIN, 'the index keeps the longer TTL');
    for (const k of ['flow:h', 'once:k']) {
      const ms = await pttl(k);
      t.ok(ms > 0 && ms <= MIN, `${k} expires (${ms} ms)`);
    }
    t.equal(await raw.ttl('gk:ttl:{acme}:idpu'), -1, 'the users seen (the admin list) do not expire');
  },
);
