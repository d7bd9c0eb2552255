// Proxy plumbing: WebSocket upgrades through the pipeline, 502/504 pages, ops endpoints
// on non-app hosts, request ids.
import t from 'tap';
import WebSocket from 'ws';
import { request } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { startTestGateway, PASSWORDS } from '../helpers/gateway.js';

const H = 'dashboard.acme.test';

function openWs(
  url: string,
  headers: Record<string, string>,
): Promise<{ ws: WebSocket; first: string } | { status: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace('http', 'ws') + '/socket', { headers });
    ws.once('message', (m) => resolve({ ws, first: String(m) }));
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    ws.once('error', reject);
  });
}

t.test('proxy plumbing', async (t) => {
  const g = await startTestGateway();
  t.teardown(g.stop);
  const { jar } = await login(g.url, { username: 'bob', password: PASSWORDS.bob });

  await t.test('WebSocket upgrades run the pipeline', async (t) => {
    const anon = await openWs(g.url, { host: H });
    t.same(anon, { status: 401 }, 'no session: refused before the upstream');
    const ok = await openWs(g.url, { host: H, cookie: jar.header(), 'x-auth-user': 'u-alice' });
    if (!('ws' in ok)) throw new Error(`upgrade refused: ${ok.status}`);
    t.same(JSON.parse(ok.first), { hello: 'u-bob' }, 'identity headers reach the upstream; spoofed ones do not');
    const echoed = new Promise<string>((r) => ok.ws.once('message', (m) => r(String(m))));
    ok.ws.send('ping');
    t.equal(await echoed, 'ping');
    ok.ws.close();
  });

  await t.test('upstream timeout: 504; JSON or HTML by Accept', async (t) => {
    const r = await request(g.url, '/hang', { headers: { host: H, cookie: jar.header(), accept: 'application/json' } });
    t.equal(r.status, 504);
    t.equal(r.json().error, 'gateway_timeout');
    const html = await request(g.url, '/hang', { headers: { host: H, cookie: jar.header(), accept: 'text/html' } });
    t.equal(html.status, 504);
    t.match(html.headers['content-type'], /text\/html/);
  });

  await t.test('upstream down: 502', async (t) => {
    await g.upstream.close();
    const r = await request(g.url, '/x', { headers: { host: H, cookie: jar.header(), accept: 'application/json' } });
    t.equal(r.status, 502);
    t.equal(r.json().error, 'bad_gateway');
  });

  await t.test('ops endpoints answer on non-app hosts only', async (t) => {
    const health = await request(g.url, '/healthz', { headers: { host: '10.1.2.3:8080' } });
    t.equal(health.status, 200);
    const ready = await request(g.url, '/readyz', { headers: { host: 'localhost' } });
    t.equal(ready.status, 200);
    t.equal(ready.json().store, 'memory');
    // /metrics is served on the ops listener only (observability.test.ts): here it is an unknown host's path.
    const metrics = await request(g.url, '/metrics', { headers: { host: 'localhost', accept: 'application/json' } });
    t.equal(metrics.status, 404, 'no /metrics on the main listener');
    t.notMatch(metrics.body, /gatekeeper_/);
    const onApp = await request(g.url, '/metrics', { headers: { host: H, accept: 'application/json' } });
    t.equal(onApp.status, 401, 'on an app host /metrics belongs to the app (and is protected)');
  });

  await t.test('request ids: honoured or created', async (t) => {
    const given = await request(g.url, '/healthz', { headers: { host: 'localhost', 'x-request-id': 'abc-123' } });
    t.equal(given.headers['x-request-id'], 'abc-123');
    const made = await request(g.url, '/healthz', {
      headers: { host: 'localhost', 'x-request-id': 'bad id\twith tab' },
    });
    t.match(made.headers['x-request-id'], /^[0-9a-f-]{36}$/);
  });
});
