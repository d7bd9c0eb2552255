// The events concern of the store: messages between the gateway's instances (revocations,
// settings changes). The memory store delivers in-process (memory-events.ts); Redis uses
// pub/sub on a channel under keyPrefix (redis-events.ts, redis-pubsub.ts). Both pass
// test/store/contract-events.ts.

export interface EventHandlers {
  onMessage(message: string): void;
  onReconnect(): void;
}

export interface EventsStore {
  publish(message: string): Promise<void>;
  /**
   * `onMessage` gets every published message (also this instance's own). `onReconnect`
   * runs after the subscription was lost and re-established: messages may have been
   * missed, so positive caches must be dropped. Returns an unsubscribe function.
   */
  subscribe(onMessage: (message: string) => void, onReconnect: () => void): Promise<() => Promise<void>>;
}
