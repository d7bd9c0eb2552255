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
  const { jar } = await login(g.url, { username: 'bob', password: PASSWORDS.bob });
  const r = await request(g.url, '/x', { headers: { host: H, cookie: jar.header(), 'x-request-id': 'trace-42' } });
  t.equal(
    r.json<{ headers: Record<string, string> }>().headers['x-request-id'],
    'trace-42',
    'the request id reaches the upstream',
  );
  t.equal(r.headers['x-request-id'], 'trace-42');
  const m = await request(g.url, '/metrics', { headers: { host: 'localhost' } });
  for (const name of [
    'gatekeeper_requests_total',
    'gatekeeper_decision_seconds',
    'gatekeeper_sessions_created_total',
    'gatekeeper_store_seconds',
    'gatekeeper_cache_hits',
    'gatekeeper_revocation_propagation_seconds',
    'gatekeeper_process_cpu_seconds_total',
  ]) {
    t.match(m.body, new RegExp(`^# HELP ${name} `, 'm'), `metric ${name}`);
  }
  t.match(m.body, /gatekeeper_store_seconds_count\{op="getSession"\} [1-9]/, 'store latency is measured per operation');

  // Request count and latency by decision and tenant: exact counts for a known sequence.
  const count = (body: string, series: string): number =>
    Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\d+)`, 'm').exec(body)?.[1] ?? 0);
  const before = (await request(g.url, '/metrics', { headers: { host: 'localhost' } })).body;
  for (let i = 0; i < 3; i++) await request(g.url, '/x', { headers: { host: H, cookie: jar.header() } });
  for (let i = 0; i < 2; i++) await request(g.url, '/x', { headers: { host: H, accept: 'application/json' } });
  const after = (await request(g.url, '/metrics', { headers: { host: 'localhost' } })).body;
  for (const [series, n] of [
    ['gatekeeper_requests_total{decision="allow",tenant="acme"}', 3],
    ['gatekeeper_decision_seconds_count{decision="allow",tenant="acme"}', 3],
    ['gatekeeper_requests_total{decision="invalid_token",tenant="acme"}', 2],
    ['gatekeeper_decision_seconds_count{decision="invalid_token",tenant="acme"}', 2],
  ] as const) {
    t.equal(count(after, series) - count(before, series), n, series);
  }
  const ops = g.gw.opsUrl!;
  t.ok(ops, 'the ops listener is up');
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
});
