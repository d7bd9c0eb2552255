// RedisStore: the SessionStore over ioredis (standalone, Sentinel or Cluster), failing fast.
// It composes one Redis implementation per concern over one shared connection
// (redis-connection.ts): redis-sessions.ts, redis-tokens.ts, redis-throttle.ts,
// redis-settings.ts and redis-events.ts, each documenting its own keys and carrying its
// own Lua scripts. ioredis adds `keyPrefix` (default "gk:") in front of every key; the
// hash tags that keep each script inside one Cluster slot are in redis-keys.ts.
// Every key but a tenant's saved settings carries a TTL, set relative to the gateway's
// clock (every method that decides by time takes `now`); liveness is always judged from
// the records, the TTLs only clean up.
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisConfig } from '../config/types.js';
import { ComposedStore } from './composed-store.js';
import { RedisConnection } from './redis-connection.js';
import { RedisEvents } from './redis-events.js';
import { RedisSessions } from './redis-sessions.js';
import { RedisSettings } from './redis-settings.js';
import { RedisThrottle } from './redis-throttle.js';
import { RedisTokens } from './redis-tokens.js';

export interface RedisStoreOptions {
  keyPrefix: string;
  log: Logger;
}

export class RedisStore extends ComposedStore {
  readonly kind = 'redis' as const;
  readonly #redis: RedisConnection;
  readonly #events: RedisEvents;

  constructor(cfg: RedisConfig, opts: RedisStoreOptions) {
    const redis = new RedisConnection(cfg, opts.keyPrefix, opts.log);
    const events = new RedisEvents(redis, cfg, { keyPrefix: opts.keyPrefix, log: opts.log });
    super({
      sessions: new RedisSessions(redis, { keyPrefix: opts.keyPrefix, log: opts.log }),
      tokens: new RedisTokens(redis),
      throttle: new RedisThrottle(redis),
      settings: new RedisSettings(redis),
      events,
    });
    this.#redis = redis;
    this.#events = events;
  }

  /** The ioredis client (standalone/Sentinel `Redis` or `Cluster`), for the federation store beside it. */
  get client(): Redis | Cluster {
    return this.#redis.client;
  }

  // ---- lifecycle

  /** Readiness: the store can serve every key right now (Cluster: every slot's master answers). */
  async ping(): Promise<void> {
    await this.#redis.checkHealth();
  }

  canServeCached(): boolean {
    return this.#redis.ready && this.#events.subscribed;
  }

  async close(): Promise<void> {
    this.#events.close();
    await this.#redis.close();
  }
}
