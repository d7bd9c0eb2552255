// In-process publish/subscribe for the memory store: one instance, so every message
// reaches every subscriber of this store, its own publisher included. Delivery is
// asynchronous (a microtask), like a message that comes back from Redis, so a publisher
// never runs subscriber code inside its own call.

export interface EventHandlers {
  onMessage(message: string): void;
  onReconnect(): void;
}

export class MemoryEvents {
  readonly #handlers = new Set<EventHandlers>();

  publish(message: string): void {
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
  subscribe(h: EventHandlers): () => Promise<void> {
    // A copy: the same functions subscribed twice are two subscriptions.
    const entry = { ...h };
    this.#handlers.add(entry);
    return async () => {
      this.#handlers.delete(entry);
    };
  }

  clear(): void {
    this.#handlers.clear();
  }
}
