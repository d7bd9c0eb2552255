// MemoryStore: the embedded single-instance SessionStore (the default and the demo's).
// It composes one memory implementation per concern (memory-sessions.ts, memory-tokens.ts,
// memory-throttle.ts, memory-settings.ts, memory-events.ts) and runs their sweep.
// Everything lives in Maps; JavaScript runs each call to completion, so every method is
// atomic without locks, which is what the Redis store gets from Lua.
import type { Clock } from '../util/clock.js';
import { MemoryEvents } from './memory-events.js';
import { MemorySessions } from './memory-sessions.js';
import { MemorySettings } from './memory-settings.js';
import { MemoryThrottle } from './memory-throttle.js';
import { MemoryTokens } from './memory-tokens.js';
import { ComposedStore } from './composed-store.js';

export interface MemoryStoreOptions {
  clock: Clock;
  /** How often dead sessions are dropped (ms); they are never returned as alive meanwhile. */
  sweepIntervalMs?: number;
}

export class MemoryStore extends ComposedStore {
  readonly kind = 'memory' as const;
  readonly #clock: Clock;
  readonly #tokens: MemoryTokens;
  readonly #sessions: MemorySessions;
  readonly #throttle: MemoryThrottle;
  readonly #events: MemoryEvents;
  readonly #timer: NodeJS.Timeout;

  constructor(opts: MemoryStoreOptions) {
    const tokens = new MemoryTokens(opts.clock);
    // A session leaves with its refresh-token chain, however it leaves.
    const sessions = new MemorySessions((tenant, id) => tokens.dropChain(tenant, id));
    const throttle = new MemoryThrottle();
    const events = new MemoryEvents();
    super({ sessions, tokens, throttle, settings: new MemorySettings(), events });
    this.#clock = opts.clock;
    this.#tokens = tokens;
    this.#sessions = sessions;
    this.#throttle = throttle;
    this.#events = events;
    this.#timer = setInterval(() => this.sweep(), opts.sweepIntervalMs ?? 60_000);
    // The sweep is housekeeping: it must never keep the process alive.
    this.#timer.unref();
  }

  /** Drops every session that is dead now (and expired tokens and throttles); returns how many sessions. */
  sweep(): number {
    const now = this.#clock.now();
    this.#tokens.sweep(now);
    this.#throttle.sweep(now);
    return this.#sessions.sweep(now);
  }

  // ---- lifecycle

  async ping(): Promise<void> {}

  canServeCached(): boolean {
    return true;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#events.clear();
  }
}
