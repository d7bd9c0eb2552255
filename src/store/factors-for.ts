// The factor store that goes with a session store: Redis beside Redis (same client, same
// keyPrefix, a user's factors in the slot of their sessions), memory beside memory.
// No clock: every method that decides by time takes `now`, and factors never expire.
import type { FactorStore } from './factors.js';
import { MemoryFactors } from './memory-factors.js';
import { RedisFactors } from './redis-factors.js';
import type { RedisStore } from './redis.js';
import type { SessionStore } from './types.js';

export function factorStoreFor(store: SessionStore): FactorStore {
  // Tests wrap stores (instrumentation, outages): look for the Redis client behind them.
  const client = store.kind === 'redis' ? (store as Partial<Pick<RedisStore, 'client'>>).client : undefined;
  return client ? new RedisFactors(client) : new MemoryFactors();
}
