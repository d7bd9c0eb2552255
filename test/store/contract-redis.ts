// A fresh RedisStore per contract test on a shared backend (standalone, Cluster or
// Sentinel). Each store gets its own key prefix, so tests cannot see each other; a peer
// is a second instance with the same prefix (another gateway of the same cluster).
// (Not a test file by itself: package.json's tap.exclude leaves test/store/contract*.ts out.)
import pino from 'pino';
import type { RedisConfig } from '../../src/config/types.js';
import { RedisStore } from '../../src/store/redis.js';
import type { SessionStore } from '../../src/store/types.js';
import { ManualClock } from '../../src/util/clock.js';
import type { MakeStore } from './contract-fixture.js';

const log = pino({ level: 'silent' });
let n = 0;

export function redisFixture(cfg: RedisConfig): MakeStore {
  return async () => {
    const keyPrefix = `gk:c${++n}:`;
    const store = new RedisStore(cfg, { keyPrefix, log });
    const peers: RedisStore[] = [];
    await store.ping();
    const peer = async (): Promise<SessionStore> => {
      const p = new RedisStore(cfg, { keyPrefix, log });
      peers.push(p);
      await p.ping();
      return p;
    };
    return {
      store,
      clock: new ManualClock(),
      peer,
      cleanup: async () => void (await Promise.all([store, ...peers].map((s) => s.close()))),
    };
  };
}
