// EventsStore over Redis: PUBLISH on the store's connection, and one dedicated subscriber
// connection (redis-pubsub.ts), opened at the first subscribe, on the channel
// `<keyPrefix>events` (ioredis does not prefix channel names).
import type { Logger } from 'pino';
import type { RedisConfig } from '../config/types.js';
import type { EventsStore } from './events.js';
import { backoff, COMMAND_TIMEOUT_MS, CONNECT_TIMEOUT_MS, type RedisCalls } from './redis-connection.js';
import { openSubscriber, RedisSubscriber } from './redis-pubsub.js';
import { StoreUnavailableError } from './types.js';

export interface RedisEventsOptions {
  keyPrefix: string;
  log: Logger;
}

export class RedisEvents implements EventsStore {
  readonly #redis: RedisCalls;
  readonly #cfg: RedisConfig;
  readonly #channel: string;
  readonly #log: Logger;
  #subscriber: RedisSubscriber | null = null;
  #closed = false;

  constructor(redis: RedisCalls, cfg: RedisConfig, opts: RedisEventsOptions) {
    this.#redis = redis;
    this.#cfg = cfg;
    this.#channel = `${opts.keyPrefix}events`;
    this.#log = opts.log;
  }

  /** Subscribed right now: every message published from here on is delivered. */
  get subscribed(): boolean {
    return this.#subscriber?.subscribed === true;
  }

  async publish(message: string): Promise<void> {
    await this.#redis.run('publish', () => this.#redis.client.publish(this.#channel, message));
  }

  async subscribe(onMessage: (message: string) => void, onReconnect: () => void): Promise<() => Promise<void>> {
    if (this.#closed) throw new StoreUnavailableError('redis subscribe failed: store closed');
    this.#subscriber ??= new RedisSubscriber({
      channel: this.#channel,
      open: () =>
        openSubscriber(this.#redis.client, this.#cfg, {
          connectTimeout: CONNECT_TIMEOUT_MS,
          commandTimeout: COMMAND_TIMEOUT_MS,
        }),
      backoff,
      log: this.#log,
    });
    try {
      const remove = await this.#subscriber.add({ onMessage, onReconnect }, 2 * CONNECT_TIMEOUT_MS);
      return async () => remove();
    } catch (err) {
      throw new StoreUnavailableError(`redis subscribe failed: ${(err as Error).message}`, { cause: err });
    }
  }

  close(): void {
    this.#closed = true;
    this.#subscriber?.close();
    this.#subscriber = null;
  }
}
