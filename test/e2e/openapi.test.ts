// The OpenAPI document is kept true: it validates as OpenAPI 3.1, the gateway serves it at
// /t/{slug}/api/v1/openapi.json, and every documented operation is exercised against a real
// gateway — successes and refusals, the store down, a throttled client — with each answer's
// status, headers and body held to the document. It fails when an operation or a status in
// the document was never seen, and when the gateway serves an API route the document lacks.
import { createHash, randomBytes } from 'node:crypto';
import t, { type Test } from 'tap';
import { GATEWAY_ROUTES } from '../../src/http/gateway-routes.js';
import { openApiDocument } from '../../src/http/openapi/document.js';
import { startTestGateway, storeDown, PASSWORDS, SECRETS, type TestGateway } from '../helpers/gateway.js';
import { CookieJar, request, type Response } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { OpenApiChecker } from '../helpers/openapi-check.js';

const DASH = 'dashboard.acme.test';
const OTHER_REDIRECT = 'http://other.acme.test/cb';
type H = Record<string, string>;

const g = await startTestGateway();
t.teardown(g.stop);
const checker = await OpenApiChecker.load(openApiDocument('http://gw.acme.test/t/acme'));

interface CallOptions {
  params?: Record<string, string>;
  query?: string;
  headers?: H;
  json?: unknown;
  body?: string;
  form?: Record<string, string>;
  gw?: TestGateway;
}

/** One real request to the documented operation `method path`, its answer held to the document. */
async function call(tt: Test, method: string, path: string, o: CallOptions = {}): Promise<Response> {
  const real = path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(o.params?.[name] ?? ''));
  const headers: H = { host: DASH, accept: 'application/json', ...o.headers };
  let body = o.body;
  if (o.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(o.json);
  }
  const res = await request((o.gw ?? g).url, `/t/acme${real}${o.query ?? ''}`, {
    method,
    headers,
    ...(body !== undefined ? { body } : {}),
    ...(o.form ? { form: o.form } : {}),
  });
  const { problems } = checker.check(method, path, res);
  tt.same(problems, [], `${method} ${real}${o.query ?? ''} → ${res.status} matches the document`);
  return res;
}

const basic = (id: string, secret: string): H => ({
  authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
});
const bearer = (token: string): H => ({ authorization: `Bearer ${token}` });

interface Signed {
  cookie: H;
  withCsrf: H;
  sid: string;
  jar: CookieJar;
}
async function signIn(tt: Test, user: 'alice' | 'bob'): Promise<Signed> {
  const { jar } = await login(g.url, { username: user, password: PASSWORDS[user] });
  const res = await call(tt, 'GET', '/api/v1/session', { headers: { cookie: jar.header() } });
  const s = res.json<{ csrfToken: string; session: { id: string } }>();
  return {
    jar,
    cookie: { cookie: jar.header() },
    withCsrf: { cookie: jar.header(), 'x-csrf-token': s.csrfToken },
    sid: s.session.id,
  };
}

async function clientToken(tt: Test, id: string, secret: string): Promise<string> {
  const res = await call(tt, 'POST', '/api/v1/oauth/token', {
    headers: basic(id, secret),
    form: { grant_type: 'client_credentials' },
  });
  return res.json<{ access_token: string }>().access_token;
}

t.test('the document is OpenAPI 3.1 and served, public, with the tenant as its server', async (t) => {
  const res = await call(t, 'GET', '/api/v1/openapi.json', { headers: { host: 'anything.test' } });
  t.equal(res.status, 200);
  t.match(res.headers['content-type'], /^application\/json/);
  const served = res.json();
  t.same(served.servers, [{ url: 'http://gw.acme.test/t/acme', description: 'This tenant.' }]);
  t.same(served, openApiDocument('http://gw.acme.test/t/acme'), 'the served document is the source');
  t.equal(served.openapi, '3.1.0');
  await call(t, 'GET', '/.well-known/jwks.json');
  await call(t, 'GET', '/.well-known/oauth-authorization-server');
});

t.test('every API route the gateway serves is documented, and nothing else', async (t) => {
  const served = GATEWAY_ROUTES.filter((r) => /^\/(api\/v1\/|auth$|oauth\/|\.well-known\/)/.test(r.path)).map(
    (r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`,
  );
  t.same([...checker.operations()].sort(), [...served].sort());
});

// Shared by the subtests below, in order.
const S = {} as { alice: Signed; aliceToken: string; adminClient: string; plainClient: string };

t.test('the caller’s session and the session token', async (t) => {
  S.alice = await signIn(t, 'alice');
  t.equal((await call(t, 'GET', '/api/v1/session')).status, 401);
  const tok = await call(t, 'POST', '/api/v1/session/token', { headers: S.alice.withCsrf });
  t.equal(tok.status, 200);
  S.aliceToken = tok.json<{ access_token: string }>().access_token;
  t.equal((await call(t, 'POST', '/api/v1/session/token', { headers: S.alice.cookie })).status, 403, 'no CSRF token');
  t.equal((await call(t, 'POST', '/api/v1/session/token')).status, 401);
});

t.test('OAuth: token, authorize, introspect, revoke', async (t) => {
  S.adminClient = await clientToken(t, 'billing-service', SECRETS.billing);
  S.plainClient = await clientToken(t, 'other-client', SECRETS.other);
  const bad = await call(t, 'POST', '/api/v1/oauth/token', {
    headers: basic('other-client', 'wrong'),
    form: { grant_type: 'client_credentials' },
  });
  t.equal(bad.status, 401);
  const unsupported = { grant_type: 'password', client_id: 'other-client', client_secret: SECRETS.other };
  t.equal((await call(t, 'POST', '/api/v1/oauth/token', { form: unsupported })).status, 400);

  const verifier = randomBytes(32).toString('base64url');
  const q = new URLSearchParams({
    client_id: 'other-client',
    redirect_uri: OTHER_REDIRECT,
    response_type: 'code',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state: 's1',
  });
  const html = { accept: 'text/html', ...S.alice.cookie };
  const auth = await call(t, 'GET', '/oauth/authorize', { query: `?${q}`, headers: html });
  t.equal(auth.status, 302);
  const code = new URL(String(auth.headers.location)).searchParams.get('code') ?? '';
  const unknown = `?${new URLSearchParams({ client_id: 'nobody', redirect_uri: OTHER_REDIRECT })}`;
  t.equal((await call(t, 'GET', '/oauth/authorize', { query: unknown, headers: html })).status, 400);
  const exchanged = await call(t, 'POST', '/api/v1/oauth/token', {
    headers: basic('other-client', SECRETS.other),
    form: { grant_type: 'authorization_code', code, redirect_uri: OTHER_REDIRECT, code_verifier: verifier },
  });
  t.equal(exchanged.status, 200);
  const { refresh_token } = exchanged.json<{ refresh_token: string }>();
  const refreshed = await call(t, 'POST', '/api/v1/oauth/token', {
    headers: basic('other-client', SECRETS.other),
    form: { grant_type: 'refresh_token', refresh_token },
  });
  t.equal(refreshed.status, 200);
  const rotated = refreshed.json<{ refresh_token: string }>().refresh_token;

  const rs = basic('resource-server', SECRETS.other);
  const active = await call(t, 'POST', '/api/v1/oauth/introspect', { headers: rs, form: { token: S.aliceToken } });
  t.equal(active.json().active, true);
  const refreshInfo = await call(t, 'POST', '/api/v1/oauth/introspect', {
    headers: basic('other-client', SECRETS.other),
    form: { token: rotated },
  });
  t.equal(refreshInfo.json().token_type, 'refresh_token');
  const inactive = await call(t, 'POST', '/api/v1/oauth/introspect', { headers: rs, form: { token: 'nonsense' } });
  t.same(inactive.json(), { active: false });
  t.equal((await call(t, 'POST', '/api/v1/oauth/introspect', { headers: rs, form: { nothing: '' } })).status, 400);
  const wrong = basic('resource-server', 'wrong');
  t.equal((await call(t, 'POST', '/api/v1/oauth/introspect', { headers: wrong, form: { token: 'x' } })).status, 401);

  const other = basic('other-client', SECRETS.other);
  const foreign = await call(t, 'POST', '/api/v1/oauth/revoke', { headers: other, form: { token: S.adminClient } });
  t.equal(foreign.status, 400, 'another client’s token');
  t.equal((await call(t, 'POST', '/api/v1/oauth/revoke', { headers: other, form: { token: rotated } })).status, 200);
  const badRevoke = await call(t, 'POST', '/api/v1/oauth/revoke', { headers: wrong, form: { token: rotated } });
  t.equal(badRevoke.status, 401);
  t.match(badRevoke.headers['www-authenticate'], /^Basic realm=/);
});

t.test('admin API: users, sessions, revoke one, revoke all', async (t) => {
  const bob = await signIn(t, 'bob');
  const bob2 = await signIn(t, 'bob');
  const admin = bearer(S.aliceToken);
  t.equal((await call(t, 'GET', '/api/v1/users', { headers: admin, query: '?q=bo' })).status, 200);
  t.equal((await call(t, 'GET', '/api/v1/users', { headers: bob.cookie })).status, 403);
  t.equal((await call(t, 'GET', '/api/v1/users')).status, 401);
  t.equal((await call(t, 'GET', '/api/v1/users', { headers: admin, query: '?cursor=not*a*cursor' })).status, 400);

  const u = { userId: 'u-bob' };
  const list = await call(t, 'GET', '/api/v1/users/{userId}/sessions', { headers: bearer(S.adminClient), params: u });
  t.equal(list.json<{ sessions: unknown[] }>().sessions.length, 2);
  // Paged: one at a time, the second page by the first's cursor, then none.
  const sessions = '/api/v1/users/{userId}/sessions';
  const first = (await call(t, 'GET', sessions, { headers: admin, params: u, query: '?limit=1' })).json<{
    nextCursor: string;
  }>();
  const second = await call(t, 'GET', sessions, {
    headers: admin,
    params: u,
    query: `?limit=1&cursor=${first.nextCursor}`,
  });
  t.same(second.json<{ nextCursor: unknown }>().nextCursor, null);
  t.equal((await call(t, 'GET', sessions, { headers: admin, params: u, query: '?cursor=bad' })).status, 400);
  t.equal((await call(t, 'GET', sessions, { headers: admin, params: u, query: '?limit=501' })).status, 400);
  const nobody = { userId: 'u-nobody' };
  t.equal((await call(t, 'GET', '/api/v1/users/{userId}/sessions', { headers: admin, params: nobody })).status, 404);
  t.equal((await call(t, 'GET', '/api/v1/users/{userId}/sessions', { headers: bob.cookie, params: u })).status, 403);
  t.equal((await call(t, 'GET', '/api/v1/users/{userId}/sessions', { params: u })).status, 401);

  const one = '/api/v1/users/{userId}/sessions/{sessionId}';
  const target = { userId: 'u-bob', sessionId: bob2.sid };
  t.equal((await call(t, 'DELETE', one, { headers: bob.withCsrf, params: target })).status, 403);
  t.equal((await call(t, 'DELETE', one, { params: target })).status, 401);
  t.equal((await call(t, 'DELETE', one, { headers: S.alice.withCsrf, params: target })).status, 204);
  t.equal((await call(t, 'DELETE', one, { headers: admin, params: target })).status, 404, 'already gone');

  const all = '/api/v1/users/{userId}/sessions/revoke-all';
  t.equal((await call(t, 'POST', all, { headers: bob.withCsrf, params: u })).status, 403);
  t.equal((await call(t, 'POST', all, { params: u })).status, 401);
  t.equal((await call(t, 'POST', all, { headers: admin, params: nobody })).status, 404);
  const revoked = await call(t, 'POST', all, { headers: admin, params: u });
  t.same(revoked.json(), { revoked: 1 });
});

t.test('admin API: auth-settings', async (t) => {
  const path = '/api/v1/configuration/auth-settings';
  const admin = bearer(S.aliceToken);
  const bob = await signIn(t, 'bob');
  t.equal((await call(t, 'GET', path, { headers: admin })).status, 200);
  t.equal((await call(t, 'GET', path, { headers: bob.cookie })).status, 403);
  t.equal((await call(t, 'GET', path)).status, 401);
  const patch = { idleTimeout: '45m', loginThrottle: { window: 600 }, cookie: { sameSite: 'strict' } };
  t.same(checker.requestProblems('PATCH', path, 'application/json', patch), [], 'the PATCH body is documented');
  const saved = await call(t, 'PATCH', path, { headers: S.alice.withCsrf, json: patch });
  t.equal(saved.json<{ settings: { idleTimeout: string } }>().settings.idleTimeout, '45m');
  const invalid = await call(t, 'PATCH', path, { headers: admin, json: { idleTimeout: '5x', nope: 1 } });
  t.equal(invalid.status, 422);
  t.equal((await call(t, 'PATCH', path, { headers: admin, body: '{' })).status, 415, 'no type');
  const asJson = { ...admin, 'content-type': 'application/json' };
  t.equal((await call(t, 'PATCH', path, { headers: asJson, body: '{' })).status, 400);
  const big = JSON.stringify({ idleTimeout: 'x'.repeat(20_000) });
  t.equal((await call(t, 'PATCH', path, { headers: asJson, body: big })).status, 413);
  t.equal((await call(t, 'PATCH', path, { headers: bob.withCsrf, json: patch })).status, 403);
  t.equal((await call(t, 'PATCH', path, { json: patch })).status, 401);
});

t.test('admin API: a user’s second factors, and the step-up a sensitive action asks for', async (t) => {
  // Signed in before the factors exist (with one, the password alone starts no session).
  const bob = await signIn(t, 'bob');
  const now = g.clock.now();
  const totp = (userId: string, id: string) => ({
    kind: 'totp' as const,
    id,
    tenant: 'acme',
    userId,
    name: 'Authenticator app',
    createdAt: now,
    lastUsedAt: null,
    secretBox: 'v1.k.aaaa.bbbb',
    lastStep: -1,
  });
  const factors = g.gw.deps.factors;
  t.same(await factors.addFactor(totp('u-bob', 'fac_bob_totp'), 20), { ok: true });
  const key = {
    kind: 'webauthn' as const,
    id: 'fac_bob_key',
    tenant: 'acme',
    userId: 'u-bob',
    name: 'YubiKey',
    createdAt: now + 1000,
    lastUsedAt: now,
    credentialId: 'Y3JlZA',
    publicKey: 'cHVi',
    counter: 0,
    transports: ['usb'],
    discoverable: false,
    deviceType: 'singleDevice' as const,
    backedUp: false,
  };
  t.same(await factors.addFactor(key, 20), { ok: true });

  const admin = bearer(S.aliceToken);
  const list = '/api/v1/users/{userId}/factors';
  const u = { userId: 'u-bob' };
  const listed = await call(t, 'GET', list, { headers: bearer(S.adminClient), params: u });
  t.equal(listed.status, 200);
  const body = listed.json<{ factors: { id: string; kind: string }[]; recoveryCodesLeft: number }>();
  t.same(
    body.factors.map((f) => [f.id, f.kind]),
    [
      ['fac_bob_totp', 'totp'],
      ['fac_bob_key', 'webauthn'],
    ],
  );
  t.notMatch(listed.body, /secretBox|publicKey|credentialId/, 'no secret or key');
  t.equal((await call(t, 'GET', list, { headers: admin, params: { userId: 'u-nobody' } })).status, 404);
  t.equal((await call(t, 'GET', list, { headers: bob.cookie, params: u })).status, 403);
  t.equal((await call(t, 'GET', list, { params: u })).status, 401);

  const one = '/api/v1/users/{userId}/factors/{factorId}';
  const target = { userId: 'u-bob', factorId: 'fac_bob_totp' };
  t.equal((await call(t, 'DELETE', one, { headers: bob.withCsrf, params: target })).status, 403);
  t.equal((await call(t, 'DELETE', one, { params: target })).status, 401);
  const unknown = { userId: 'u-bob', factorId: 'fac_nothing' };
  t.equal((await call(t, 'DELETE', one, { headers: admin, params: unknown })).status, 404);

  // Alice holds a second factor but her session has not passed one: the sensitive actions
  // answer the RFC 9470 challenge for a second factor within 15 minutes.
  t.same(await factors.addFactor(totp('u-alice', 'fac_alice_totp'), 20), { ok: true });
  const refused = await call(t, 'DELETE', one, { headers: S.alice.withCsrf, params: target });
  t.equal(refused.status, 401);
  t.match(refused.headers['www-authenticate'], /error="insufficient_user_authentication"/);
  t.match(refused.headers['www-authenticate'], /acr_values="mfa", max_age=900$/);
  t.same(refused.json<{ acr_values: string; max_age: number }>().acr_values, 'mfa');
  t.equal(refused.json<{ max_age: number }>().max_age, 900);
  const patch = await call(t, 'PATCH', '/api/v1/configuration/auth-settings', {
    headers: admin,
    json: { idleTimeout: '40m' },
  });
  t.equal(patch.status, 401, 'changing the auth settings too');
  t.equal(patch.headers['x-auth-error-code'], 'ERR_GK_MFA_REQUIRED');
  t.equal((await factors.listFactors('acme', 'u-bob')).length, 2, 'nothing removed');

  // A client acting as itself is not asked for a second factor.
  t.equal((await call(t, 'DELETE', one, { headers: bearer(S.adminClient), params: target })).status, 204);
  t.same(
    (await factors.listFactors('acme', 'u-bob')).map((f) => f.id),
    ['fac_bob_key'],
  );
  // The later subtests sign alice and bob in with a password alone.
  t.equal(await factors.removeAllFactors('acme', 'u-alice'), 1);
  t.equal(await factors.removeAllFactors('acme', 'u-bob'), 1);
});

t.test('self-service: my sessions', async (t) => {
  const second = await signIn(t, 'alice');
  const client = bearer(S.plainClient);
  t.equal((await call(t, 'GET', '/api/v1/me/sessions', { headers: S.alice.cookie })).status, 200);
  t.equal((await call(t, 'GET', '/api/v1/me/sessions', { headers: client })).status, 403, 'a client token');
  t.equal((await call(t, 'GET', '/api/v1/me/sessions')).status, 401);
  t.equal((await call(t, 'GET', '/api/v1/me/sessions', { headers: S.alice.cookie, query: '?limit=0' })).status, 400);
  const one = '/api/v1/me/sessions/{id}';
  t.equal((await call(t, 'DELETE', one, { headers: S.alice.withCsrf, params: { id: second.sid } })).status, 204);
  t.equal((await call(t, 'DELETE', one, { headers: S.alice.withCsrf, params: { id: second.sid } })).status, 404);
  t.equal((await call(t, 'DELETE', one, { headers: client, params: { id: second.sid } })).status, 403);
  t.equal((await call(t, 'DELETE', one, { params: { id: second.sid } })).status, 401);
  const others = '/api/v1/me/sessions/revoke-others';
  await signIn(t, 'alice');
  t.same((await call(t, 'POST', others, { headers: S.alice.withCsrf })).json(), { revoked: 1 }, 'the other login');
  t.equal((await call(t, 'POST', others, { headers: S.alice.cookie })).status, 403, 'no CSRF token');
  t.equal((await call(t, 'POST', others, { headers: client })).status, 403);
  t.equal((await call(t, 'POST', others)).status, 401);
});

t.test('forward-auth', async (t) => {
  const nginx = (uri: string, extra: H = {}, method = 'GET'): H => ({
    'x-original-uri': uri,
    'x-original-method': method,
    ...extra,
  });
  const allowed = await call(t, 'GET', '/auth', { headers: nginx('/reports', S.alice.cookie) });
  t.equal(allowed.headers['x-auth-user'], 'u-alice');
  const bob = await signIn(t, 'bob');
  t.equal((await call(t, 'GET', '/auth', { headers: nginx('/admin/x', bob.cookie) })).status, 403);
  const noMfa = await call(t, 'GET', '/auth', { headers: nginx('/secure/x', S.alice.cookie) });
  t.equal(noMfa.status, 401, 'a route that needs a second factor');
  t.match(noMfa.headers['www-authenticate'], /acr_values="mfa"(, max_age=600)?$/);
  t.match(noMfa.headers['x-auth-redirect'], /^http:\/\/dashboard\.acme\.test\/t\/acme\/login\/mfa\?(max_age=600&)?rd=/);
  const anon = await call(t, 'GET', '/auth', { headers: nginx('/reports') });
  t.equal(anon.status, 401);
  t.match(anon.headers['x-auth-redirect'], /^http:\/\/dashboard\.acme\.test\/t\/acme\/login\?rd=/);
  t.equal((await call(t, 'GET', '/auth', { headers: { 'x-original-method': 'GET' } })).status, 400);
  const elsewhere = { ...nginx('/x', S.alice.cookie), host: 'nowhere.test' };
  t.equal((await call(t, 'GET', '/auth', { headers: elsewhere })).status, 404);
  const traefik = (method: string): H => ({
    'x-forwarded-uri': '/reports',
    'x-forwarded-method': method,
    'x-forwarded-host': DASH,
    'x-forwarded-proto': 'https',
    accept: 'text/html',
  });
  const get = await call(t, 'GET', '/auth', { query: '?mode=redirect', headers: traefik('GET') });
  t.equal(get.status, 302);
  t.equal((await call(t, 'GET', '/auth', { query: '?mode=redirect', headers: traefik('POST') })).status, 303);
});

t.test('a throttled client: 429 with Retry-After on token, revoke and introspect', async (t) => {
  const th = await startTestGateway({ settings: 'loginThrottle: { maxFailures: 1, window: 15m, lockout: 30m }' });
  t.teardown(th.stop);
  const wrong = basic('other-client', 'wrong');
  const form = { grant_type: 'client_credentials', token: 'x' };
  t.equal((await call(t, 'POST', '/api/v1/oauth/token', { gw: th, headers: wrong, form })).status, 401);
  for (const op of ['token', 'revoke', 'introspect']) {
    const res = await call(t, 'POST', `/api/v1/oauth/${op}`, { gw: th, headers: wrong, form });
    t.equal(res.status, 429, op);
  }
});

t.test('the store down: 503 from every operation that needs it', async (t) => {
  const real = g.gw.deps.store;
  g.gw.deps.store = storeDown(real);
  t.teardown(() => {
    g.gw.deps.store = real;
  });
  const admin = bearer(S.aliceToken);
  const u = { userId: 'u-bob' };
  const cases: [string, string, CallOptions][] = [
    ['GET', '/api/v1/session', { headers: S.alice.cookie }],
    ['POST', '/api/v1/session/token', { headers: S.alice.withCsrf }],
    ['GET', '/api/v1/users', { headers: admin }],
    ['GET', '/api/v1/users/{userId}/sessions', { headers: admin, params: u }],
    ['DELETE', '/api/v1/users/{userId}/sessions/{sessionId}', { headers: admin, params: { ...u, sessionId: 'x' } }],
    ['POST', '/api/v1/users/{userId}/sessions/revoke-all', { headers: admin, params: u }],
    ['GET', '/api/v1/users/{userId}/factors', { headers: admin, params: u }],
    ['DELETE', '/api/v1/users/{userId}/factors/{factorId}', { headers: admin, params: { ...u, factorId: 'x' } }],
    ['GET', '/api/v1/configuration/auth-settings', { headers: admin }],
    ['PATCH', '/api/v1/configuration/auth-settings', { headers: admin, json: { idleTimeout: '1h' } }],
    ['GET', '/api/v1/me/sessions', { headers: S.alice.cookie }],
    ['DELETE', '/api/v1/me/sessions/{id}', { headers: S.alice.withCsrf, params: { id: 'x' } }],
    ['POST', '/api/v1/me/sessions/revoke-others', { headers: S.alice.withCsrf }],
    ['GET', '/auth', { headers: { 'x-original-uri': '/x', 'x-original-method': 'GET', ...S.alice.cookie } }],
    ['GET', '/oauth/authorize', { headers: { accept: 'text/html', ...S.alice.cookie }, query: authorizeQuery() }],
  ];
  // The token call authenticates a client not seen before: a secret verified a moment ago
  // skips the throttle count, and a client-credentials token needs no store.
  const fresh = basic('billing-api-client', SECRETS.other);
  cases.push(['POST', '/api/v1/oauth/token', { headers: fresh, form: { grant_type: 'client_credentials' } }]);
  for (const op of ['revoke', 'introspect']) {
    cases.push([
      'POST',
      `/api/v1/oauth/${op}`,
      { headers: basic('other-client', SECRETS.other), form: { token: S.plainClient } },
    ]);
  }
  for (const [method, path, o] of cases) t.equal((await call(t, method, path, o)).status, 503, `${method} ${path}`);
});

function authorizeQuery(): string {
  const q = new URLSearchParams({
    client_id: 'other-client',
    redirect_uri: OTHER_REDIRECT,
    response_type: 'code',
    code_challenge: createHash('sha256').update('v'.repeat(43)).digest('base64url'),
    code_challenge_method: 'S256',
  });
  return `?${q}`;
}

t.test('every documented operation and status was exercised', async (t) => {
  const missing = checker.documentedStatuses().filter((s) => !checker.seen.has(s));
  t.same(missing, [], 'no documented answer went unseen');
  const ops = new Set([...checker.seen].map((s) => s.split(' ').slice(0, 2).join(' ')));
  t.same(
    checker.operations().filter((o) => !ops.has(o)),
    [],
    'no documented operation went unexercised',
  );
});
