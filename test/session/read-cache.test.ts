// The session read cache on a real (memory) store and a manual clock: what it answers from
// memory, for how long, and everything that makes it go back to the store. "Behind the
// cache's back" below means a change made in the store without telling the bus — the only
// way to see whether an answer came from the cache.
import t from 'tap';
import { READ_CACHE_TTL_MS, SessionReadCache } from '../../src/session/read-cache.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { SessionStore } from '../../src/store/types.js';
import { ManualClock } from '../../src/util/clock.js';
import { sessionFor } from '../store/contract.js';

const MIN = 60_000;

async function fixture(): Promise<{ clock: ManualClock; store: MemoryStore; cache: SessionReadCache }> {
  const clock = new ManualClock();
  const store = new MemoryStore({ clock });
  t.teardown(() => store.close());
  return { clock, store, cache: new SessionReadCache(clock) };
}

async function saved(f: { clock: ManualClock; store: MemoryStore }, over = {}) {
  const s = sessionFor(f.clock, over);
  await f.store.createSession(s, { max: 0, policy: 'evict-oldest' }, f.clock.now());
  return s;
}

t.test('a hit is answered from memory for at most the TTL, then the store decides', async (t) => {
  const f = await fixture();
  const s = await saved(f);
  t.same(await f.cache.session(f.store, 'acme', s.id), s, 'first read: from the store');
  await f.store.deleteSession('acme', s.id); // behind the cache's back
  t.same(await f.cache.session(f.store, 'acme', s.id), s, 'within the TTL: from the cache');
  t.equal(f.cache.hits, 1);
  f.clock.advance(READ_CACHE_TTL_MS);
  t.equal(await f.cache.session(f.store, 'acme', s.id), null, 'at the TTL: the store says it is gone');
  t.equal(await f.cache.session(f.store, 'acme', s.id), null, 'and a miss is not cached');
});

t.test('forget (a revocation or a change heard on the bus) goes back to the store at once', async (t) => {
  const f = await fixture();
  const s = await saved(f);
  await f.cache.session(f.store, 'acme', s.id);
  await f.store.deleteSession('acme', s.id);
  f.cache.forget(s.id);
  t.equal(await f.cache.session(f.store, 'acme', s.id), null);
});

t.test('clear (pub/sub reconnect, settings change) drops sessions and jti answers', async (t) => {
  const f = await fixture();
  const s = await saved(f);
  await f.cache.session(f.store, 'acme', s.id);
  t.equal(await f.cache.tokenDenied(f.store, 'acme', 'jti-1'), false);
  await f.store.deleteSession('acme', s.id);
  await f.store.denyToken('acme', 'jti-1', f.clock.now() + 10 * MIN, f.clock.now());
  f.cache.clear();
  t.equal(await f.cache.session(f.store, 'acme', s.id), null);
  t.equal(await f.cache.tokenDenied(f.store, 'acme', 'jti-1'), true);
});

t.test('an entry never outlives the moment its session could expire', async (t) => {
  const f = await fixture();
  // Idle timeout 3 s: the session can die before the cache TTL runs out.
  const s = await saved(f, { idleTimeoutMs: 3_000 });
  await f.cache.session(f.store, 'acme', s.id);
  await f.store.deleteSession('acme', s.id); // behind the cache's back
  f.clock.advance(2_999);
  t.same(await f.cache.session(f.store, 'acme', s.id), s, 'just before: cached');
  f.clock.advance(1);
  const hits = f.cache.hits;
  t.equal(await f.cache.session(f.store, 'acme', s.id), null, 'at the idle expiry: read from the store again');
  t.equal(f.cache.hits, hits, 'not a hit');
});

t.test('recorded activity follows in the cached copy without extending its life', async (t) => {
  const f = await fixture();
  const s = await saved(f);
  await f.cache.session(f.store, 'acme', s.id);
  f.clock.advance(1_000);
  f.cache.touched('acme', s.id, f.clock.now());
  const got = await f.cache.session(f.store, 'acme', s.id);
  t.equal(got!.lastActiveAt, f.clock.now(), 'the cached copy shows the new activity');
  await f.store.deleteSession('acme', s.id);
  f.clock.advance(READ_CACHE_TTL_MS - 1_000);
  t.equal(await f.cache.session(f.store, 'acme', s.id), null, 'still gone TTL after the first read');
});

t.test('another tenant never gets a cached record', async (t) => {
  const f = await fixture();
  const s = await saved(f);
  await f.cache.session(f.store, 'acme', s.id);
  t.equal(await f.cache.session(f.store, 'globex', s.id), null, 'same id under globex: a miss, and the store says no');
});

t.test('nothing is answered from the cache while the store says it is unreachable', async (t) => {
  const f = await fixture();
  const s = await saved(f);
  await f.cache.session(f.store, 'acme', s.id);
  t.equal(await f.cache.tokenDenied(f.store, 'acme', 'jti-1'), false);
  const down = Object.assign(Object.create(f.store) as SessionStore, {
    canServeCached: () => false,
    getSession: () => Promise.reject(new Error('down')),
    isTokenDenied: () => Promise.reject(new Error('down')),
  });
  await t.rejects(f.cache.session(down, 'acme', s.id), /down/, 'the session read goes to the (failing) store');
  await t.rejects(f.cache.tokenDenied(down, 'acme', 'jti-1'), /down/, 'so does the jti check');
});

t.test('a denied jti is never cached as allowed; an allowed one is, for the TTL', async (t) => {
  const f = await fixture();
  await f.store.denyToken('acme', 'jti-d', f.clock.now() + 10 * MIN, f.clock.now());
  t.equal(await f.cache.tokenDenied(f.store, 'acme', 'jti-d'), true);
  t.equal(await f.cache.tokenDenied(f.store, 'acme', 'jti-d'), true, 'asked again: still the store');
  t.equal(await f.cache.tokenDenied(f.store, 'acme', 'jti-a'), false);
  await f.store.denyToken('acme', 'jti-a', f.clock.now() + 10 * MIN, f.clock.now()); // behind the cache's back
  t.equal(await f.cache.tokenDenied(f.store, 'acme', 'jti-a'), false, 'within the TTL: cached');
  f.cache.forget('jti-a'); // what the bus does for an RFC 7009 revocation
  t.equal(await f.cache.tokenDenied(f.store, 'acme', 'jti-a'), true);
});

t.test('a read that straddles an invalidation does not fill the cache', async (t) => {
  const f = await fixture();
  const s = await saved(f);
  // The store answers with the old record, but the bus says "changed" before it arrives.
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const slow = Object.assign(Object.create(f.store) as SessionStore, {
    canServeCached: () => true,
    getSession: async (tenant: string, id: string) => {
      const r = await f.store.getSession(tenant, id);
      await gate;
      return r;
    },
  });
  const pending = f.cache.session(slow, 'acme', s.id);
  await new Promise((r) => setImmediate(r));
  f.cache.forget(s.id);
  release();
  t.same(await pending, s, 'the caller still gets what the store said');
  await f.store.deleteSession('acme', s.id);
  t.equal(await f.cache.session(f.store, 'acme', s.id), null, 'but it was not cached');
});

t.test(
  'a verified cookie secret is remembered only for its own record, and only the same secret matches',
  async (t) => {
    const f = await fixture();
    const s = await saved(f);
    const cached = (await f.cache.session(f.store, 'acme', s.id))!;
    const secret = 'A'.repeat(43);
    t.equal(f.cache.secretVerified(cached, secret), false, 'nothing verified yet');
    f.cache.noteVerifiedSecret(cached, secret);
    t.equal(f.cache.secretVerified(cached, secret), true, 'the same secret');
    t.equal(f.cache.secretVerified(cached, `${'A'.repeat(42)}B`), false, 'one character off');
    t.equal(f.cache.secretVerified(cached, 'A'.repeat(42)), false, 'shorter');
    t.equal(
      f.cache.secretVerified({ ...cached, secretHash: 'f'.repeat(64) }, secret),
      false,
      'a record with another hash (rotated secret)',
    );
    f.cache.forget(s.id);
    t.equal(f.cache.secretVerified(cached, secret), false, 'forgotten with the entry');
  },
);
