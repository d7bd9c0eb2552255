// The gateway on a real Redis: Redis stopped mid-test → 503 for protected routes (never
// "logged out"), anonymous routes still served; Redis back → the same session works again
// without restarting the gateway.
import t from 'tap';
import { request } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { startRedis } from '../helpers/redis.js';
import type { RedisStore } from '../../src/store/redis.js';
import { startTestGateway, PASSWORDS } from '../helpers/gateway.js';
import { hasCode } from '../helpers/error-code.js';

const H = 'dashboard.acme.test';

t.test('Redis outage and recovery', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.stop());
  const g = await startTestGateway({ storeYaml: `store:\n  redis: ${redis.url}/0\n  keyPrefix: "gk:"` });
  t.teardown(g.stop);

  const { jar } = await login(g.url, { username: 'bob', password: PASSWORDS.bob });
  const get = (path: string, accept = 'application/json') =>
    request(g.url, path, { headers: { host: H, cookie: jar.header(), accept } });
  t.equal((await get('/x')).status, 200, 'signed in on Redis');
  t.equal((await request(g.url, '/readyz', { headers: { host: 'localhost' } })).status, 200);

  await redis.kill({ keepData: true });
  const down = await get('/x');
  t.equal(down.status, 503, 'store down: 503, not 401');
  t.equal(down.json().error, 'temporarily_unavailable');
  hasCode(t, down, 'ERR_GK_STORE_UNAVAILABLE');
  const browser = await get('/x', 'text/html');
  t.equal(browser.status, 503, 'a browser is not sent to login while the store is down');
  hasCode(t, browser, 'ERR_GK_STORE_UNAVAILABLE', 'the page');
  t.equal((await get('/public/x')).status, 200, 'anonymous routes need no store');
  const notReady = await request(g.url, '/readyz', { headers: { host: 'localhost' } });
  t.equal(notReady.status, 503, '/readyz reports the outage');
  hasCode(t, notReady, 'ERR_GK_STORE_UNAVAILABLE', '/readyz');
  const loginPage = await request(g.url, '/t/acme/api/v1/session', { headers: { host: H, cookie: jar.header() } });
  t.equal(loginPage.status, 503, 'gateway endpoints answer 503 too');
  hasCode(t, loginPage, 'ERR_GK_STORE_UNAVAILABLE');

  await redis.restart();
  // ioredis reconnects by itself; wait for its 'ready' event rather than sleeping.
  const client = (g.gw.deps.store as RedisStore).client;
  if (client.status !== 'ready') await new Promise((r) => client.once('ready', r));
  t.equal((await request(g.url, '/readyz', { headers: { host: 'localhost' } })).status, 200, 'ready again');
  t.equal((await get('/x')).status, 200, 'the same session works again: nothing was deleted during the outage');
});
