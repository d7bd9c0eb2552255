// The TokensStore contract (tokens.ts): refresh-token chains (kept beside their session and
// deleted with it, so the suite needs the sessions concern too), one-time authorization
// codes and the access-token deny list. Every implementation passes it on every backend.
import type { Test } from 'tap';
import { hashSecret, newSecret } from '../../src/session/ids.js';
import type { SessionsStore } from '../../src/store/sessions.js';
import type { RefreshChain, RotateArgs, TokensStore } from '../../src/store/tokens.js';
import { MIN, SEC, sessionFor, suite, unlimited, type MakeStore, type StoreFixture } from './contract-fixture.js';

export function runTokensContract(t: Test, name: string, make: MakeStore<SessionsStore & TokensStore>): void {
  const test = suite(t, name, 'tokens', make);
  const h = (label: string): string => hashSecret(label);

  /** A token session with a chain whose first token is hash('t0'), expiring in a day. */
  async function tokenSession(store: SessionsStore & TokensStore, f: StoreFixture<unknown>, userId = 'u1') {
    const s = sessionFor(f.clock, {
      kind: 'token',
      userId,
      clientId: 'web-spa',
      idleTimeoutMs: null,
      authMethod: 'authorization_code',
    });
    await store.createSession(s, unlimited, f.clock.now());
    const chain: RefreshChain = { clientId: 'web-spa', currentHash: h('t0'), expiresAt: f.clock.now() + 24 * 60 * MIN };
    await store.saveRefreshChain('acme', s.id, chain, f.clock.now());
    return { s, chain };
  }
  const rotateArgs = (
    f: StoreFixture<unknown>,
    from: string,
    to: string,
    over: Partial<RotateArgs> = {},
  ): RotateArgs => ({
    presentedHash: h(from),
    nextHash: h(to),
    successorBox: `box-${to}`,
    expiresAt: f.clock.now() + 24 * 60 * MIN,
    now: f.clock.now(),
    graceMs: 30 * SEC,
    ...over,
  });

  test('refresh chain: rotate, grace, reuse, unknown', async (t, f) => {
    const { store } = f;
    const { s, chain } = await tokenSession(store, f);
    t.strictSame(await store.getRefreshChain('acme', s.id), chain);
    t.equal(await store.getRefreshChain('globex', s.id), null, 'another tenant sees no chain');

    f.clock.advance(MIN);
    const next = rotateArgs(f, 't0', 't1');
    t.strictSame(await store.rotateRefreshToken('acme', s.id, next), { result: 'rotated', clientId: 'web-spa' });
    t.strictSame(await store.getRefreshChain('acme', s.id), {
      clientId: 'web-spa',
      currentHash: h('t1'),
      expiresAt: next.expiresAt,
    });

    f.clock.advance(10 * SEC);
    t.strictSame(
      await store.rotateRefreshToken('acme', s.id, rotateArgs(f, 't0', 'x')),
      { result: 'grace', clientId: 'web-spa', successorBox: 'box-t1' },
      'the old token within grace: the same successor',
    );
    t.strictSame(
      await store.getRefreshChain('acme', s.id),
      { clientId: 'web-spa', currentHash: h('t1'), expiresAt: next.expiresAt },
      'grace changes nothing',
    );
    f.clock.advance(20 * SEC); // exactly graceMs after the rotation: still grace
    t.equal((await store.rotateRefreshToken('acme', s.id, rotateArgs(f, 't0', 'x'))).result, 'grace');
    f.clock.advance(1);
    t.strictSame(
      await store.rotateRefreshToken('acme', s.id, rotateArgs(f, 't0', 'x')),
      { result: 'reuse', clientId: 'web-spa' },
      'after the grace: reuse',
    );

    t.strictSame(await store.rotateRefreshToken('acme', s.id, rotateArgs(f, 'never-issued', 'x')), {
      result: 'unknown',
    });
    t.strictSame(
      await store.rotateRefreshToken('globex', s.id, rotateArgs(f, 't1', 'x')),
      { result: 'unknown' },
      'another tenant',
    );
    const other = sessionFor(f.clock, { kind: 'token' });
    t.strictSame(
      await store.rotateRefreshToken('acme', other.id, rotateArgs(f, 't1', 'x')),
      { result: 'unknown' },
      'no chain',
    );
    t.strictSame(
      await store.rotateRefreshToken('acme', 'sess_nope', rotateArgs(f, 't1', 'x')),
      { result: 'unknown' },
      'not a session id',
    );

    // The chain goes on; every earlier token is now a reuse, only the last one has grace.
    t.equal((await store.rotateRefreshToken('acme', s.id, rotateArgs(f, 't1', 't2'))).result, 'rotated');
    t.equal((await store.rotateRefreshToken('acme', s.id, rotateArgs(f, 't1', 'x'))).result, 'grace');
    t.equal((await store.rotateRefreshToken('acme', s.id, rotateArgs(f, 't0', 'x'))).result, 'reuse');
    t.equal((await store.rotateRefreshToken('acme', s.id, rotateArgs(f, 't2', 't3'))).result, 'rotated');

    // Starting a new chain forgets the old one, its used hashes included.
    await store.saveRefreshChain('acme', s.id, { ...chain, currentHash: h('n0') }, f.clock.now());
    t.strictSame(await store.rotateRefreshToken('acme', s.id, rotateArgs(f, 't0', 'x')), { result: 'unknown' });
    t.strictSame(await store.rotateRefreshToken('acme', s.id, rotateArgs(f, 't3', 'x')), { result: 'unknown' });
    t.equal((await store.rotateRefreshToken('acme', s.id, rotateArgs(f, 'n0', 'n1'))).result, 'rotated');
  });

  test('refresh chain: expiry is judged with now', async (t, f) => {
    const { store, clock } = f;
    const s = sessionFor(clock, { kind: 'token', idleTimeoutMs: null });
    await store.createSession(s, unlimited, clock.now());
    await store.saveRefreshChain(
      'acme',
      s.id,
      { clientId: 'c', currentHash: h('t0'), expiresAt: clock.now() + 10 * MIN },
      clock.now(),
    );
    clock.advance(10 * MIN);
    t.strictSame(
      await store.rotateRefreshToken('acme', s.id, rotateArgs(f, 't0', 't1')),
      { result: 'unknown' },
      'expired at exp',
    );
    // A rotation moves the expiry to the successor's.
    await store.saveRefreshChain(
      'acme',
      s.id,
      { clientId: 'c', currentHash: h('t0'), expiresAt: clock.now() + 10 * MIN },
      clock.now(),
    );
    t.equal(
      (await store.rotateRefreshToken('acme', s.id, rotateArgs(f, 't0', 't1', { expiresAt: clock.now() + 60 * MIN })))
        .result,
      'rotated',
    );
    clock.advance(59 * MIN);
    t.equal(
      (await store.rotateRefreshToken('acme', s.id, rotateArgs(f, 't1', 't2'))).result,
      'rotated',
      'alive until the new exp',
    );
  });

  test('refresh chain: deleted with its session, by deleteUserSessions and by eviction', async (t, f) => {
    const { store, clock } = f;
    const a = await tokenSession(store, f);
    t.ok(await store.deleteSession('acme', a.s.id));
    t.equal(await store.getRefreshChain('acme', a.s.id), null, 'deleteSession');
    t.strictSame(await store.rotateRefreshToken('acme', a.s.id, rotateArgs(f, 't0', 't1')), { result: 'unknown' });

    const [b, c, d] = [await tokenSession(store, f), await tokenSession(store, f), await tokenSession(store, f)];
    const other = await tokenSession(store, f, 'u2');
    await store.deleteUserSessions('acme', 'u1', c.s.id);
    t.equal(await store.getRefreshChain('acme', b.s.id), null, 'deleteUserSessions');
    t.equal(await store.getRefreshChain('acme', d.s.id), null);
    t.strictSame(await store.getRefreshChain('acme', c.s.id), c.chain, 'the excepted session keeps its chain');
    t.strictSame(await store.getRefreshChain('acme', other.s.id), other.chain, 'another user keeps theirs');

    // Eviction (the login limit) drops only login sessions, with whatever chain they hold;
    // a token session is neither counted nor evicted.
    clock.advance(MIN);
    const login = sessionFor(clock, { kind: 'browser' });
    await store.createSession(login, unlimited, clock.now());
    await store.saveRefreshChain(
      'acme',
      login.id,
      { clientId: 'web-spa', currentHash: h('b0'), expiresAt: clock.now() + MIN },
      clock.now(),
    );
    clock.advance(MIN);
    const newer = sessionFor(clock, { kind: 'browser' });
    t.same(await store.createSession(newer, { max: 1, policy: 'evict-oldest' }, clock.now()), {
      ok: true,
      evicted: [login.id],
    });
    t.equal(await store.getRefreshChain('acme', login.id), null, 'an evicted session loses its chain');
    t.strictSame(
      await store.getRefreshChain('acme', c.s.id),
      c.chain,
      'the token session is not evicted by the login limit',
    );
  });

  for (const graceMs of [30 * SEC, 0]) {
    test(`10 parallel rotations of one token: one rotates, the others ${graceMs > 0 ? 'grace' : 'reuse'}`, async (t, f) => {
      const { store } = f;
      const { s } = await tokenSession(store, f);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store.rotateRefreshToken('acme', s.id, rotateArgs(f, 't0', `t1-${i}`, { graceMs })),
        ),
      );
      const winners = results.flatMap((r, i) => (r.result === 'rotated' ? [i] : []));
      t.equal(winners.length, 1, 'exactly one rotated');
      const w = winners[0]!;
      t.equal(
        (await store.getRefreshChain('acme', s.id))?.currentHash,
        h(`t1-${w}`),
        "the chain holds the winner's successor",
      );
      const others = results.filter((_, i) => i !== w);
      if (graceMs > 0)
        t.strictSame(others, Array(9).fill({ result: 'grace', clientId: 'web-spa', successorBox: `box-t1-${w}` }));
      else t.strictSame(others, Array(9).fill({ result: 'reuse', clientId: 'web-spa' }));
    });
  }

  test('authorization codes are one-time', async (t, { store }) => {
    const code = hashSecret(newSecret());
    await store.saveAuthCode('acme', code, '{"client":"web-spa"}', 60 * SEC);
    t.equal(await store.takeAuthCode('globex', code), null, 'another tenant cannot take it');
    t.equal(await store.takeAuthCode('acme', code), '{"client":"web-spa"}');
    t.equal(await store.takeAuthCode('acme', code), null, 'second take');
    t.equal(await store.takeAuthCode('acme', hashSecret(newSecret())), null, 'unknown');
    await t.rejects(store.saveAuthCode('acme', code, 'x', 0), TypeError, 'a ttl must be positive');
  });

  test('10 parallel takes of one code: exactly one gets it', async (t, { store }) => {
    const code = hashSecret(newSecret());
    await store.saveAuthCode('acme', code, 'payload', 60 * SEC);
    const got = await Promise.all(Array.from({ length: 10 }, () => store.takeAuthCode('acme', code)));
    t.same(
      got.filter((x) => x !== null),
      ['payload'],
    );
  });

  test('access-token deny list', async (t, { store, clock }) => {
    const now = clock.now();
    await store.denyToken('acme', 'jti-1', now + 5 * MIN, now);
    t.equal(await store.isTokenDenied('acme', 'jti-1'), true);
    t.equal(await store.isTokenDenied('acme', 'jti-2'), false);
    t.equal(await store.isTokenDenied('globex', 'jti-1'), false, 'per tenant');
    await store.denyToken('acme', 'jti-old', now, now);
    await store.denyToken('acme', 'jti-older', now - MIN, now);
    t.equal(await store.isTokenDenied('acme', 'jti-old'), false, 'already expired: nothing stored');
    t.equal(await store.isTokenDenied('acme', 'jti-older'), false);
  });
}
