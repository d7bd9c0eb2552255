// The bound on concurrent hash checks: slots, a bounded FIFO queue with a wait deadline,
// an immediate refusal beyond it, and a slot always given back. Checks are promises the
// test settles by hand; the wait deadline runs on a timer the test fires by hand.
import t from 'tap';
import { defaultHashPoolOptions, HashPool, HashPoolBusyError } from '../../src/session/hash-pool.js';
import { verifyPassword, hashPassword } from '../../src/session/password.js';

/** A check the test finishes when it likes; `started` tells whether it got a slot. */
function gate(): {
  check: () => Promise<string>;
  finish: (v?: string) => void;
  fail: (e: Error) => void;
  started: () => boolean;
} {
  let resolve!: (v: string) => void;
  let reject!: (e: Error) => void;
  let started = false;
  const p = new Promise<string>((res, rej) => ((resolve = res), (reject = rej)));
  return {
    check: () => ((started = true), p),
    finish: (v = 'done') => resolve(v),
    fail: (e) => reject(e),
    started: () => started,
  };
}

/** Timers fired by the test (the pool's wait deadline). */
class ManualTimers {
  readonly pending = new Set<() => void>();
  readonly schedule = (fn: () => void): (() => void) => {
    this.pending.add(fn);
    return () => this.pending.delete(fn);
  };
  fireAll(): void {
    const fns = [...this.pending];
    this.pending.clear();
    for (const fn of fns) fn();
  }
}

/** A run's outcome as a value (a rejection is handled at once, whenever the test looks). */
const outcome = <T>(p: Promise<T>): Promise<T | Error> => p.catch((e: unknown) => e as Error);

/** Lets queued promise callbacks run (no timers involved). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

t.test('at most `slots` checks run; the queue is FIFO; beyond the queue a check is refused at once', async (t) => {
  const timers = new ManualTimers();
  const pool = new HashPool({ slots: 2, queue: 2, maxWaitMs: 1000, schedule: timers.schedule });
  const gates = Array.from({ length: 5 }, gate);
  const runs = gates.map((g) => outcome(pool.run(g.check)));
  await settle();
  t.same(
    gates.map((g) => g.started()),
    [true, true, false, false, false],
    'two run, the rest wait or are refused',
  );
  t.same(pool.load, { running: 2, waiting: 2 });
  const busy = await runs[4]!;
  t.type(busy, HashPoolBusyError, 'the fifth: queue full, refused at once');
  t.equal((busy as HashPoolBusyError).retryAfter, 1, 'with a Retry-After');

  gates[1]!.finish('b');
  t.equal(await runs[1], 'b');
  await settle();
  t.same(
    gates.map((g) => g.started()),
    [true, true, true, false, false],
    'the freed slot goes to the first waiter',
  );
  gates[0]!.fail(new Error('boom'));
  t.match(await runs[0], { message: 'boom' }, 'a failing check rejects with its error');
  await settle();
  t.ok(gates[3]!.started(), 'and still gives its slot back');
  t.same(pool.load, { running: 2, waiting: 0 });
  gates[2]!.finish();
  gates[3]!.finish();
  await Promise.all([runs[2], runs[3]]);
  t.same(pool.load, { running: 0, waiting: 0 }, 'every slot is free again');
  t.equal(timers.pending.size, 0, 'the wait deadlines of checks that got a slot are cancelled');
});

t.test('a check that cannot get a slot within maxWaitMs is refused and leaves the queue', async (t) => {
  const timers = new ManualTimers();
  const pool = new HashPool({ slots: 1, queue: 4, maxWaitMs: 1000, schedule: timers.schedule });
  const holder = gate();
  const held = pool.run(holder.check);
  const waiting = gate();
  const waited = outcome(pool.run(waiting.check));
  t.same(pool.load, { running: 1, waiting: 1 });
  timers.fireAll();
  t.type(await waited, HashPoolBusyError, 'refused after the deadline');
  t.same(pool.load, { running: 1, waiting: 0 }, 'and gone from the queue');
  holder.finish();
  await held;
  t.notOk(waiting.started(), 'the refused check never runs');
  t.same(pool.load, { running: 0, waiting: 0 });
});

t.test('real password checks through a pool of one slot', async (t) => {
  const pool = new HashPool({ slots: 1, queue: 8, maxWaitMs: 60_000 });
  const hash = await hashPassword('pw', { ln: 10 });
  let most = 0;
  const results = await Promise.all(
    Array.from({ length: 6 }, (_, i) =>
      pool.run(async () => {
        most = Math.max(most, pool.load.running);
        return verifyPassword(i % 2 ? 'pw' : 'nope', hash);
      }),
    ),
  );
  t.same(results, [false, true, false, true, false, true]);
  t.equal(most, 1, 'one at a time');
});

t.test('sizes: half the libuv threads, one core left to the event loop, never below one', async (t) => {
  t.match(defaultHashPoolOptions({}, 2), { slots: 1, queue: 32, maxWaitMs: 1000 }, '2 cores, 4 threads: 1');
  t.match(defaultHashPoolOptions({}, 8), { slots: 2 }, '8 cores, 4 threads: 2');
  t.match(defaultHashPoolOptions({ UV_THREADPOOL_SIZE: '16' }, 8), { slots: 7 }, '8 cores, 16 threads: 7');
  t.match(defaultHashPoolOptions({ UV_THREADPOOL_SIZE: 'x' }, 1), { slots: 1 }, 'one core: still one slot');
  t.throws(() => new HashPool({ slots: 0, queue: 1, maxWaitMs: 1 }), TypeError);
  t.throws(() => new HashPool({ slots: 1, queue: -1, maxWaitMs: 1 }), TypeError);
});
