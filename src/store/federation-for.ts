// The federation store that goes with a session store: Redis beside Redis (same client,
// same keyPrefix), memory beside memory.
import type { Clock } from '../util/clock.js';
import type { FederationStore } from './federation.js';
import { MemoryFederation } from './memory-federation.js';
import { RedisFederation } from './redis-federation.js';
import type { RedisStore } from './redis.js';
import type { SessionStore } from './types.js';

export function federationStoreFor(store: SessionStore, clock: Clock): FederationStore {
  // Tests wrap stores (instrumentation, outages): look for the Redis client behind them.
  const client = store.kind === 'redis' ? (store as Partial<Pick<RedisStore, 'client'>>).client : undefined;
  return client ? new RedisFederation(client) : new MemoryFederation(clock);
}
