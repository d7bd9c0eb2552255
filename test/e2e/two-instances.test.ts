// Two gateway instances on one Redis (SPEC §4 "Revocation propagation"): with both
// instances' caches warm (verified-token cache, session read cache), a revocation made on A —
// logout, RFC 7009 revocation of an access token, refresh-token reuse, a re-authentication
// that rotates the cookie secret — is enforced by B on the
// very next request after the revoking request returned; B's pub/sub also hears of it.
// A revoke-all on A announces every session it deletes, also one created on B while it ran.
import { createHash, randomBytes } from 'node:crypto';
import t, { type Test } from 'tap';
import { CookieJar, request, type Response } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { startRedis } from '../helpers/redis.js';
import { startTestGateway, PASSWORDS, SECRETS, type TestGateway } from '../helpers/gateway.js';

const DASH = 'dashboard.acme.test';
const REDIRECT = 'http://other.acme.test/cb';
const OTHER = `Basic ${Buffer.from(`other-client:${SECRETS.other}`).toString('base64')}`;

const redis = await startRedis();
t.teardown(() => redis.stop());
const storeYaml = `store:\n  redis: ${redis.url}/0`;
const A = await startTestGateway({ storeYaml });
t.teardown(A.stop);
const B = await startTestGateway({ storeYaml });
t.teardown(B.stop);

interface Tokens {
  access_token: string;
  refresh_token: string;
}

const bearer = (g: TestGateway, token: string): Promise<Response> =>
  request(g.url, '/reports', { headers: { host: DASH, accept: 'application/json', authorization: `Bearer ${token}` } });
const withCookie = (g: TestGateway, jar: CookieJar): Promise<Response> =>
  request(g.url, '/reports', { headers: { host: DASH, accept: 'application/json', cookie: jar.header() } });

async function signedIn(g: TestGateway): Promise<CookieJar> {
  const { jar } = await login(g.url, { username: 'alice', password: PASSWORDS.alice });
  if (!jar.get('gk_acme')) throw new Error('login failed');
  return jar;
}

async function csrfOf(g: TestGateway, jar: CookieJar): Promise<string> {
  return (await request(g.url, '/t/acme/api/v1/session', { headers: { host: DASH, cookie: jar.header() } })).json<{
    csrfToken: string;
  }>().csrfToken;
}

async function sessionToken(g: TestGateway, jar: CookieJar): Promise<string> {
  const res = await request(g.url, '/t/acme/api/v1/session/token', {
    method: 'POST',
    headers: { host: DASH, cookie: jar.header(), 'x-csrf-token': await csrfOf(g, jar) },
  });
  if (res.status !== 200) throw new Error(`session/token: ${res.status}`);
  return res.json<{ access_token: string }>().access_token;
}

function tokenRequest(g: TestGateway, form: Record<string, string>): Promise<Response> {
  return request(g.url, '/t/acme/api/v1/oauth/token', {
    method: 'POST',
    headers: { host: DASH, authorization: OTHER },
    form,
  });
}

async function codeFlow(g: TestGateway): Promise<Tokens> {
  const jar = await signedIn(g);
  const verifier = randomBytes(32).toString('base64url');
  const q = new URLSearchParams({
    client_id: 'other-client',
    redirect_uri: REDIRECT,
    response_type: 'code',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  const auth = await request(g.url, `/t/acme/oauth/authorize?${q}`, {
    headers: { host: DASH, accept: 'text/html', cookie: jar.header() },
  });
  const code = new URL(String(auth.headers.location)).searchParams.get('code');
  if (!code) throw new Error(`authorize: ${auth.status}`);
  const res = await tokenRequest(g, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT,
    code_verifier: verifier,
  });
  if (res.status !== 200) throw new Error(`exchange: ${res.status} ${res.body}`);
  return res.json<Tokens>();
}

/** Resolves when `g`'s revocation bus hears of `id` (an event, not a sleep). */
function heardOn(g: TestGateway, id: string): Promise<void> {
  return new Promise((resolve) => g.gw.deps.bus.listen({ onRevoked: (_kind, revoked) => revoked === id && resolve() }));
}

/** Uses the token on both instances twice, so that B answers the second time from its cache. */
async function warm(t: Test, token: string): Promise<void> {
  for (const g of [A, B, A, B]) t.equal((await bearer(g, token)).status, 200, `warm on ${g === A ? 'A' : 'B'}`);
}

t.test('logout on A: B refuses the token and the cookie at once, even from its warm cache', async (t) => {
  const jar = await signedIn(A);
  const token = await sessionToken(A, jar);
  const sid = jar.get('gk_acme')!.split('.')[0]!;
  await warm(t, token);
  t.equal((await withCookie(A, jar)).status, 200, 'the cookie on A');
  t.equal((await withCookie(B, jar)).status, 200, 'the cookie on B');
  const readHits = B.gw.deps.readCache.hits;
  t.equal((await withCookie(B, jar)).status, 200, 'the cookie on B again');
  t.ok(B.gw.deps.readCache.hits > readHits, 'B answers the cookie from its session read cache');
  const hitsBefore = B.gw.deps.tokenCache.hits;
  t.equal((await bearer(B, token)).status, 200);
  t.equal(B.gw.deps.tokenCache.hits, hitsBefore + 1, 'B answers from its verified-token cache');

  const heard = heardOn(B, sid);
  const out = await request(A.url, '/t/acme/logout', {
    method: 'POST',
    headers: { host: DASH, cookie: jar.header(), 'x-csrf-token': await csrfOf(A, jar) },
  });
  t.equal(out.status, 303, 'logged out on A');

  const hits = B.gw.deps.tokenCache.hits;
  const onB = await bearer(B, token);
  t.equal(onB.status, 401, 'the very next request on B with the token: 401');
  t.match(String(onB.headers['www-authenticate']), /error="invalid_token"/);
  t.equal(B.gw.deps.tokenCache.hits, hits + 1, 'refused although the token was a cache hit on B');
  t.equal((await withCookie(B, jar)).status, 401, 'the cookie on B: 401');
  t.equal((await bearer(A, token)).status, 401, 'and on A');
  await heard;
  t.ok(B.gw.deps.revocations.has(sid), "B's revocation LRU holds the session id (pub/sub)");
  t.equal((await bearer(B, token)).status, 401, 'still refused on B');
});

t.test(
  're-authentication on A: the old cookie value is dead on B at once, although B had the session cached',
  async (t) => {
    const jar = await signedIn(A);
    const oldCookie = jar.header();
    for (const g of [A, B]) t.equal((await withCookie(g, jar)).status, 200, `the cookie on ${g === A ? 'A' : 'B'}`);
    const readHits = B.gw.deps.readCache.hits;
    t.equal((await withCookie(B, jar)).status, 200);
    t.ok(B.gw.deps.readCache.hits > readHits, 'B answered from its read cache');

    const { res } = await login(A.url, {
      username: 'alice',
      password: PASSWORDS.alice,
      prompt: 'login',
      rd: 'http://dashboard.acme.test/reports',
      jar,
    });
    t.equal(res.status, 302, 're-authenticated on A');
    t.not(jar.header(), oldCookie, 'a new cookie value');
    const old = await request(B.url, '/reports', {
      headers: { host: DASH, accept: 'application/json', cookie: oldCookie },
    });
    t.equal(old.status, 401, 'the old value on B: 401 on the very next request');
    t.equal((await withCookie(B, jar)).status, 200, 'the new value works on B');
  },
);

t.test('RFC 7009 revocation of an access token on A: B refuses it at once, its sibling still works', async (t) => {
  const tokens = await codeFlow(A);
  const sib = await tokenRequest(B, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
  t.equal(sib.status, 200, 'refreshed on B');
  const sibling = sib.json<Tokens>();
  await warm(t, tokens.access_token);
  await warm(t, sibling.access_token);
  const jti = JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString()) as { jti: string };
  const heard = heardOn(B, jti.jti);

  const rv = await request(A.url, '/t/acme/api/v1/oauth/revoke', {
    method: 'POST',
    headers: { host: DASH, authorization: OTHER },
    form: { token: tokens.access_token },
  });
  t.equal(rv.status, 200, 'revoked on A');
  t.equal((await bearer(B, tokens.access_token)).status, 401, 'B refuses it on the very next request');
  t.equal((await bearer(A, tokens.access_token)).status, 401, 'so does A');
  t.equal((await bearer(B, sibling.access_token)).status, 200, 'the sibling access token still works on B');
  await heard;
  t.ok(B.gw.deps.revocations.has(jti.jti), "B's LRU holds the jti");
});

t.test('refresh-token reuse detected on A: B refuses the session at once', async (t) => {
  const t0 = await codeFlow(A);
  const t1 = (await tokenRequest(A, { grant_type: 'refresh_token', refresh_token: t0.refresh_token })).json<Tokens>();
  const t2 = (await tokenRequest(B, { grant_type: 'refresh_token', refresh_token: t1.refresh_token })).json<Tokens>();
  t.ok(t2.refresh_token, 'the chain continues across instances');
  await warm(t, t0.access_token);
  await warm(t, t2.access_token);
  for (const g of [A, B]) g.clock.advance(11_000); // past refreshGrace on both instances
  const sid = t0.refresh_token.split('.')[0]!;
  const heard = heardOn(B, sid);

  const replay = await tokenRequest(A, { grant_type: 'refresh_token', refresh_token: t1.refresh_token });
  t.equal(replay.json().error, 'invalid_grant', 'reuse on A');
  t.equal((await bearer(B, t2.access_token)).status, 401, 'the newest access token is refused on B at once');
  t.equal((await bearer(B, t0.access_token)).status, 401, 'and the oldest');
  const onB = await tokenRequest(B, { grant_type: 'refresh_token', refresh_token: t2.refresh_token });
  t.equal(onB.json().error, 'invalid_grant', 'the newest refresh token is dead on B');
  await heard;
  t.ok(
    A.logs.some((l) => l.includes('"audit":"refresh_token_reuse"')),
    'audited on A',
  );
});

t.test('10 parallel refreshes split across A and B: one successor, no logout', async (t) => {
  const t0 = await codeFlow(A);
  const all = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      tokenRequest(i % 2 ? B : A, { grant_type: 'refresh_token', refresh_token: t0.refresh_token }),
    ),
  );
  t.same(
    all.map((r) => r.status),
    Array(10).fill(200),
  );
  const successors = new Set(all.map((r) => r.json<Tokens>().refresh_token));
  t.equal(successors.size, 1, 'one successor');
  for (const r of all) t.equal((await bearer(B, r.json<Tokens>().access_token)).status, 200);
  const next = await tokenRequest(B, { grant_type: 'refresh_token', refresh_token: [...successors][0]! });
  t.equal(next.status, 200, 'the session goes on');
});

t.test(
  "revoke-all on A: a session created on B while it runs is announced too (B's warm cache refuses it)",
  async (t) => {
    const billing = `Basic ${Buffer.from(`billing-service:${SECRETS.billing}`).toString('base64')}`;
    const grant = {
      method: 'POST',
      headers: { host: DASH, authorization: billing },
      form: { grant_type: 'client_credentials' },
    };
    const admin = (await request(A.url, '/t/acme/api/v1/oauth/token', grant)).json<{ access_token: string }>()
      .access_token;
    const bob = async (g: TestGateway): Promise<CookieJar> =>
      (await login(g.url, { username: 'bob', password: PASSWORDS.bob })).jar;
    const before = await bob(A);
    let during: CookieJar | null = null;
    // The interleaving under test, made certain: A's store is asked to delete bob's sessions only
    // once a new session of his exists and B answers it from its read cache.
    const real = A.gw.deps.store;
    A.gw.deps.store = new Proxy(real, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown;
        if (typeof value !== 'function') return value;
        if (prop !== 'deleteUserSessions') return value.bind(target);
        return async (...args: unknown[]) => {
          during = await bob(B);
          for (let i = 0; i < 2; i++) t.equal((await withCookie(B, during)).status, 200, 'the new session works on B');
          return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        };
      },
    });
    t.teardown(() => {
      A.gw.deps.store = real;
    });
    const hits = B.gw.deps.readCache.hits;
    const revokeAll = { method: 'POST', headers: { host: DASH, authorization: `Bearer ${admin}` } };
    const res = await request(A.url, '/t/acme/api/v1/users/u-bob/sessions/revoke-all', revokeAll);
    A.gw.deps.store = real;
    t.ok(during, 'a session was created while revoke-all ran');
    t.ok(B.gw.deps.readCache.hits > hits, 'B had it in its read cache');
    t.same(res.json(), { revoked: 2 }, 'both are counted');
    t.equal(
      (await withCookie(B, during!)).status,
      401,
      'B refuses the session created meanwhile on the very next request',
    );
    t.equal((await withCookie(B, before)).status, 401, 'and the one that existed before');
    t.equal((await withCookie(A, during!)).status, 401, 'so does A');
  },
);
