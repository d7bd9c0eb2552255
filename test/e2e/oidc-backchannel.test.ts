// Back-channel and RP-initiated logout with a real OpenID Provider (SPEC §12, OpenID
// Connect Back-Channel Logout 1.0, RP-Initiated Logout 1.0). Two gateway instances share
// one real Redis; the OP posts its logout tokens to the first. Ending the IdP session
// ends the gateway sessions created from it on every instance (cookies, WebSockets) at
// once; forged, foreign or replayed logout tokens are refused and revoke nothing; logout
// at the gateway goes on to the OP's end_session endpoint and ends the OP session.
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import t, { type Test } from 'tap';
import WebSocket from 'ws';
import type { TestGateway } from '../helpers/gateway.js';
import { CookieJar, request, type Response } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { hasCode } from '../helpers/error-code.js';
import { callbackAt, oidcSignIn, startOidc, type OidcSetup } from '../helpers/oidc.js';
import { LOGOUT_EVENT, OP_CLIENT, signInAtOp } from '../helpers/op.js';
import { startRedis } from '../helpers/redis.js';
import { PASSWORDS, SECRETS } from '../helpers/gateway.js';

const WITHIN = { timeout: 2000 };
const REDIRECT = 'http://other.acme.test/cb';

const redis = await startRedis();
t.teardown(() => redis.stop());
const s = await startOidc({
  instances: 2,
  gateway: { storeYaml: `store:\n  redis: ${redis.url}/0` },
  providerYaml: 'endSessionOnLogout: true',
});
t.teardown(s.stop);
const [A, B] = s.gateways as [TestGateway, TestGateway];

const app = (g: TestGateway, jar: CookieJar | string): Promise<Response> =>
  request(g.url, '/reports', {
    headers: { host: s.appHost, accept: 'application/json', cookie: typeof jar === 'string' ? jar : jar.header() },
  });

const sessionsOf = async (user: string): Promise<number> =>
  (await A.gw.deps.store.listUserSessions('acme', user, A.clock.now())).length;

/** POSTs a logout token to A as the OP would. */
const backchannel = (token: string, provider = 'corp'): Promise<Response> =>
  request(A.url, `/t/acme/oidc/${provider}/backchannel-logout`, {
    method: 'POST',
    form: { logout_token: token },
    headers: { host: new URL(s.publicUrl).host },
  });

function tokenRequest(form: Record<string, string>): Promise<Response> {
  const basic = `Basic ${Buffer.from(`other-client:${SECRETS.other}`).toString('base64')}`;
  return request(A.url, '/t/acme/api/v1/oauth/token', {
    method: 'POST',
    headers: { host: s.appHost, authorization: basic },
    form,
  });
}

async function signedIn(
  setup: Pick<OidcSetup, 'g' | 'appHost'>,
  user: string,
  o: { gateway?: TestGateway; opJar?: CookieJar } = {},
): Promise<{ jar: CookieJar; opJar: CookieJar }> {
  const r = await oidcSignIn(setup, user, o);
  if (r.res.status !== 302 || !r.jar.get('gk_acme'))
    throw new Error(`sign-in: ${r.res.status} ${r.res.body.slice(0, 200)}`);
  return { jar: r.jar, opJar: r.opJar };
}

/** Opens a socket through `g` with the cookie and proves the upstream echoes on it. */
async function openWs(g: TestGateway, jar: CookieJar): Promise<{ ws: WebSocket; closed: Promise<unknown> }> {
  const ws = new WebSocket(`${g.url.replace('http', 'ws')}/socket`, {
    headers: { host: s.appHost, cookie: jar.header() },
  });
  const closed = once(ws, 'close');
  const [hello] = await once(ws, 'message');
  if (JSON.parse(String(hello)).hello !== 'corp:carol') throw new Error('no identity at the upstream');
  return { ws, closed };
}

/** Requests `jar` on `g` back to back until one is refused; resolves with the time it was (performance.now()). */
async function firstRefusal(g: TestGateway, jar: CookieJar, limit = 2000): Promise<number> {
  for (let i = 0; i < limit; i++) {
    if ((await app(g, jar)).status === 401) return performance.now();
  }
  throw new Error(`still accepted after ${limit} requests`);
}

t.test(
  'the OP ends its session: refused on both instances within 100 ms, the socket closed, other IdP sessions kept',
  async (t) => {
    const carol = await signedIn(s, 'carol');
    const sameIdpSession = await signedIn(s, 'carol', { gateway: B, opJar: carol.opJar }); // SSO, created on B
    const elsewhere = await signedIn(s, 'carol'); // another browser: another IdP session
    // B answers from its warm session read cache before the logout.
    for (const g of [A, B, B]) t.equal((await app(g, carol.jar)).status, 200);
    const live = await openWs(B, carol.jar);

    const refusedOnB = firstRefusal(B, carol.jar);
    const posted = s.op.nextBackchannel();
    const ended = await s.op.endSession(carol.opJar);
    t.equal(ended.status, 303, 'the OP ended its session');
    const call = await posted;
    const refusedAt = await refusedOnB;
    const ms = refusedAt - call.sentAt;
    t.comment(
      `back-channel POST sent → first refusal on instance B: ${ms.toFixed(1)} ms (the POST itself took ${(call.answeredAt - call.sentAt).toFixed(1)} ms)`,
    );
    t.ok(ms < 100, `within 100 ms (${ms.toFixed(1)} ms)`);
    t.equal(call.url, `${s.publicUrl}/t/acme/oidc/corp/backchannel-logout`);
    t.equal(call.status, 200, 'the gateway accepted the logout token');
    t.equal(call.cacheControl, 'no-store');

    await t.test('the WebSocket on B closes', WITHIN, async (t) => {
      await live.closed;
      t.pass('closed');
    });
    t.equal((await app(A, carol.jar)).status, 401, 'refused on A');
    t.equal(
      (await app(A, sameIdpSession.jar)).status,
      401,
      'the other gateway session of that IdP session (created on B): refused',
    );
    t.equal((await app(B, sameIdpSession.jar)).status, 401);
    t.equal((await app(B, elsewhere.jar)).status, 200, 'the session from another IdP session of carol is kept');
  },
);

t.test(
  'a logout token with sub and no sid ends every session of that user from this IdP, and only those',
  async (t) => {
    const c1 = await signedIn(s, 'carol');
    const c2 = await signedIn(s, 'carol');
    const dave = await signedIn(s, 'dave');
    const alice = await login(A.url, { host: s.appHost, username: 'alice', password: PASSWORDS.alice });
    const res = await backchannel(await s.op.logoutToken({ sub: 'carol' }));
    t.equal(res.status, 200);
    t.equal(res.headers['cache-control'], 'no-store');
    for (const [who, jar, want] of [
      ['carol 1', c1.jar, 401],
      ['carol 2', c2.jar, 401],
      ['dave', dave.jar, 200],
      ['alice', alice.jar, 200],
    ] as const) {
      t.equal((await app(B, jar)).status, want, `${who} on B: ${want}`);
    }
    t.equal(await sessionsOf('corp:carol'), 0);
  },
);

t.test("a replayed logout token is refused and ends nothing, also the OP's own", async (t) => {
  const token = await s.op.logoutToken({ sub: 'carol' });
  const first = await signedIn(s, 'carol');
  t.equal((await backchannel(token)).status, 200);
  t.equal((await app(B, first.jar)).status, 401);
  const again = await signedIn(s, 'carol');
  const replay = await backchannel(token);
  t.equal(replay.status, 400);
  t.same(replay.json(), {
    error: 'invalid_request',
    error_description: 'The logout token was not accepted.',
    code: 'ERR_GK_LOGOUT_TOKEN_REJECTED',
  });
  hasCode(t, replay, 'ERR_GK_LOGOUT_TOKEN_REJECTED');
  t.equal((await app(B, again.jar)).status, 200, 'the new session lives');

  // The OP's own token, from its session ending, sent again (same sid, same jti).
  const carol = await signedIn(s, 'carol');
  const posted = s.op.nextBackchannel();
  await s.op.endSession(carol.opJar);
  const { logoutToken } = await posted;
  t.equal((await backchannel(logoutToken)).status, 400, "the OP's token replayed: 400");
  t.equal((await app(B, again.jar)).status, 200);
});

t.test('forged and foreign logout tokens: 400, and the session they name lives', async (t) => {
  const victim = await signedIn(s, 'carol');
  const other = await generateKeyPair('RS256');
  // An ID token from the OP (it carries a nonce): captured on its way to the gateway.
  let idToken = '';
  s.op.tamperTokenResponse = (body) => ((idToken = String(body.id_token)), body);
  await signedIn(s, 'dave');
  s.op.tamperTokenResponse = null;
  const now = Math.floor(Date.now() / 1000);
  const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const base = (extra: JWTPayload = {}): JWTPayload => ({
    iss: s.op.issuer,
    aud: OP_CLIENT.id,
    iat: now,
    jti: `j-${Math.random()}`,
    sub: 'carol',
    events: { [LOGOUT_EVENT]: {} },
    ...extra,
  });
  const cases: [string, () => Promise<string>][] = [
    ['for another audience', () => s.op.logoutToken({ sub: 'carol', aud: 'another-client' })],
    ['from another issuer', () => s.op.logoutToken({ sub: 'carol', iss: 'http://127.0.0.1:1' })],
    ['with a nonce', () => s.op.logoutToken({ sub: 'carol', nonce: 'n' })],
    ['without events', () => s.op.logoutToken({ sub: 'carol', events: undefined })],
    [
      'with events but not the logout one',
      () => s.op.logoutToken({ sub: 'carol', events: { 'http://example.test/other': {} } }),
    ],
    [
      'with the logout event null instead of an object',
      () => s.op.logoutToken({ sub: 'carol', events: { [LOGOUT_EVENT]: null } }),
    ],
    ['without jti', () => s.op.logoutToken({ sub: 'carol', jti: undefined })],
    ['without sid or sub', () => s.op.logoutToken({})],
    ['issued 11 minutes ago', () => s.op.logoutToken({ sub: 'carol', iat: now - 11 * 60 - 30 })],
    ['issued in the future', () => s.op.logoutToken({ sub: 'carol', iat: now + 300 })],
    ['unsigned (alg none)', async () => `${b64({ alg: 'none', typ: 'logout+jwt' })}.${b64(base())}.`],
    ['signed by another key under the OP kid', () => s.op.logoutToken({ sub: 'carol' }, { key: other.privateKey })],
    [
      'signed by another key under its own kid',
      () => s.op.logoutToken({ sub: 'carol' }, { key: other.privateKey, kid: 'k2' }),
    ],
    [
      'HS256 keyed with the OP public key',
      () =>
        new SignJWT(base())
          .setProtectedHeader({ alg: 'HS256', kid: s.op.key.kid })
          .sign(new TextEncoder().encode(JSON.stringify(s.op.key.publicJwk))),
    ],
    ['an ID token of the OP', async () => idToken],
    ['not a JWT', async () => 'not-a-jwt'],
  ];
  for (const [name, make] of cases) {
    const res = await backchannel(await make());
    t.equal(res.status, 400, `${name}: 400`);
    t.match(res.json(), { error: 'invalid_request' }, name);
    hasCode(t, res, 'ERR_GK_LOGOUT_TOKEN_REJECTED', name);
  }
  t.equal((await backchannel('', 'corp')).status, 400, 'no logout_token: 400');
  t.equal(
    (await backchannel(await s.op.logoutToken({ sub: 'carol' }), 'nope')).status,
    400,
    'an unknown provider: 400',
  );
  t.ok(idToken.split('.').length === 3, 'an ID token was captured');
  t.equal((await app(B, victim.jar)).status, 200, 'the victim session lives');
  t.equal((await app(A, victim.jar)).status, 200);
});

t.test('logout at the gateway goes on to the OP (RP-initiated logout) and ends the OP session', async (t) => {
  const carol = await signedIn(s, 'carol');
  const csrf = (
    await request(A.url, '/t/acme/api/v1/session', { headers: { host: s.appHost, cookie: carol.jar.header() } })
  ).json<{ csrfToken: string }>().csrfToken;
  const out = await request(A.url, '/t/acme/logout', {
    method: 'POST',
    form: { csrf_token: csrf },
    headers: { host: s.appHost, cookie: carol.jar.header() },
  });
  t.equal(out.status, 303);
  t.match(out.setCookies.join('\n'), /gk_acme=;/, 'the cookie is cleared');
  t.equal((await app(B, carol.jar)).status, 401, 'the gateway session ended first');
  const to = new URL(String(out.headers.location));
  t.equal(`${to.origin}${to.pathname}`, `${s.op.issuer}/session/end`, "to the OP's end_session_endpoint");
  t.equal(to.searchParams.get('post_logout_redirect_uri'), `${s.publicUrl}/t/acme/login`);
  t.equal(to.searchParams.get('client_id'), OP_CLIENT.id);
  const hint = to.searchParams.get('id_token_hint') ?? '';
  t.match(
    JSON.parse(Buffer.from(hint.split('.')[1] ?? '', 'base64url').toString()),
    { iss: s.op.issuer, aud: OP_CLIENT.id, sub: 'carol' },
    'id_token_hint is the ID token of the sign-in',
  );

  // The browser follows it: the OP's logout page, its confirm form, then back to the login page.
  const page = await request(s.op.issuer, to.pathname + to.search, { headers: { cookie: carol.opJar.header() } });
  carol.opJar.take(page);
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.body)?.[1];
  t.ok(xsrf, 'the OP asks to confirm');
  const posted = s.op.nextBackchannel();
  const done = await request(s.op.issuer, '/session/end/confirm', {
    method: 'POST',
    form: { xsrf: xsrf!, logout: 'yes' },
    headers: { cookie: carol.opJar.header() },
  });
  carol.opJar.take(done);
  t.equal(done.status, 303);
  t.equal(done.headers.location, `${s.publicUrl}/t/acme/login`, 'back to the gateway login page');
  t.equal((await posted).status, 200, 'the OP also sent its logout token (nothing left to end)');
  const again = await oidcSignIn(s, 'carol', { opJar: carol.opJar });
  t.ok(again.sawLogin, 'the OP session is gone: the OP asks for the password again');
});

t.test('after a step-up at the IdP, its back-channel logout still ends the session', async (t) => {
  const carol = await signedIn(s, 'carol');
  const sid = carol.jar.get('gk_acme')!.split('.')[0];
  const start = await request(A.url, '/t/acme/login/corp?prompt=login&rd=/reports', {
    headers: { host: s.appHost, accept: 'text/html', cookie: carol.jar.header() },
  });
  carol.jar.take(start);
  const back = await signInAtOp(String(start.headers.location), 'carol', carol.opJar);
  t.ok(back.sawLogin);
  t.equal((await callbackAt(A, back.callback, carol.jar)).status, 302);
  t.equal(carol.jar.get('gk_acme')!.split('.')[0], sid, 're-authenticated in place');
  await s.op.endSession(carol.opJar);
  t.equal((await app(B, carol.jar)).status, 401, 'ended by the OP');
});

t.test('an IdP that starts a new session (new sid) on step-up: the gateway session follows the new one', async (t) => {
  const carol = await signedIn(s, 'carol');
  const start = await request(A.url, '/t/acme/login/corp?prompt=login&rd=/reports', {
    headers: { host: s.appHost, accept: 'text/html', cookie: carol.jar.header() },
  });
  carol.jar.take(start);
  s.op.tamperTokenResponse = async (body) => {
    const claims = JSON.parse(Buffer.from(String(body.id_token).split('.')[1]!, 'base64url').toString()) as JWTPayload;
    return { ...body, id_token: await s.op.sign({ ...claims, sid: 'new-idp-session' }) };
  };
  t.teardown(() => void (s.op.tamperTokenResponse = null));
  const back = await signInAtOp(String(start.headers.location), 'carol', carol.opJar);
  t.equal((await callbackAt(A, back.callback, carol.jar)).status, 302);
  s.op.tamperTokenResponse = null;
  t.equal((await app(B, carol.jar)).status, 200);
  t.equal((await backchannel(await s.op.logoutToken({ sid: 'new-idp-session' }))).status, 200);
  t.equal((await app(B, carol.jar)).status, 401, 'the logout of the new IdP session ends it');
});

t.test('a jti is remembered as long as its token could be accepted (iat + 10 min + 1 min of clock skew)', async (t) => {
  // The memory store judges its marks by the gateway clock, which this test moves.
  const mem = await startOidc();
  t.teardown(mem.stop);
  const post = (token: string): Promise<Response> =>
    request(mem.g.url, '/t/acme/oidc/corp/backchannel-logout', {
      method: 'POST',
      form: { logout_token: token },
      headers: { host: new URL(mem.publicUrl).host },
    });
  const token = await mem.op.logoutToken({ sub: 'carol' });
  t.equal((await post(token)).status, 200);
  const carol = await signedIn(mem, 'carol');
  mem.g.clock.advance(10 * 60_000 + 30_000);
  t.equal((await post(token)).status, 400, '10.5 minutes later, still inside the accepted window: refused as a replay');
  t.equal(
    (
      await request(mem.g.url, '/reports', {
        headers: { host: mem.appHost, accept: 'application/json', cookie: carol.jar.header() },
      })
    ).status,
    200,
    'nothing ended',
  );
});

/** carol signed in, an app holding tokens from her session, then her gateway session ended (the browser did not follow to the OP). */
async function appTokensAfterLogout(
  t: Test,
): Promise<{ opJar: CookieJar; sid: string; access: () => Promise<Response>; refresh: () => Promise<Response> }> {
  let idToken = '';
  s.op.tamperTokenResponse = (body) => ((idToken = String(body.id_token)), body);
  const carol = await signedIn(s, 'carol');
  s.op.tamperTokenResponse = null;
  const sid = String(JSON.parse(Buffer.from(idToken.split('.')[1]!, 'base64url').toString()).sid);
  const verifier = randomBytes(32).toString('base64url');
  const q = new URLSearchParams({
    client_id: 'other-client',
    redirect_uri: REDIRECT,
    response_type: 'code',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  const auth = await request(A.url, `/t/acme/oauth/authorize?${q}`, {
    headers: { host: s.appHost, accept: 'text/html', cookie: carol.jar.header() },
  });
  const code = new URL(String(auth.headers.location)).searchParams.get('code');
  t.ok(code, 'an authorization code for the app');
  const tokens = (
    await tokenRequest({
      grant_type: 'authorization_code',
      code: code!,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    })
  ).json<{ access_token: string; refresh_token: string }>();
  const csrf = (
    await request(A.url, '/t/acme/api/v1/session', { headers: { host: s.appHost, cookie: carol.jar.header() } })
  ).json<{ csrfToken: string }>().csrfToken;
  t.equal(
    (
      await request(A.url, '/t/acme/logout', {
        method: 'POST',
        form: { csrf_token: csrf },
        headers: { host: s.appHost, cookie: carol.jar.header() },
      })
    ).status,
    303,
  );
  const access = (): Promise<Response> =>
    request(B.url, '/reports', {
      headers: { host: s.appHost, accept: 'application/json', authorization: `Bearer ${tokens.access_token}` },
    });
  t.equal((await access()).status, 200, "the app's access token still works after the gateway logout");
  return {
    opJar: carol.opJar,
    sid,
    access,
    refresh: () => tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }),
  };
}

t.test(
  "tokens an app got from the IdP login end with the IdP session, after the browser's gateway session ended",
  async (t) => {
    await t.test('the OP ends its session (its token names sid and sub)', async (t) => {
      const app = await appTokensAfterLogout(t);
      const posted = s.op.nextBackchannel();
      await s.op.endSession(app.opJar);
      t.equal((await posted).status, 200);
      t.equal((await app.access()).status, 401, 'its access token is refused');
      t.match((await app.refresh()).json(), { error: 'invalid_grant' }, 'its refresh token is dead');
    });
    await t.test('a logout token that names only the sid', async (t) => {
      const app = await appTokensAfterLogout(t);
      t.equal((await backchannel(await s.op.logoutToken({ sid: app.sid }))).status, 200);
      t.equal((await app.access()).status, 401, 'its access token is refused');
      t.match((await app.refresh()).json(), { error: 'invalid_grant' }, 'its refresh token is dead');
    });
  },
);
