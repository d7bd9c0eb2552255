// A bound on concurrent password / client-secret hash checks (SPEC §5, "(client
// authentication)"): a few slots, a short queue with a deadline, and a refusal beyond that,
// so a flood of wrong passwords or secrets cannot starve the requests of signed-in users.
//
// Why these sizes: one scrypt check (ln=15, r=8) is ~100 ms of CPU and 32 MiB, and it runs
// on libuv's thread pool (UV_THREADPOOL_SIZE, 4 by default), which the rest of the gateway
// needs too (dns.lookup of upstream hosts, async crypto, files). Hash checks get at most
// half of those threads and leave one CPU core to the event loop, so on 2 cores one check
// runs at a time. At most 32 more wait (a page of users signing in at once, a client's
// parallel refreshes), each for at most a second; any other gets 503 with Retry-After and
// costs nothing. Memory for hashing stays at slots × 32 MiB whatever the load.
import { availableParallelism } from 'node:os';

export interface HashPoolOptions {
  /** Checks that run at once. */
  slots: number;
  /** Checks that may wait for a slot; beyond this a check is refused at once. */
  queue: number;
  /** The longest a check waits for a slot before it is refused. */
  maxWaitMs: number;
  /** Timer for the wait deadline; returns its cancel (tests pass their own). */
  schedule?: (fn: () => void, ms: number) => () => void;
}

/** No slot soon: the caller answers 503 with Retry-After. */
export class HashPoolBusyError extends Error {
  /** Seconds: about when slots are free again. */
  readonly retryAfter = 1;
  constructor() {
    super('too many password checks at once');
    this.name = 'HashPoolBusyError';
  }
}

/** The sizes described above, for this machine. */
export function defaultHashPoolOptions(
  env: NodeJS.ProcessEnv = process.env,
  cpus = availableParallelism(),
): HashPoolOptions {
  const threads = Number.parseInt(env.UV_THREADPOOL_SIZE ?? '', 10);
  const pool = Number.isSafeInteger(threads) && threads > 0 ? threads : 4;
  return { slots: Math.max(1, Math.min(Math.floor(pool / 2), cpus - 1)), queue: 32, maxWaitMs: 1000 };
}

const realTimer = (fn: () => void, ms: number): (() => void) => {
  const timer = setTimeout(fn, ms);
  timer.unref();
  return () => clearTimeout(timer);
};

interface Waiter {
  start: () => void;
  cancel: () => void;
}

export class HashPool {
  readonly #slots: number;
  readonly #queue: number;
  readonly #maxWaitMs: number;
  readonly #schedule: NonNullable<HashPoolOptions['schedule']>;
  #running = 0;
  readonly #waiting: Waiter[] = [];

  constructor(o: HashPoolOptions = defaultHashPoolOptions()) {
    const ok = (n: number, min: number): boolean => Number.isSafeInteger(n) && n >= min;
    if (!ok(o.slots, 1) || !ok(o.queue, 0) || !ok(o.maxWaitMs, 1))
      throw new TypeError(`invalid hash pool size: ${JSON.stringify(o)}`);
    this.#slots = o.slots;
    this.#queue = o.queue;
    this.#maxWaitMs = o.maxWaitMs;
    this.#schedule = o.schedule ?? realTimer;
  }

  /** Checks running and waiting now. */
  get load(): { running: number; waiting: number } {
    return { running: this.#running, waiting: this.#waiting.length };
  }

  /** Runs `check` in a slot; rejects with HashPoolBusyError when no slot comes soon. */
  async run<T>(check: () => Promise<T>): Promise<T> {
    await this.#acquire();
    try {
      return await check();
    } finally {
      this.#release();
    }
  }

  #acquire(): Promise<void> {
    if (this.#running < this.#slots) {
      this.#running++;
      return Promise.resolve();
    }
    if (this.#waiting.length >= this.#queue) return Promise.reject(new HashPoolBusyError());
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        start: () => {
          cancelTimer();
          resolve();
        },
        cancel: () => reject(new HashPoolBusyError()),
      };
      const cancelTimer = this.#schedule(() => {
        const i = this.#waiting.indexOf(waiter);
        if (i >= 0) this.#waiting.splice(i, 1);
        waiter.cancel();
      }, this.#maxWaitMs);
      this.#waiting.push(waiter);
    });
  }

  /** The slot goes straight to the longest waiter (FIFO), or is freed. */
  #release(): void {
    const next = this.#waiting.shift();
    if (next) next.start();
    else this.#running--;
  }
}
