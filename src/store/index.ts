// Picks the session store from configuration: Redis when configured, else the embedded one.
import type { Logger } from 'pino';
import type { RedisConfig } from '../config/types.js';
import type { Clock } from '../util/clock.js';
import { MemoryStore } from './memory.js';
import { RedisStore } from './redis.js';
import type { SessionStore } from './types.js';

export interface StoreConfig {
  redis: RedisConfig | null;
  keyPrefix: string;
  /** Redis only (the schema refuses replicated without Redis); default local. */
  durability?: 'local' | 'replicated';
  /** replicated: ms to wait for a replica (default 200). */
  replicaTimeout?: number;
}

export interface StoreDeps {
  clock: Clock;
  log: Logger;
}

export function createStore(cfg: StoreConfig, deps: StoreDeps): SessionStore {
  if (cfg.redis === null) {
    // A development default: say so once, loudly (ARCHITECTURE.md habit 6).
    deps.log.warn(
      'store.redis is not set: using the embedded in-memory session store. Sessions are lost on restart and ' +
        'not shared between instances; set store.redis for production.',
    );
    return new MemoryStore({ clock: deps.clock });
  }
  return new RedisStore(cfg.redis, {
    keyPrefix: cfg.keyPrefix,
    log: deps.log,
    ...(cfg.durability ? { durability: cfg.durability } : {}),
    ...(cfg.replicaTimeout ? { replicaTimeoutMs: cfg.replicaTimeout } : {}),
  });
}
