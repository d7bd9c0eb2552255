// The SessionStore contract, part two: refresh-token chains, authorization codes, the
// deny list, login throttling, tenant settings and events. Run by runStoreContract.
// (Not a test file by itself: tap finds no tests in it and skips it.)
import type { Test } from 'tap';
import { hashSecret, newSecret } from '../../src/session/ids.js';
import type { RefreshChain, RotateArgs, SessionStore, ThrottleAttempt } from '../../src/store/types.js';
import { sessionFor, type StoreFixture } from './contract.js';

const SEC = 1000;
const MIN = 60 * SEC;
const unlimited = { max: 0, policy: 'evict-oldest' } as const;

/** Collects messages; next() waits for the next one (an event, not a sleep). */
export class Inbox {
  readonly messages: string[] = [];
  #read = 0;
  #wake: (() => void) | null = null;
  readonly push = (m: string): void => {
    this.messages.push(m);
    this.#wake?.();
  };
  /** Resolves with the next unread message; a guard names a lost one instead of tap's file timeout. */
  next(what = 'message'): Promise<string> {
    if (this.#read < this.messages.length) return Promise.resolve(this.messages[this.#read++]!);
    return new Promise((resolve, reject) => {
      const guard = setTimeout(() => {
        this.#wake = null;
        reject(new Error(`no ${what} within 10 s`));
      }, 10_000);
      this.#wake = () => {
        clearTimeout(guard);
        this.#wake = null;
        resolve(this.messages[this.#read++]!);
      };
    });
  }
}

export function runTokenContract(t: Test, name: string, makeStore: () => Promise<StoreFixture>): void {
  const test = (title: string, body: (t: Test, f: StoreFixture) => Promise<void>): void => {
    void t.test(`${name}: ${title}`, async (t) => {
      const f = await makeStore();
      t.teardown(() => f.cleanup());
      await body(t, f);
    });
  };
  const h = (label: string): string => hashSecret(label);

  /** A token session with a chain whose first token is hash('t0'), expiring in a day. */
  async function tokenSession(store: SessionStore, f: StoreFixture, userId = 'u1') {
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
  const rotateArgs = (f: StoreFixture, from: string, to: string, over: Partial<RotateArgs> = {}): RotateArgs => ({
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

  // ---- login and client-authentication throttling (SPEC §2 loginThrottle, §5)
  const rule = { windowMs: 15 * MIN, maxFailures: 3, lockoutMs: 10 * MIN, inFlightMs: MIN };
  let seq = 0;
  /** An attempt on the subject (a username or client id) from the source (an address). */
  const at = (subject: string, source: string): ThrottleAttempt => ({ subject, source, id: `a${++seq}` });
  const ADMITTED = { admitted: true };
  const BUSY = { admitted: false, lockedUntil: null };
  /** Admits an attempt and settles it as failed (asserting it was admitted). */
  async function fail(
    t: Test,
    store: SessionStore,
    now: number,
    subject: string,
    source: string,
    tenant = 'acme',
  ): Promise<void> {
    const a = at(subject, source);
    t.strictSame(await store.admitAttempt(tenant, a, rule, now), ADMITTED, `${subject} from ${source} admitted`);
    await store.settleAttempt(tenant, a, 'failed', rule, now);
  }

  test('throttle: at most maxFailures attempts in flight per key; a settled one gives its place back', async (t, {
    store,
    clock,
  }) => {
    const now = clock.now();
    const inFlight = [at('u:alice', 'ip:1'), at('u:alice', 'ip:2'), at('u:alice', 'ip:3')];
    for (const a of inFlight) t.strictSame(await store.admitAttempt('acme', a, rule, now), ADMITTED);
    t.strictSame(
      await store.admitAttempt('acme', at('u:alice', 'ip:4'), rule, now),
      BUSY,
      'a fourth for the subject: busy, not locked',
    );
    t.strictSame(
      await store.admitAttempt('acme', at('u:bob', 'ip:1'), rule, now),
      ADMITTED,
      'another subject from a source with one in flight',
    );
    t.strictSame(await store.admitAttempt('globex', at('u:alice', 'ip:4'), rule, now), ADMITTED, 'another tenant');
    await store.settleAttempt('acme', inFlight[0]!, 'succeeded', rule, now);
    t.strictSame(
      await store.admitAttempt('acme', at('u:alice', 'ip:5'), rule, now),
      ADMITTED,
      'a success gave its place back',
    );
    t.strictSame(await store.admitAttempt('acme', at('u:alice', 'ip:6'), rule, now), BUSY);
    await store.settleAttempt('acme', inFlight[1]!, 'abandoned', rule, now);
    t.strictSame(
      await store.admitAttempt('acme', at('u:alice', 'ip:7'), rule, now),
      ADMITTED,
      'so did an abandoned one, without counting',
    );

    // The source fills up across subjects the same way.
    for (const u of ['u:c', 'u:d']) t.strictSame(await store.admitAttempt('acme', at(u, 'ip:9'), rule, now), ADMITTED);
    t.strictSame(await store.admitAttempt('acme', at('u:e', 'ip:9'), rule, now), ADMITTED);
    t.strictSame(
      await store.admitAttempt('acme', at('u:f', 'ip:9'), rule, now),
      BUSY,
      'a fourth from the source: busy',
    );
  });

  test('throttle: maxFailures failures lock the key from the last one; the lockout is neither extended nor shortened', async (t, {
    store,
    clock,
  }) => {
    await fail(t, store, clock.now(), 'u:alice', 'ip:1');
    clock.advance(MIN);
    await fail(t, store, clock.now(), 'u:alice', 'ip:2');
    clock.advance(MIN);
    await fail(t, store, clock.now(), 'u:alice', 'ip:3');
    const lockedUntil = clock.now() + rule.lockoutMs;
    t.strictSame(
      await store.admitAttempt('acme', at('u:alice', 'ip:4'), rule, clock.now()),
      { admitted: false, lockedUntil },
      'the third failure locked the subject',
    );
    t.strictSame(
      await store.admitAttempt('acme', at('u:bob', 'ip:1'), rule, clock.now()),
      ADMITTED,
      'its sources are not locked (one failure each)',
    );
    clock.advance(5 * MIN);
    for (let i = 0; i < 5; i++) {
      t.strictSame(
        await store.admitAttempt('acme', at('u:alice', `ip:${10 + i}`), rule, clock.now()),
        { admitted: false, lockedUntil },
        'attempts during the lockout do not extend it',
      );
    }
    clock.advance(5 * MIN - 1);
    t.strictSame(
      await store.admitAttempt('acme', at('u:alice', 'ip:20'), rule, clock.now()),
      { admitted: false, lockedUntil },
      'locked until the last millisecond',
    );
    clock.advance(1);
    // The lockout is over: the count starts over (two failures do not lock again).
    await fail(t, store, clock.now(), 'u:alice', 'ip:21');
    await fail(t, store, clock.now(), 'u:alice', 'ip:22');
    t.strictSame(
      await store.admitAttempt('acme', at('u:alice', 'ip:23'), rule, clock.now()),
      ADMITTED,
      'the count started over when the lockout ended',
    );
  });

  test("throttle: the source counts across subjects; a success clears the subject's count, not the source's", async (t, {
    store,
    clock,
  }) => {
    const now = clock.now();
    await fail(t, store, now, 'u:alice', 'ip:7');
    await fail(t, store, now, 'u:bob', 'ip:7');
    const ok = at('u:carol', 'ip:7');
    t.strictSame(await store.admitAttempt('acme', ok, rule, now), ADMITTED);
    await store.settleAttempt('acme', ok, 'succeeded', rule, now);
    await fail(t, store, now, 'u:dave', 'ip:7');
    t.strictSame(
      await store.admitAttempt('acme', at('u:erin', 'ip:7'), rule, now),
      { admitted: false, lockedUntil: now + rule.lockoutMs },
      'three failures from one source lock it; the success between did not reset it',
    );

    await fail(t, store, now, 'u:frank', 'ip:1');
    await fail(t, store, now, 'u:frank', 'ip:2');
    const right = at('u:frank', 'ip:3');
    t.strictSame(await store.admitAttempt('acme', right, rule, now), ADMITTED);
    await store.settleAttempt('acme', right, 'succeeded', rule, now);
    await fail(t, store, now, 'u:frank', 'ip:4');
    await fail(t, store, now, 'u:frank', 'ip:5');
    t.strictSame(
      await store.admitAttempt('acme', at('u:frank', 'ip:6'), rule, now),
      ADMITTED,
      'after a success the subject has its maxFailures again',
    );
  });

  test('throttle: a fixed window from the first failure', async (t, { store, clock }) => {
    await fail(t, store, clock.now(), 'u:alice', 'ip:1');
    clock.advance(10 * MIN);
    await fail(t, store, clock.now(), 'u:alice', 'ip:2');
    clock.advance(5 * MIN); // 15 minutes after the first failure: the window is over
    await fail(t, store, clock.now(), 'u:alice', 'ip:3');
    t.strictSame(
      await store.admitAttempt('acme', at('u:alice', 'ip:4'), rule, clock.now()),
      ADMITTED,
      'a new window, not a sliding one: one failure in it',
    );
  });

  test('throttle: an attempt never settled gives its place back after inFlightMs; a late failure during a lockout is not counted', async (t, {
    store,
    clock,
  }) => {
    const lost = [at('u:alice', 'ip:1'), at('u:alice', 'ip:2'), at('u:alice', 'ip:3')];
    for (const a of lost) t.strictSame(await store.admitAttempt('acme', a, rule, clock.now()), ADMITTED);
    clock.advance(rule.inFlightMs - 1);
    t.strictSame(await store.admitAttempt('acme', at('u:alice', 'ip:4'), rule, clock.now()), BUSY, 'still in flight');
    clock.advance(1);
    const late = at('u:alice', 'ip:5');
    t.strictSame(
      await store.admitAttempt('acme', late, rule, clock.now()),
      ADMITTED,
      'the places of lost attempts are free again',
    );
    // The lost ones come back as failures after all: the third locks.
    for (const a of lost) await store.settleAttempt('acme', a, 'failed', rule, clock.now());
    const lockedUntil = clock.now() + rule.lockoutMs;
    clock.advance(MIN);
    await store.settleAttempt('acme', late, 'failed', rule, clock.now());
    t.strictSame(
      await store.admitAttempt('acme', at('u:alice', 'ip:6'), rule, clock.now()),
      { admitted: false, lockedUntil },
      'a failure settled during the lockout does not extend it',
    );
    clock.set(lockedUntil);
    await fail(t, store, clock.now(), 'u:alice', 'ip:7');
    await fail(t, store, clock.now(), 'u:alice', 'ip:8');
    t.strictSame(
      await store.admitAttempt('acme', at('u:alice', 'ip:9'), rule, clock.now()),
      ADMITTED,
      'nor did it count after it',
    );
  });

  test('throttle: failures over a lowered maxFailures lock at the next attempt', async (t, { store, clock }) => {
    for (let i = 0; i < 3; i++) await fail(t, store, clock.now(), 'u:alice', `ip:${i}`);
    clock.advance(rule.lockoutMs);
    const wide = { ...rule, maxFailures: 10 };
    for (let i = 0; i < 4; i++) {
      const a = at('u:alice', `ip:${10 + i}`);
      t.strictSame(await store.admitAttempt('acme', a, wide, clock.now()), ADMITTED);
      await store.settleAttempt('acme', a, 'failed', wide, clock.now());
    }
    t.strictSame(
      await store.admitAttempt('acme', at('u:alice', 'ip:20'), rule, clock.now()),
      { admitted: false, lockedUntil: clock.now() + rule.lockoutMs },
      'four failures, the rule now says three',
    );
  });

  test('throttle: parallel admissions never get more than maxFailures places', async (t, { store, clock }) => {
    const now = clock.now();
    const bySubject = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.admitAttempt('acme', at('u:alice', `ip:${i}`), rule, now)),
    );
    t.equal(bySubject.filter((r) => r.admitted).length, 3, 'one subject from 20 sources: 3 admitted');
    const bySource = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.admitAttempt('acme', at(`u:${i}`, 'ip:x'), rule, now)),
    );
    t.equal(bySource.filter((r) => r.admitted).length, 3, '20 subjects from one source: 3 admitted');
    t.ok(
      [...bySubject, ...bySource].every((r) => r.admitted || r.lockedUntil === null),
      'the rest: busy, nothing locked',
    );
  });

  test('throttle: bad rules are our bug', async (t, { store, clock }) => {
    for (const bad of [{ maxFailures: 0 }, { windowMs: 0 }, { lockoutMs: -1 }, { inFlightMs: 0.5 }]) {
      await t.rejects(
        store.admitAttempt('acme', at('u', 'ip'), { ...rule, ...bad }, clock.now()),
        TypeError,
        JSON.stringify(bad),
      );
      await t.rejects(
        store.settleAttempt('acme', at('u', 'ip'), 'failed', { ...rule, ...bad }, clock.now()),
        TypeError,
      );
    }
  });

  test('tenant settings round trip', async (t, { store }) => {
    t.equal(await store.getTenantSettings('acme'), null);
    await store.setTenantSettings('acme', '{"idleTimeout":"30m"}');
    t.equal(await store.getTenantSettings('acme'), '{"idleTimeout":"30m"}');
    await store.setTenantSettings('acme', '{"idleTimeout":"10m"}');
    t.equal(await store.getTenantSettings('acme'), '{"idleTimeout":"10m"}', 'replaced');
    t.equal(await store.getTenantSettings('globex'), null, 'per tenant');
  });

  test('events: every subscriber gets every message, until it unsubscribes', async (t, { store }) => {
    const [a, b] = [new Inbox(), new Inbox()];
    const offA = await store.subscribe(a.push, () => t.fail('no reconnect expected'));
    const offB = await store.subscribe(b.push, () => t.fail('no reconnect expected'));
    await store.publish('one');
    t.equal(await a.next(), 'one', 'the publisher’s own subscriber too');
    t.equal(await b.next(), 'one');
    await offA();
    await store.publish('two');
    t.equal(await b.next(), 'two');
    t.same(a.messages, ['one'], 'an unsubscribed handler gets nothing more');
    await offB();
  });

  test('events: a message published on one instance reaches the others', async (t, f) => {
    if (!f.peer) return void t.pass('a single-instance store has no peers');
    const other = await f.peer();
    const inbox = new Inbox();
    await other.subscribe(inbox.push, () => t.fail('no reconnect expected'));
    await f.store.publish('{"t":"sid","id":"sess_x"}');
    t.equal(await inbox.next(), '{"t":"sid","id":"sess_x"}');
    await other.publish('back');
    t.equal(await inbox.next(), 'back');
  });
}
