// The gateway on a 3+3 Redis Cluster whose master holding bob's sessions is killed
// (SIGKILL): bob's requests get 503 fast (never 401, never a login page), alice, whose
// sessions are on another master, is served on, /readyz answers 503 until the replica is
// promoted and 200 after, and the log has one warn line for the loss and one for the
// recovery. (acme's u-alice and u-bob land in slots 5171 and 15988: on the first and the
// third master of `redis-cli --cluster create`.)
import t from 'tap';
import { tagOfSessionId } from '../../src/session/ids.js';
import { hasCode } from '../helpers/error-code.js';
import { startTestGateway, PASSWORDS } from '../helpers/gateway.js';
import { request } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { startCluster } from '../helpers/redis.js';

const H = 'dashboard.acme.test';
const READY_DEADLINE_MS = 20_000;

t.test('a Cluster master lost: 503 for its shard only, /readyz and the log say so', { timeout: 60_000 }, async (t) => {
  const cluster = await startCluster({ replicas: 1, nodeTimeoutMs: 1000, requireFullCoverage: false });
  t.teardown(() => cluster.stop());
  const nodes = cluster.nodes.map((n) => `{ host: ${n.host}, port: ${n.port} }`).join(', ');
  const g = await startTestGateway({ storeYaml: `store:\n  redis: { cluster: [${nodes}] }\n  keyPrefix: "gk:"` });
  t.teardown(g.stop);
  const readyz = () => request(g.url, '/readyz', { headers: { host: 'localhost' } });

  const alice = await login(g.url, { username: 'alice', password: PASSWORDS.alice });
  const bob = await login(g.url, { username: 'bob', password: PASSWORDS.bob });
  const get = (jar: typeof bob.jar, path: string) =>
    request(g.url, path, { headers: { host: H, cookie: jar.header(), accept: 'application/json' } });
  // Bob's session list is read from his slot on every call (no cache in between).
  const bobList = () => get(bob.jar, '/t/acme/api/v1/me/sessions');
  t.equal((await bobList()).status, 200);
  t.equal((await get(alice.jar, '/x')).status, 200);
  t.equal((await readyz()).status, 200);

  const bobSession = JSON.parse((await bobList()).body) as { sessions: { id: string }[] };
  const bobKey = `gk:{acme:${tagOfSessionId(bobSession.sessions[0]!.id)}}:s:x`;
  const aliceList = JSON.parse((await get(alice.jar, '/t/acme/api/v1/me/sessions')).body) as typeof bobSession;
  const aliceKey = `gk:{acme:${tagOfSessionId(aliceList.sessions[0]!.id)}}:s:x`;
  const victimPort = await cluster.masterOf(bobKey);
  t.not(await cluster.masterOf(aliceKey), victimPort, "alice's sessions are on another master");
  const logsBefore = g.logs.length;

  const killedAt = performance.now();
  await cluster.servers.find((s) => s.port === victimPort)!.kill();

  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    const start = performance.now();
    const res = await bobList();
    times.push(performance.now() - start);
    t.equal(res.status, 503, "bob's shard is lost: 503, not 401");
    hasCode(t, res, 'ERR_GK_STORE_UNAVAILABLE');
  }
  t.ok(
    times.every((ms) => ms < 2000),
    'each within 2 s',
  );
  const notReady = await readyz();
  t.equal(notReady.status, 503, '/readyz: not ready with a master lost');
  hasCode(t, notReady, 'ERR_GK_STORE_UNAVAILABLE', '/readyz');
  for (let i = 0; i < 5; i++) t.equal((await get(alice.jar, '/x')).status, 200, 'alice on a healthy shard: served');

  // Redis promotes the replica after its node timeout; /readyz is what a balancer polls.
  let readyAfter = -1;
  while (performance.now() - killedAt < READY_DEADLINE_MS) {
    if ((await readyz()).status === 200) {
      readyAfter = performance.now() - killedAt;
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  t.ok(readyAfter > 0, 'ready again after the failover');
  t.equal((await bobList()).status, 200, "bob's sessions are served by the promoted replica");
  t.equal((await get(bob.jar, '/x')).status, 200, 'and his session still works');

  const warns = g.logs
    .slice(logsBefore)
    .map((l) => JSON.parse(l) as { level: number; msg: string; lost?: string[] })
    .filter((l) => l.level === 40 && /^redis store/.test(l.msg));
  t.same(
    warns.map((l) => l.msg),
    ['redis store cannot serve', 'redis store serving again'],
    'one warn line for the loss, one for the recovery',
  );
  t.same(warns[0]!.lost, [`127.0.0.1:${victimPort}`]);
  const sorted = [...times].sort((a, b) => a - b);
  t.comment(
    `HTTP 503 on the lost shard: p50 ${sorted[5]!.toFixed(1)} ms, max ${sorted[9]!.toFixed(1)} ms; ` +
      `/readyz 200 again ${readyAfter.toFixed(0)} ms after the kill`,
  );
});
