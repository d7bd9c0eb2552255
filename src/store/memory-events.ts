// EventsStore in memory: one instance, so every message reaches every subscriber of this
// store, its own publisher included. Delivery is asynchronous (a microtask), like a
// message that comes back from Redis, so a publisher never runs subscriber code inside its
// own call.
import type { EventHandlers, EventsStore } from './events.js';

export class MemoryEvents implements EventsStore {
  readonly #handlers = new Set<EventHandlers>();

  async publish(message: string): Promise<void> {
    for (const h of [...this.#handlers]) {
      queueMicrotask(() => {
        // A handler removed meanwhile gets nothing more.
        if (!this.#handlers.has(h)) return;
        try {
          h.onMessage(message);
        } catch (err) {
          // One failing handler must neither stop the others nor crash the process.
          process.emitWarning(`store event handler failed: ${(err as Error).message}`);
        }
      });
    }
  }

  /** An in-process channel is never lost, so onReconnect is never called. */
  async subscribe(onMessage: (message: string) => void, onReconnect: () => void): Promise<() => Promise<void>> {
    // A new object each time: the same functions subscribed twice are two subscriptions.
    const entry: EventHandlers = { onMessage, onReconnect };
    this.#handlers.add(entry);
    return async () => {
      this.#handlers.delete(entry);
    };
  }

  /** Drops every subscription (the store is closing). */
  clear(): void {
    this.#handlers.clear();
  }
}
