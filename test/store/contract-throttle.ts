// The ThrottleStore contract (throttle.ts): login and client-authentication throttling
// (SPEC §2 loginThrottle, §5). Every implementation passes it on every backend.
import type { Test } from 'tap';
import type { ThrottleAttempt, ThrottleStore } from '../../src/store/throttle.js';
import { MIN, suite, type MakeStore } from './contract-fixture.js';

export function runThrottleContract(t: Test, name: string, make: MakeStore<ThrottleStore>): void {
  const test = suite(t, name, 'throttle', make);
  const rule = { windowMs: 15 * MIN, maxFailures: 3, lockoutMs: 10 * MIN, inFlightMs: MIN };
  let seq = 0;
  /** An attempt on the subject (a username or client id) from the source (an address). */
  const at = (subject: string, source: string): ThrottleAttempt => ({ subject, source, id: `a${++seq}` });
  const ADMITTED = { admitted: true };
  const BUSY = { admitted: false, lockedUntil: null };
  /** Admits an attempt and settles it as failed (asserting it was admitted). */
  async function fail(
    t: Test,
    store: ThrottleStore,
    now: number,
    subject: string,
    source: string,
    tenant = 'acme',
  ): Promise<void> {
    const a = at(subject, source);
    t.strictSame(await store.admitAttempt(tenant, a, rule, now), ADMITTED, `${subject} from ${source} admitted`);
    await store.settleAttempt(tenant, a, 'failed', rule, now);
  }

  test('at most maxFailures attempts in flight per key; a settled one gives its place back', async (t, {
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

  test('maxFailures failures lock the key from the last one; the lockout is neither extended nor shortened', async (t, {
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

  test("the source counts across subjects; a success clears the subject's count, not the source's", async (t, {
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

  test('a fixed window from the first failure', async (t, { store, clock }) => {
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

  test('an attempt never settled gives its place back after inFlightMs; a late failure during a lockout is not counted', async (t, {
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

  test('failures over a lowered maxFailures lock at the next attempt', async (t, { store, clock }) => {
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

  test('parallel admissions never get more than maxFailures places', async (t, { store, clock }) => {
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

  test('bad rules are our bug', async (t, { store, clock }) => {
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
}
