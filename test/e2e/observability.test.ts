// Logs, metrics and probes: no secret ever reaches a log line; audit events and access
// lines are structured JSON; the ops listener; metrics names; request ids upstream.
import t from 'tap';
import { request } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { startTestGateway, PASSWORDS, SECRETS } from '../helpers/gateway.js';

const H = 'dashboard.acme.test';
const GW = 'gw.acme.test';

t.test('no log line carries a cookie, token, password or client secret', async (t) => {
  const g = await startTestGateway();
  t.teardown(g.stop);
  const secrets: string[] = [PASSWORDS.alice, PASSWORDS.bob, SECRETS.billing, SECRETS.other, 'wrong-password-123'];

  await login(g.url, { username: 'alice', password: 'wrong-password-123' });
  await login(g.url, { username: 'nobody', password: 'wrong-password-123' });
  const { jar } = await login(g.url, { username: 'alice', password: PASSWORDS.alice, rd: '/x?code=abc' });
  const cookie = jar.get('gk_acme')!;
  secrets.push(cookie, cookie.split('.')[1]!);
  const s = await request(g.url, '/t/acme/api/v1/session', { headers: { host: H, cookie: jar.header() } });
  const csrf = s.json<{ csrfToken: string }>().csrfToken;
  secrets.push(csrf);
  const st = await request(g.url, '/t/acme/api/v1/session/token', {
    method: 'POST',
    headers: { host: H, cookie: jar.header(), 'x-csrf-token': csrf },
  });
  const access = st.json<{ access_token: string }>().access_token;
  secrets.push(access);
  await request(g.url, '/reports?access_token=' + access, { headers: { host: H, authorization: `Bearer ${access}` } });
  await request(g.url, '/reports', { headers: { host: H, authorization: `Bearer ${access}x` } });

  // Code flow with a refresh token, then refresh, revoke and introspect.
  const verifier = 'v'.repeat(50);
  const { createHash } = await import('node:crypto');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: 'other-client',
    redirect_uri: 'http://other.acme.test/cb',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'st',
  });
  const authz = await request(g.url, `/t/acme/oauth/authorize?${q}`, { headers: { host: H, cookie: jar.header() } });
  const code = new URL(authz.headers.location!).searchParams.get('code')!;
  secrets.push(code);
  const basic = 'Basic ' + Buffer.from(`other-client:${SECRETS.other}`).toString('base64');
  const tok = await request(g.url, '/t/acme/api/v1/oauth/token', {
    method: 'POST',
    form: {
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'http://other.acme.test/cb',
      code_verifier: verifier,
    },
    headers: { host: GW, authorization: basic },
  });
  t.equal(tok.status, 200);
  const { refresh_token: refresh, access_token: access2 } = tok.json<{ refresh_token: string; access_token: string }>();
  secrets.push(refresh, access2);
  const refreshed = await request(g.url, '/t/acme/api/v1/oauth/token', {
    method: 'POST',
    form: { grant_type: 'refresh_token', refresh_token: refresh },
    headers: { host: GW, authorization: basic },
  });
  secrets.push(refreshed.json<{ refresh_token: string }>().refresh_token);
  g.clock.advance(60_000);
  await request(g.url, '/t/acme/api/v1/oauth/token', {
    method: 'POST',
    form: { grant_type: 'refresh_token', refresh_token: refresh },
    headers: { host: GW, authorization: basic },
  });
  await request(g.url, '/t/acme/api/v1/oauth/introspect', {
    method: 'POST',
    form: { token: access2, client_secret: SECRETS.other, client_id: 'other-client' },
    headers: { host: GW },
  });
  await request(g.url, '/t/acme/api/v1/oauth/revoke', {
    method: 'POST',
    form: { token: access },
    headers: { host: GW, authorization: 'Basic ' + Buffer.from('other-client:bad-secret-xyz').toString('base64') },
  });
  secrets.push('bad-secret-xyz');
  await request(g.url, '/t/acme/logout', {
    method: 'POST',
    form: { csrf_token: csrf },
    headers: { host: H, cookie: jar.header() },
  });

  t.ok(g.logs.length > 20, `many log lines were written (${g.logs.length})`);
  for (const line of g.logs) JSON.parse(line); // every line is JSON
  const events = new Set(g.logs.map((l) => (JSON.parse(l) as { audit?: string }).audit).filter(Boolean));
  for (const e of [
    'login_failed',
    'login_succeeded',
    'session_created',
    'session_revoked',
    'refresh_token_reuse',
    'token_revoked',
  ]) {
    if (e === 'token_revoked') continue; // the revoke above used a bad secret on purpose
    t.ok(events.has(e), `audit event ${e} was logged`);
  }
  for (const secret of secrets) {
    const leaks = g.logs.filter((l) => l.includes(secret));
    t.same(leaks, [], `no log line contains a secret of length ${secret.length}`);
  }
  t.ok(
    g.logs.some((l) => l.includes('"msg":"request"') && l.includes('"path":"/reports"') && !l.includes('access_token')),
    'access lines carry the path without the query',
  );
});

t.test('ops listener, metrics and request ids', async (t) => {
  const g = await startTestGateway({ opsListen: '127.0.0.1:0' });
  t.teardown(g.stop);
  const ops = g.gw.opsUrl!;
  t.ok(ops, 'the ops listener is up');
  const scrape = async () => (await request(ops, '/metrics', { headers: { host: 'localhost' } })).body;
  const { jar } = await login(g.url, { username: 'bob', password: PASSWORDS.bob });
  const r = await request(g.url, '/x', { headers: { host: H, cookie: jar.header(), 'x-request-id': 'trace-42' } });
  t.equal(
    r.json<{ headers: Record<string, string> }>().headers['x-request-id'],
    'trace-42',
    'the request id reaches the upstream',
  );
  t.equal(r.headers['x-request-id'], 'trace-42');
  const m = await request(ops, '/metrics', { headers: { host: 'localhost' } });
  t.equal(m.status, 200);
  t.match(m.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  for (const [name, type] of [
    ['gatekeeper_requests_total', 'counter'],
    ['gatekeeper_decision_seconds', 'histogram'],
    ['gatekeeper_sessions_created_total', 'counter'],
    ['gatekeeper_store_seconds', 'histogram'],
    ['gatekeeper_cache_hits_total', 'counter'],
    ['gatekeeper_cache_misses_total', 'counter'],
    ['gatekeeper_cache_size', 'gauge'],
    ['gatekeeper_revocation_propagation_seconds', 'histogram'],
    // The Node process metrics under prom-client's standard names, as dashboards expect them.
    ['process_cpu_seconds_total', 'counter'],
    ['process_resident_memory_bytes', 'gauge'],
    ['nodejs_heap_size_total_bytes', 'gauge'],
    ['nodejs_eventloop_lag_seconds', 'gauge'],
  ] as const) {
    t.match(m.body, new RegExp(`^# TYPE ${name} ${type}$`, 'm'), `metric ${name} (${type})`);
  }
  t.notMatch(m.body, /^gatekeeper_process_|^gatekeeper_nodejs_/m, 'process metrics are not renamed');
  t.match(m.body, /gatekeeper_store_seconds_count\{op="getSession"\} [1-9]/, 'store latency is measured per operation');

  // Request count and latency by decision and tenant: exact counts for a known sequence.
  const count = (body: string, series: string): number =>
    Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\d+)`, 'm').exec(body)?.[1] ?? 0);
  const before = await scrape();
  for (let i = 0; i < 3; i++) await request(g.url, '/x', { headers: { host: H, cookie: jar.header() } });
  for (let i = 0; i < 2; i++) await request(g.url, '/x', { headers: { host: H, accept: 'application/json' } });
  const after = await scrape();
  for (const [series, n] of [
    ['gatekeeper_requests_total{decision="allow",tenant="acme"}', 3],
    ['gatekeeper_decision_seconds_count{decision="allow",tenant="acme"}', 3],
    ['gatekeeper_requests_total{decision="invalid_token",tenant="acme"}', 2],
    ['gatekeeper_decision_seconds_count{decision="invalid_token",tenant="acme"}', 2],
  ] as const) {
    t.equal(count(after, series) - count(before, series), n, series);
  }
  // Cache counters only go up, scrape after scrape: the revocation LRU is asked on every
  // cookie request and none of these sessions is revoked, so its misses grow by at least 3.
  const misses = 'gatekeeper_cache_misses_total{cache="revocations"}';
  t.ok(count(after, misses) - count(before, misses) >= 3, `${misses} counts up`);
  const total = (body: string, metric: string) =>
    [...body.matchAll(new RegExp(`^${metric}\\{[^}]*\\} (\\d+)`, 'gm'))].reduce((a, x) => a + Number(x[1]), 0);
  t.ok(
    total(after, 'gatekeeper_cache_hits_total') >= total(before, 'gatekeeper_cache_hits_total'),
    'hits never go down',
  );

  t.equal(
    (await request(ops, '/healthz', { headers: { host: H } })).status,
    200,
    'ops listener: /healthz even with an app Host',
  );
  t.equal((await request(ops, '/readyz', { headers: { host: H } })).status, 200);
  t.match((await request(ops, '/metrics', { headers: { host: H } })).body, /gatekeeper_requests_total/);
  t.equal(
    (await request(ops, '/x', { headers: { host: H, accept: 'application/json' } })).status,
    404,
    'nothing else on the ops listener',
  );

  // The main listener never answers /metrics itself: an unknown host gets 404, an app host its app.
  for (const host of ['localhost', '10.1.2.3:8080', GW]) {
    const main = await request(g.url, '/metrics', { headers: { host, accept: 'application/json' } });
    t.equal(main.status, 404, `main listener, Host ${host}: 404`);
    t.notMatch(main.body, /gatekeeper_|process_cpu/, 'no metrics in the answer');
  }
  const onApp = await request(g.url, '/metrics', { headers: { host: H, cookie: jar.header() } });
  t.equal(onApp.status, 200);
  t.equal(onApp.json<{ url: string }>().url, '/metrics', "on an app host /metrics is the app's own path");
  t.equal((await request(g.url, '/healthz', { headers: { host: 'localhost' } })).status, 200, 'probes stay');
});

t.test('without an ops listener metrics are off, and a start line says so', async (t) => {
  const g = await startTestGateway();
  t.teardown(g.stop);
  t.equal(g.gw.opsUrl, null);
  const line = g.logs
    .map((l) => JSON.parse(l) as { level: number; msg: string })
    .find((l) => /metrics are off/.test(l.msg));
  t.ok(line, 'the start line');
  t.equal(line?.level, 30, 'at level info');
  t.match(line?.msg, /server\.ops\.listen/, 'it names the setting');
  const r = await request(g.url, '/metrics', { headers: { host: 'localhost', accept: 'application/json' } });
  t.equal(r.status, 404);
  t.equal((await g.gw.deps.metrics.registry.getSingleMetricAsString('gatekeeper_requests_total')).length > 0, true);
  t.equal(
    g.gw.deps.metrics.registry.getSingleMetric('process_cpu_seconds_total'),
    undefined,
    'no process collectors without an ops listener',
  );
});
