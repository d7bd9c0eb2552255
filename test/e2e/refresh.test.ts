// Refresh tokens of a confidential client (SPEC §4): rotation on every use, reuse after the
// grace window revokes the whole session (audited), parallel refreshes within the window
// share one successor, a token is bound to its client, and it expires with
// refreshTokenLifetime.
import { createHash, randomBytes } from 'node:crypto';
import t from 'tap';
import { request, type Response } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { startTestGateway, PASSWORDS, SECRETS } from '../helpers/gateway.js';
import { hasCode } from '../helpers/error-code.js';

const DASH = 'dashboard.acme.test';
const REDIRECT = 'http://other.acme.test/cb';
const BASIC = `Basic ${Buffer.from(`other-client:${SECRETS.other}`).toString('base64')}`;

const g = await startTestGateway({ settings: 'refreshTokenLifetime: 1h' });
t.teardown(g.stop);

interface Tokens {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
}

function tokenRequest(form: Record<string, string>, authorization: string | null = BASIC): Promise<Response> {
  return request(g.url, '/t/acme/api/v1/oauth/token', {
    method: 'POST',
    headers: { host: DASH, ...(authorization ? { authorization } : {}) },
    form,
  });
}

/** Log in, authorize other-client with PKCE, exchange the code. */
async function codeFlow(user: 'alice' | 'bob' = 'alice'): Promise<Tokens> {
  const { jar } = await login(g.url, { username: user, password: PASSWORDS[user] });
  const verifier = randomBytes(32).toString('base64url');
  const q = new URLSearchParams({
    client_id: 'other-client',
    redirect_uri: REDIRECT,
    response_type: 'code',
    state: 'st-1',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  const auth = await request(g.url, `/t/acme/oauth/authorize?${q}`, {
    headers: { host: DASH, accept: 'text/html', cookie: jar.header() },
  });
  if (auth.status !== 302) throw new Error(`authorize: ${auth.status}`);
  const code = new URL(String(auth.headers.location)).searchParams.get('code');
  if (!code) throw new Error(`no code in ${auth.headers.location}`);
  const res = await tokenRequest({
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT,
    code_verifier: verifier,
  });
  if (res.status !== 200) throw new Error(`exchange: ${res.status} ${res.body}`);
  return res.json<Tokens>();
}

function refresh(
  token: string,
  authorization: string | null = BASIC,
  extra: Record<string, string> = {},
): Promise<Response> {
  return tokenRequest({ grant_type: 'refresh_token', refresh_token: token, ...extra }, authorization);
}

async function atApp(accessToken: string): Promise<number> {
  return (
    await request(g.url, '/reports', {
      headers: { host: DASH, accept: 'application/json', authorization: `Bearer ${accessToken}` },
    })
  ).status;
}

const graceMs = 10_000; // the default refreshGrace

t.test('rotation, then reuse after the grace window kills the whole session', async (t) => {
  const t0 = await codeFlow();
  t.match(t0.refresh_token, /^sess_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'opaque <sessionId>.<secret>');
  t.equal(await atApp(t0.access_token), 200);

  const r1 = await refresh(t0.refresh_token);
  t.equal(r1.status, 200);
  t.equal(r1.headers['cache-control'], 'no-store');
  const t1 = r1.json<Tokens>();
  t.not(t1.refresh_token, t0.refresh_token, 'a new refresh token');
  t.equal(t1.refresh_token.split('.')[0], t0.refresh_token.split('.')[0], 'of the same session');
  const r2 = await refresh(t1.refresh_token);
  t.equal(r2.status, 200);
  const t2 = r2.json<Tokens>();
  t.not(t2.refresh_token, t1.refresh_token, 'a new one again');
  t.not(t2.refresh_token, t0.refresh_token);
  t.equal(await atApp(t2.access_token), 200, 'the newest access token works');
  t.equal(await atApp(t0.access_token), 200, 'so does the first (same session)');

  g.clock.advance(graceMs + 1_000);
  const auditsBefore = g.logs.filter((l) => l.includes('"audit":"refresh_token_reuse"')).length;
  const replay = await refresh(t1.refresh_token);
  t.equal(replay.status, 400, 'an already-used token after the grace window');
  t.equal(replay.json().error, 'invalid_grant');
  hasCode(t, replay, 'ERR_GK_OAUTH_INVALID_GRANT');

  t.equal(await atApp(t2.access_token), 401, 'the newest access token is dead at once');
  t.equal(await atApp(t0.access_token), 401, 'every access token of the session is dead');
  const newest = await refresh(t2.refresh_token);
  t.equal(newest.status, 400);
  t.equal(newest.json().error, 'invalid_grant', 'the newest refresh token is dead too');
  hasCode(t, newest, 'ERR_GK_OAUTH_INVALID_GRANT');
  const audits = g.logs.filter((l) => l.includes('"audit":"refresh_token_reuse"'));
  t.equal(audits.length, auditsBefore + 1, 'refresh_token_reuse is audited once');
  t.match(audits.at(-1), new RegExp(`"sessionId":"${t0.refresh_token.split('.')[0]}"`));
  t.notMatch(audits.at(-1), t1.refresh_token.split('.')[1]!, 'the audit line holds no secret');
});

t.test('an old token replayed within the grace window gets the same successor', async (t) => {
  const t0 = await codeFlow();
  const first = (await refresh(t0.refresh_token)).json<Tokens>();
  g.clock.advance(graceMs - 1_000);
  const again = await refresh(t0.refresh_token);
  t.equal(again.status, 200, 'within refreshGrace: no logout');
  t.equal(again.json<Tokens>().refresh_token, first.refresh_token, 'the same successor');
  t.not(again.json<Tokens>().access_token, first.access_token, 'a fresh access token');
  t.equal(await atApp(again.json<Tokens>().access_token), 200);
  const next = await refresh(first.refresh_token);
  t.equal(next.status, 200, 'the chain goes on from the successor');
});

t.test('10 parallel refreshes with one token: one successor, no logout', async (t) => {
  const t0 = await codeFlow('bob');
  const all = await Promise.all(Array.from({ length: 10 }, () => refresh(t0.refresh_token)));
  t.same(
    all.map((r) => r.status),
    Array(10).fill(200),
    'all 200',
  );
  const bodies = all.map((r) => r.json<Tokens>());
  const successors = new Set(bodies.map((b) => b.refresh_token));
  t.equal(successors.size, 1, 'exactly one distinct successor refresh token');
  const [successor] = [...successors] as [string];
  t.not(successor, t0.refresh_token);
  t.equal(new Set(bodies.map((b) => b.access_token)).size, 10, 'each gets its own access token');
  for (const b of bodies) t.equal(await atApp(b.access_token), 200, 'every access token works');
  t.notOk(
    g.logs.some((l) => l.includes('"audit":"refresh_token_reuse"') && l.includes(t0.refresh_token.split('.')[0]!)),
    'no reuse detected',
  );
  const next = await refresh(successor);
  t.equal(next.status, 200, 'the session goes on with the successor');
  t.equal(await atApp(next.json<Tokens>().access_token), 200);
});

t.test('a refresh token of other-client presented by web-spa', async (t) => {
  const t0 = await codeFlow();
  const stolen = await refresh(t0.refresh_token, null, { client_id: 'web-spa' });
  t.equal(stolen.status, 400);
  t.equal(stolen.json().error, 'invalid_grant', 'another client: invalid_grant');
  hasCode(t, stolen, 'ERR_GK_OAUTH_INVALID_GRANT');
  const billing = await refresh(
    t0.refresh_token,
    `Basic ${Buffer.from(`billing-service:${SECRETS.billing}`).toString('base64')}`,
  );
  t.equal(billing.status, 400, 'a client without the refresh grant');
  t.equal(billing.json().error, 'unauthorized_client');
  hasCode(t, billing, 'ERR_GK_OAUTH_UNAUTHORIZED_CLIENT');
  const noAuth = await refresh(t0.refresh_token, null, { client_id: 'other-client' });
  t.equal(noAuth.status, 401, 'the owner without its secret');
  t.equal(noAuth.json().error, 'invalid_client');
  hasCode(t, noAuth, 'ERR_GK_OAUTH_INVALID_CLIENT');
  t.equal(await atApp(t0.access_token), 200, 'the session is untouched');
  const own = await refresh(t0.refresh_token);
  t.equal(own.status, 200, 'and the token still works for its own client');
  t.not(own.json<Tokens>().refresh_token, t0.refresh_token);
});

t.test('a login cookie is not a refresh token, and a refresh token is not a cookie', async (t) => {
  const { jar } = await login(g.url, { username: 'alice', password: PASSWORDS.alice });
  const cookie = jar.get('gk_acme')!;
  const asRefresh = await refresh(cookie);
  t.equal(asRefresh.status, 400);
  t.equal(asRefresh.json().error, 'invalid_grant', 'a browser session cookie value as a refresh token');
  hasCode(t, asRefresh, 'ERR_GK_OAUTH_INVALID_GRANT');
  t.equal(
    (await request(g.url, '/x', { headers: { host: DASH, accept: 'application/json', cookie: jar.header() } })).status,
    200,
    'the login session is untouched',
  );
  const t0 = await codeFlow();
  const asCookie = await request(g.url, '/x', {
    headers: { host: DASH, accept: 'application/json', cookie: `gk_acme=${t0.refresh_token}` },
  });
  t.equal(asCookie.status, 401, 'a refresh token as a session cookie');
  t.equal((await refresh(t0.refresh_token)).status, 200, 'and the refresh token is untouched');
});

t.test('garbage and unknown refresh tokens are invalid_grant', async (t) => {
  for (const bad of ['', 'garbage', 'sess_x.y', `sess_${'A'.repeat(33)}.${'B'.repeat(43)}`, 'a'.repeat(5000)]) {
    const r = await refresh(bad);
    t.equal(r.status, 400, JSON.stringify(bad.slice(0, 20)));
    t.equal(r.json().error, 'invalid_grant');
    hasCode(t, r, 'ERR_GK_OAUTH_INVALID_GRANT');
  }
});

t.test('the refresh token expires at refreshTokenLifetime (1h here)', async (t) => {
  const t0 = await codeFlow();
  g.clock.advance(59 * 60_000);
  t.equal(await atApp(t0.access_token), 200, 'a code-grant session has no idle timeout (59 min > idleTimeout 30m)');
  const r1 = await refresh(t0.refresh_token);
  t.equal(r1.status, 200, 'still valid after 59 minutes');
  const t1 = r1.json<Tokens>();
  g.clock.advance(2 * 60_000);
  const late = await refresh(t1.refresh_token);
  t.equal(late.status, 400, 'a rotated token does not outlive its session (created + 1h)');
  t.equal(late.json().error, 'invalid_grant');
  hasCode(t, late, 'ERR_GK_OAUTH_INVALID_GRANT');
  t.equal(await atApp(t1.access_token), 401, 'the session is over, so are its access tokens');

  const t2 = await codeFlow();
  g.clock.advance(60 * 60_000 + 1_000);
  const expired = await refresh(t2.refresh_token);
  t.equal(expired.status, 400, 'an unused token after 1h');
  t.equal(expired.json().error, 'invalid_grant');
  hasCode(t, expired, 'ERR_GK_OAUTH_INVALID_GRANT');
});
