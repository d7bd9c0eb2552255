// A Redis over its maxmemory (noeviction): the scripts that add data are refused before
// they run (StoreUnavailableError → 503, nothing half written), the ones that delete or
// overwrite still run — a revocation must work on a full Redis — and plain reads go on.
import t from 'tap';
import { Redis } from 'ioredis';
import pino from 'pino';
import { RedisStore } from '../../src/store/redis.js';
import { StoreUnavailableError } from '../../src/store/types.js';
import { ManualClock } from '../../src/util/clock.js';
import { startRedis } from '../helpers/redis.js';
import { sessionFor } from './contract-fixture.js';

const log = pino({ level: 'silent' });
const unlimited = { max: 0, policy: 'evict-oldest' } as const;
const MIN = 60_000;
const rule = { windowMs: 15 * MIN, maxFailures: 5, lockoutMs: 10 * MIN, inFlightMs: MIN };

const server = await startRedis({ args: ['--maxmemory-policy', 'noeviction'] });
t.teardown(() => server.stop());

/**
 * Puts Redis over its maxmemory: 2 MiB of junk, then a limit 512 KiB below what it uses (as
 * when an operator lowers it, or a replica's dataset outgrows it). Only then does Redis refuse
 * small writes; a write near the limit is refused for its own size but leaves Redis under it.
 */
async function overMaxmemory(raw: Redis): Promise<string[]> {
  const junk = Array.from({ length: 32 }, (_, i) => `junk:${i}`);
  for (const key of junk) await raw.set(key, 'x'.repeat(64 * 1024));
  const used = Number(/used_memory:(\d+)/.exec(await raw.info('memory'))![1]);
  await raw.config('SET', 'maxmemory', String(used - 512 * 1024));
  return junk;
}

t.test('over maxmemory: adding is refused whole, deleting and reading go on', async (t) => {
  const clock = new ManualClock();
  const store = new RedisStore({ url: server.url }, { keyPrefix: 'gk:oom:', log });
  const raw = new Redis(server.url);
  t.teardown(async () => {
    await store.close();
    await raw.quit();
  });
  const kept = sessionFor(clock, { userId: 'u1' });
  const gone = sessionFor(clock, { userId: 'u1' });
  const other = sessionFor(clock, { userId: 'u2' });
  for (const s of [kept, gone, other])
    t.strictSame(await store.createSession(s, unlimited, clock.now()), { ok: true, evicted: [] });
  const keysBefore = (await raw.keys('gk:oom:*')).sort();

  const junk = await overMaxmemory(raw);
  await t.rejects(raw.set('probe', '1'), /OOM/, 'Redis refuses a plain write now');

  const refused = sessionFor(clock, { userId: 'u1' });
  await t.rejects(store.createSession(refused, unlimited, clock.now()), StoreUnavailableError, 'a login is refused');
  await t.rejects(
    store.admitAttempt('acme', { subject: 'u:alice', source: 'ip:1', id: 'a1' }, rule, clock.now()),
    StoreUnavailableError,
    'a password check is not admitted',
  );
  await t.rejects(
    store.saveRefreshChain(
      'acme',
      kept.id,
      { clientId: 'c', currentHash: 'h0', expiresAt: clock.now() + MIN },
      clock.now(),
    ),
    StoreUnavailableError,
    'no refresh chain is started',
  );
  t.strictSame((await raw.keys('gk:oom:*')).sort(), keysBefore, 'nothing was half written');

  t.equal((await store.getSession('acme', kept.id))?.id, kept.id, 'a session is still read');
  clock.advance(1_000);
  t.equal(
    await store.updateSession('acme', kept.id, { lastActiveAt: clock.now() }, clock.now()),
    true,
    'activity is recorded',
  );
  t.equal(await store.deleteSession('acme', gone.id), true, 'one session is revoked');
  t.equal(await store.getSession('acme', gone.id), null);
  const removed = await store.deleteUserSessions('acme', 'u2');
  t.strictSame(
    removed.map((s) => s.id),
    [other.id],
    'revoke-all runs',
  );
  t.strictSame(
    (await store.listUserSessions('acme', 'u1', clock.now())).map((s) => s.id),
    [kept.id],
    'the index holds only what is left',
  );

  await raw.config('SET', 'maxmemory', '0');
  await raw.del(...junk);
  t.strictSame(
    await store.createSession(refused, unlimited, clock.now()),
    { ok: true, evicted: [] },
    'with memory back, logins work again',
  );
});
