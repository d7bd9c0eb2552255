// POST /t/{slug}/api/v1/oauth/revoke exactly as SPEC §5 says (RFC 7009), case by case,
// on a Redis store; and POST /api/v1/session/token (cookie + CSRF → an access token bound
// to the login session). The store outage case runs last: it stops Redis.
import { createHash, randomBytes } from 'node:crypto';
import t, { type Test } from 'tap';
import type { RedisStore } from '../../src/store/redis.js';
import { issueAccessToken } from '../../src/tokens/access-token.js';
import { CookieJar, request, type Response } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { startRedis } from '../helpers/redis.js';
import { startTestGateway, testKeys, PASSWORDS, SECRETS } from '../helpers/gateway.js';
import { hasCode } from '../helpers/error-code.js';

const DASH = 'dashboard.acme.test';
const OTHER_REDIRECT = 'http://other.acme.test/cb';
const SPA_REDIRECT = 'http://app.acme.test/callback';
const basic = (id: string, secret: string): string => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const OTHER = basic('other-client', SECRETS.other);
const BILLING = basic('billing-service', SECRETS.billing);

const redis = await startRedis();
t.teardown(() => redis.stop());
const g = await startTestGateway({ storeYaml: `store:\n  redis: ${redis.url}/0` });
t.teardown(g.stop);
const ISSUER = `${g.config.server.publicUrl}/t/acme`;

interface Tokens {
  access_token: string;
  refresh_token: string;
}

function post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return request(g.url, `/t/acme/api/v1/oauth/${path}`, { method: 'POST', headers: { host: DASH, ...headers }, form });
}
const revoke = (form: Record<string, string>, authorization: string | null = OTHER): Promise<Response> =>
  post('revoke', form, authorization ? { authorization } : {});

async function signedIn(user: 'alice' | 'bob' = 'alice'): Promise<CookieJar> {
  const { jar } = await login(g.url, { username: user, password: PASSWORDS[user] });
  if (!jar.get('gk_acme')) throw new Error(`login as ${user} failed`);
  return jar;
}

/** Authorization code + PKCE for a client, by hand. */
async function codeFlow(client: 'other-client' | 'web-spa' = 'other-client', jar?: CookieJar): Promise<Tokens> {
  jar ??= await signedIn();
  const redirectUri = client === 'web-spa' ? SPA_REDIRECT : OTHER_REDIRECT;
  const verifier = randomBytes(32).toString('base64url');
  const q = new URLSearchParams({
    client_id: client,
    redirect_uri: redirectUri,
    response_type: 'code',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  const auth = await request(g.url, `/t/acme/oauth/authorize?${q}`, {
    headers: { host: DASH, accept: 'text/html', cookie: jar.header() },
  });
  const code = new URL(String(auth.headers.location)).searchParams.get('code');
  if (!code) throw new Error(`authorize: ${auth.status} ${auth.headers.location}`);
  const form = {
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    code_verifier: verifier,
    ...(client === 'web-spa' ? { client_id: 'web-spa' } : {}),
  };
  const res = await post('token', form, client === 'web-spa' ? {} : { authorization: OTHER });
  if (res.status !== 200) throw new Error(`exchange: ${res.status} ${res.body}`);
  return res.json<Tokens>();
}

async function refreshed(rt: string): Promise<Tokens> {
  const res = await post('token', { grant_type: 'refresh_token', refresh_token: rt }, { authorization: OTHER });
  if (res.status !== 200) throw new Error(`refresh: ${res.status} ${res.body}`);
  return res.json<Tokens>();
}

async function atApp(accessToken: string): Promise<number> {
  return (
    await request(g.url, '/reports', {
      headers: { host: DASH, accept: 'application/json', authorization: `Bearer ${accessToken}` },
    })
  ).status;
}

function ok200(t: Test, res: Response, what: string): void {
  t.equal(res.status, 200, what);
  t.equal(res.headers['cache-control'], 'no-store', `${what}: no-store`);
}

t.test('200 for unknown, garbage, expired and already revoked tokens', async (t) => {
  ok200(t, await revoke({ token: 'garbage' }), 'garbage');
  ok200(t, await revoke({ token: '!!!***\u00e9' }), 'non-ASCII garbage');
  ok200(
    t,
    await revoke({ token: `sess_${'A'.repeat(33)}.${'B'.repeat(43)}` }),
    'a well-formed refresh token that was never issued',
  );
  ok200(
    t,
    await revoke({ token: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln' }),
    'a JWT-looking token that is not ours',
  );
  ok200(t, await revoke({ token: 'x'.repeat(12_000) }), 'a very long token (within the 16 KiB body limit)');

  const keys = await testKeys();
  const expired = await issueAccessToken(keys, {
    issuer: ISSUER,
    subject: 'u-alice',
    audience: ISSUER,
    clientId: 'other-client',
    scope: '',
    sessionId: null,
    authTime: null,
    tenant: 'acme',
    roles: [],
    lifetimeSeconds: 3600,
    now: g.clock.now() - 2 * 3600_000,
  });
  ok200(t, await revoke({ token: expired.token }), 'an expired access token');

  const tokens = await codeFlow();
  ok200(t, await revoke({ token: tokens.access_token }), 'an access token');
  ok200(t, await revoke({ token: tokens.access_token }), 'the same access token again');
  ok200(t, await revoke({ token: tokens.refresh_token }), 'a refresh token');
  ok200(t, await revoke({ token: tokens.refresh_token }), 'the same refresh token again');
  ok200(
    t,
    await revoke({ token: tokens.refresh_token, token_type_hint: 'refresh_token' }),
    'and once more with its hint',
  );

  const old = await codeFlow();
  g.clock.advance(30 * 24 * 3600_000 + 1_000);
  ok200(t, await revoke({ token: old.refresh_token }), 'a refresh token past refreshTokenLifetime');
  ok200(t, await revoke({ token: old.access_token }), 'an access token past its exp');
});

t.test('a wrong or unknown token_type_hint only widens the search', async (t) => {
  const a = await codeFlow();
  const second = await refreshed(a.refresh_token);
  ok200(
    t,
    await revoke({ token: a.access_token, token_type_hint: 'refresh_token' }),
    'access token with hint refresh_token',
  );
  t.equal(await atApp(a.access_token), 401, 'it is revoked anyway');
  t.equal(await atApp(second.access_token), 200, 'only that token');

  const b = await codeFlow();
  ok200(t, await revoke({ token: b.access_token, token_type_hint: 'made_up_hint' }), 'an unknown hint');
  t.equal(await atApp(b.access_token), 401, 'revoked');

  const c = await codeFlow();
  ok200(
    t,
    await revoke({ token: c.refresh_token, token_type_hint: 'access_token' }),
    'refresh token with hint access_token',
  );
  t.equal(await atApp(c.access_token), 401, 'its session is revoked');
  const r = await post(
    'token',
    { grant_type: 'refresh_token', refresh_token: c.refresh_token },
    { authorization: OTHER },
  );
  t.equal(r.json().error, 'invalid_grant');
  hasCode(t, r, 'ERR_GK_OAUTH_INVALID_GRANT');
});

t.test('bad client authentication: 401 invalid_client, Basic challenge only for Basic', async (t) => {
  const tokens = await codeFlow();
  const cases: { what: string; auth: string | null; form: Record<string, string>; challenge: boolean }[] = [
    { what: 'Basic, wrong secret', auth: basic('other-client', 'nope'), form: {}, challenge: true },
    { what: 'Basic, unknown client', auth: basic('mallory', 'nope'), form: {}, challenge: true },
    {
      what: 'Basic, no colon',
      auth: `Basic ${Buffer.from('other-client').toString('base64')}`,
      form: {},
      challenge: true,
    },
    { what: 'Basic, public client with a secret', auth: basic('web-spa', 'x'), form: {}, challenge: true },
    {
      what: 'form, wrong secret',
      auth: null,
      form: { client_id: 'other-client', client_secret: 'nope' },
      challenge: false,
    },
    {
      what: 'form, unknown client',
      auth: null,
      form: { client_id: 'mallory', client_secret: 'nope' },
      challenge: false,
    },
    {
      what: 'form, confidential client without its secret',
      auth: null,
      form: { client_id: 'other-client' },
      challenge: false,
    },
    { what: 'no client authentication at all', auth: null, form: {}, challenge: false },
  ];
  for (const c of cases) {
    const res = await revoke({ token: tokens.access_token, ...c.form }, c.auth);
    t.equal(res.status, 401, `${c.what}: 401`);
    t.equal(res.json().error, 'invalid_client', `${c.what}: invalid_client`);
    hasCode(t, res, 'ERR_GK_OAUTH_INVALID_CLIENT', c.what);
    if (c.challenge)
      t.match(String(res.headers['www-authenticate']), /^Basic realm="acme"/, `${c.what}: WWW-Authenticate: Basic`);
    else t.equal(res.headers['www-authenticate'], undefined, `${c.what}: no WWW-Authenticate`);
  }
  t.equal(await atApp(tokens.access_token), 200, 'nothing was revoked');
  const both = await revoke({ token: tokens.access_token, client_secret: SECRETS.other }, OTHER);
  t.equal(both.status, 400, 'two authentication methods at once');
  t.equal(both.json().error, 'invalid_request');
  hasCode(t, both, 'ERR_GK_OAUTH_INVALID_REQUEST');
  const missing = await revoke({});
  t.equal(missing.status, 400, 'no token parameter');
  t.equal(missing.json().error, 'invalid_request');
  hasCode(t, missing, 'ERR_GK_OAUTH_INVALID_REQUEST');
});

t.test("another client's token: 400 invalid_request, and it stays untouched", async (t) => {
  const tokens = await codeFlow();
  const byBilling = await revoke({ token: tokens.access_token }, BILLING);
  t.equal(byBilling.status, 400, 'an access token of other-client revoked by billing-service');
  t.equal(byBilling.json().error, 'invalid_request');
  hasCode(t, byBilling, 'ERR_GK_OAUTH_INVALID_REQUEST');
  t.equal(await atApp(tokens.access_token), 200, 'the access token still works');

  const bySpa = await revoke({ token: tokens.refresh_token, client_id: 'web-spa' }, null);
  t.equal(bySpa.status, 400, 'a refresh token of other-client revoked by the public web-spa');
  t.equal(bySpa.json().error, 'invalid_request');
  hasCode(t, bySpa, 'ERR_GK_OAUTH_INVALID_REQUEST');
  const byBillingRt = await revoke({ token: tokens.refresh_token, token_type_hint: 'refresh_token' }, BILLING);
  t.equal(byBillingRt.status, 400);
  hasCode(t, byBillingRt, 'ERR_GK_OAUTH_INVALID_REQUEST');
  t.equal(await atApp(tokens.access_token), 200, 'the session is untouched');
  const next = await refreshed(tokens.refresh_token);
  t.ok(next.refresh_token, 'the refresh token still works for its own client');

  const spa = await codeFlow('web-spa');
  const byOther = await revoke({ token: spa.access_token });
  t.equal(byOther.status, 400, 'a web-spa token revoked by other-client');
  hasCode(t, byOther, 'ERR_GK_OAUTH_INVALID_REQUEST');
  t.equal(await atApp(spa.access_token), 200);
  ok200(
    t,
    await revoke({ token: spa.refresh_token, client_id: 'web-spa' }, null),
    'a public client revokes its own token without a secret',
  );
  t.equal(await atApp(spa.access_token), 401);
});

t.test('revoking a refresh token ends its session: its access tokens fail at once', async (t) => {
  const tokens = await codeFlow();
  const second = await refreshed(tokens.refresh_token);
  t.equal(await atApp(tokens.access_token), 200);
  t.equal(await atApp(second.access_token), 200, 'warm');
  ok200(t, await revoke({ token: second.refresh_token, token_type_hint: 'refresh_token' }), 'revoked');
  t.equal(await atApp(tokens.access_token), 401, 'the first access token is dead');
  t.equal(await atApp(second.access_token), 401, 'and the newest');
  const intro = await post('introspect', { token: second.access_token }, { authorization: BILLING });
  t.same(intro.json(), { active: false });
  t.ok(
    g.logs.some((l) => l.includes('"audit":"token_revoked"')),
    'audited',
  );
});

t.test('revoking an access token: it fails at once, a sibling of the same session still works', async (t) => {
  const tokens = await codeFlow();
  const sibling = await refreshed(tokens.refresh_token);
  t.equal(await atApp(tokens.access_token), 200, 'warm (verified-token cache)');
  ok200(t, await revoke({ token: tokens.access_token }), 'revoked');
  t.equal(await atApp(tokens.access_token), 401, 'refused at once');
  t.equal(await atApp(sibling.access_token), 200, 'the other access token of the session works');
  t.equal(
    (await refreshed(sibling.refresh_token)).refresh_token.split('.')[0],
    tokens.refresh_token.split('.')[0],
    'and the session refreshes',
  );
});

t.test('POST /api/v1/session/token: cookie + CSRF → an access token bound to the session', async (t) => {
  const jar = await signedIn('alice');
  const s = await request(g.url, '/t/acme/api/v1/session', { headers: { host: DASH, cookie: jar.header() } });
  const { csrfToken, session } = s.json<{ csrfToken: string; session: { id: string } }>();
  const st = (headers: Record<string, string>) =>
    request(g.url, '/t/acme/api/v1/session/token', {
      method: 'POST',
      headers: { host: DASH, cookie: jar.header(), ...headers },
    });
  const csrfRefused = async (headers: Record<string, string>, what: string): Promise<void> => {
    const r = await st(headers);
    t.equal(r.status, 403, what);
    hasCode(t, r, 'ERR_GK_CSRF', what);
  };

  const res = await st({ 'x-csrf-token': csrfToken });
  t.equal(res.status, 200);
  t.equal(res.headers['cache-control'], 'no-store');
  const body = res.json<{ access_token: string; token_type: string; expires_in: number }>();
  t.equal(body.token_type, 'Bearer');
  t.equal(body.expires_in, 3600);
  const proxied = await request(g.url, '/reports', {
    headers: { host: DASH, accept: 'application/json', authorization: `Bearer ${body.access_token}` },
  });
  t.equal(proxied.status, 200, 'accepted at the dashboard');
  const seen = proxied.json<{ headers: Record<string, string> }>().headers;
  t.equal(seen['x-auth-user'], 'u-alice');
  t.equal(seen['x-auth-session'], session.id, 'bound to the login session');

  await csrfRefused({}, 'without X-CSRF-Token: 403');
  await csrfRefused({ 'x-csrf-token': 'wrong' }, 'a wrong CSRF token: 403');
  await csrfRefused({ 'x-csrf-token': csrfToken, origin: 'https://evil.test' }, 'a cross-site Origin: 403');
  await csrfRefused({ 'x-csrf-token': csrfToken, 'sec-fetch-site': 'cross-site' }, 'Sec-Fetch-Site cross-site: 403');
  await csrfRefused({ 'x-csrf-token': csrfToken, origin: 'null' }, 'Origin null: 403');
  t.equal(
    (await st({ 'x-csrf-token': csrfToken, origin: `http://${DASH}` })).status,
    200,
    'a same-site Origin (an app host) is fine',
  );
  const anon = await request(g.url, '/t/acme/api/v1/session/token', {
    method: 'POST',
    headers: { host: DASH, 'x-csrf-token': csrfToken },
  });
  t.equal(anon.status, 401, 'no cookie: 401');
  hasCode(t, anon, 'ERR_GK_UNAUTHENTICATED');

  const out = await request(g.url, '/t/acme/logout', {
    method: 'POST',
    headers: { host: DASH, cookie: jar.header(), 'x-csrf-token': csrfToken },
  });
  t.equal(out.status, 303, 'logged out');
  t.equal(await atApp(body.access_token), 401, 'logout revokes the session token at once');
});

t.test('the store down: 503, never a 200 that revoked nothing', async (t) => {
  const tokens = await codeFlow();
  const spare = await codeFlow();
  t.equal(await atApp(tokens.access_token), 200);
  await redis.kill({ keepData: true });

  const access = await revoke({ token: tokens.access_token });
  t.equal(access.status, 503, 'an access token while Redis is down: 503');
  t.equal(access.json().error, 'temporarily_unavailable');
  hasCode(t, access, 'ERR_GK_STORE_UNAVAILABLE');
  const refresh = await revoke({ token: spare.refresh_token, token_type_hint: 'refresh_token' });
  t.equal(refresh.status, 503, 'a refresh token while Redis is down: 503');
  hasCode(t, refresh, 'ERR_GK_STORE_UNAVAILABLE');

  await redis.restart();
  const client = (g.gw.deps.store as RedisStore).client;
  if (client.status !== 'ready') await new Promise((r) => client.once('ready', r));
  ok200(t, await revoke({ token: tokens.access_token }), 'the retry after recovery');
  t.equal(await atApp(tokens.access_token), 401, 'now it is revoked');
  ok200(t, await revoke({ token: spare.refresh_token }), 'the refresh token retry');
  t.equal(await atApp(spare.access_token), 401);
});
