// RedisStore: the SessionStore over ioredis (standalone, Sentinel or Cluster), failing fast.
// It composes one Redis implementation per concern over one shared connection
// (redis-connection.ts): redis-sessions.ts, redis-tokens.ts, redis-throttle.ts,
// redis-settings.ts and redis-events.ts, each documenting its own keys and carrying its
// own Lua scripts. ioredis adds `keyPrefix` (default "gk:") in front of every key; the
// hash tags that keep each script inside one Cluster slot are in redis-keys.ts.
// Every key but a tenant's saved settings carries a TTL, set relative to the gateway's
// clock (every method that decides by time takes `now`); liveness is always judged from
// the records, the TTLs only clean up.
// With store.durability replicated, session creation and every revocation (a session's
// delete, revoke-all, an access token's deny) travel on a second connection and wait for a
// replica's acknowledgement before they count (redis-durability.ts).
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisConfig } from '../config/types.js';
import { ComposedStore } from './composed-store.js';
import { RedisConnection } from './redis-connection.js';
import { NO_BARRIER, WaitBarrier, type Durability, type ReplicaBarrier } from './redis-durability.js';
import { RedisEvents } from './redis-events.js';
import { RedisSessions } from './redis-sessions.js';
import { RedisSettings } from './redis-settings.js';
import { RedisThrottle } from './redis-throttle.js';
import { RedisTokens } from './redis-tokens.js';

export interface RedisStoreOptions {
  keyPrefix: string;
  log: Logger;
  /** store.durability (default local). */
  durability?: Durability;
  /** store.replicaTimeout: how long a replicated write waits for a replica, in ms. */
  replicaTimeoutMs?: number;
}

/** store.replicaTimeout's default. */
export const REPLICA_TIMEOUT_MS = 200;

export class RedisStore extends ComposedStore {
  readonly kind = 'redis' as const;
  readonly #redis: RedisConnection;
  readonly #events: RedisEvents;
  /** replicated: the connection the confirmed writes go through, and what they wait for. */
  readonly #writes: RedisConnection | null;
  readonly #barrier: ReplicaBarrier;
  readonly #denials: RedisTokens | null;

  constructor(cfg: RedisConfig, opts: RedisStoreOptions) {
    const redis = new RedisConnection(cfg, opts.keyPrefix, opts.log);
    const events = new RedisEvents(redis, cfg, { keyPrefix: opts.keyPrefix, log: opts.log });
    const replicated = opts.durability === 'replicated';
    const writes = replicated
      ? new RedisConnection(cfg, opts.keyPrefix, opts.log.child({ connection: 'replicated-writes' }))
      : null;
    const barrier = writes ? new WaitBarrier(writes.client, opts.replicaTimeoutMs ?? REPLICA_TIMEOUT_MS) : NO_BARRIER;
    super({
      sessions: new RedisSessions(redis, {
        keyPrefix: opts.keyPrefix,
        log: opts.log,
        ...(writes ? { writes, barrier } : {}),
      }),
      tokens: new RedisTokens(redis),
      throttle: new RedisThrottle(redis),
      settings: new RedisSettings(redis),
      events,
    });
    this.#redis = redis;
    this.#events = events;
    this.#writes = writes;
    this.#barrier = barrier;
    // The deny list's writes, on the confirmed-writes connection (its keys are the tokens
    // concern's business, so the WAIT goes to every master there: see confirmAll).
    this.#denials = writes ? new RedisTokens(writes) : null;
  }

  get durability(): Durability {
    return this.#barrier.durability;
  }

  override async denyToken(tenant: string, jti: string, expiresAt: number, now: number): Promise<void> {
    if (!this.#denials) return super.denyToken(tenant, jti, expiresAt, now);
    await this.#denials.denyToken(tenant, jti, expiresAt, now);
    await this.#barrier.confirmAll('denyToken');
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
    await Promise.all([this.#redis.close(), this.#writes?.close()]);
  }
}
