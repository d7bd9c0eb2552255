// The Redis store on a private 3-master Redis Cluster (started once for this file): every
// concern's contract, and the hash tags that keep each script inside one slot.
import t from 'tap';
import { tagOfSessionId } from '../../src/session/ids.js';
import { ManualClock } from '../../src/util/clock.js';
import { redisCli, startCluster } from '../helpers/redis.js';
import { runStoreContract, sessionFor } from './contract.js';
import { redisFixture } from './contract-redis.js';

const cluster = await startCluster();
t.teardown(() => cluster.stop());

runStoreContract(t, 'redis cluster', redisFixture({ cluster: cluster.nodes }));

t.test("a user's session, index and refresh-token chain share one slot", async (t) => {
  const s = sessionFor(new ManualClock());
  const [node] = cluster.nodes;
  const slotOf = async (key: string) => (await redisCli(node!.port, 'cluster', 'keyslot', key)).trim();
  const base = `gk:{acme:${tagOfSessionId(s.id)}}:`;
  const slots = await Promise.all(['u:u1', `rt:${s.id}`, `rtu:${s.id}`].map((k) => slotOf(base + k)));
  t.same(slots, Array(3).fill(await slotOf(`${base}s:${s.id}`)));
  const tenantWide = await Promise.all(
    ['code:x', 'jti:x', 'thr:u:alice', 'thr:ip:1', 'settings'].map((k) => slotOf(`gk:{acme}:${k}`)),
  );
  t.same(new Set(tenantWide).size, 1, "tenant-wide keys share the tenant's slot (an attempt's two throttle keys)");
});
