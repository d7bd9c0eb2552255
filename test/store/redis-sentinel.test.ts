// The Redis store through Sentinel (one master and one sentinel, started once for this
// file): every concern's contract, and the writes landing on the master the sentinel names.
import t from 'tap';
import pino from 'pino';
import { RedisStore } from '../../src/store/redis.js';
import { ManualClock } from '../../src/util/clock.js';
import { redisCli, startSentinel } from '../helpers/redis.js';
import { runStoreContract, sessionFor } from './contract.js';
import { redisFixture } from './contract-redis.js';

const sentinel = await startSentinel();
t.teardown(() => sentinel.stop());
const cfg = { sentinels: sentinel.sentinels, name: sentinel.name };

runStoreContract(t, 'redis sentinel', redisFixture(cfg));

t.test('written to the master the sentinel names', async (t) => {
  const clock = new ManualClock();
  const store = new RedisStore(cfg, { keyPrefix: 'gk:sentinel:', log: pino({ level: 'silent' }) });
  t.teardown(() => store.close());
  const s = sessionFor(clock);
  t.same(await store.createSession(s, { max: 0, policy: 'reject' }, clock.now()), { ok: true, evicted: [] });
  t.strictSame(await store.getSession('acme', s.id), s);
  t.match(await redisCli(sentinel.master.port, 'keys', 'gk:sentinel:*'), s.id);
});
