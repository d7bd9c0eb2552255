// A real OAuth client library (openid-client v6) against a running gateway whose
// publicUrl is its real address: RFC 8414 discovery, authorization code + PKCE S256,
// refresh-token rotation, RFC 7009 revocation, RFC 7662 introspection, client
// credentials, the access token at a proxied app, and the authorize endpoint's errors.
import t from 'tap';
import * as oidc from 'openid-client';
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';
import { CookieJar, request, type Response } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { freePort } from '../helpers/net.js';
import { startTestGateway, PASSWORDS, SECRETS } from '../helpers/gateway.js';
import { hasCode } from '../helpers/error-code.js';

const DASH = 'dashboard.acme.test';
const SPA_REDIRECT = 'http://app.acme.test/callback';
const OTHER_REDIRECT = 'http://other.acme.test/cb';

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const g = await startTestGateway({ port, publicUrl: base });
t.teardown(g.stop);
const issuer = `${base}/t/acme`;
const gwHost = `127.0.0.1:${port}`;

const spa = await oidc.discovery(
  new URL(`${issuer}/.well-known/oauth-authorization-server`),
  'web-spa',
  undefined,
  oidc.None(),
  {
    execute: [oidc.allowInsecureRequests],
  },
);

function confidential(
  id: string,
  secret: string,
  auth: oidc.ClientAuth = oidc.ClientSecretBasic(secret),
): oidc.Configuration {
  const cfg = new oidc.Configuration(spa.serverMetadata(), id, secret, auth);
  oidc.allowInsecureRequests(cfg);
  return cfg;
}
const other = confidential('other-client', SECRETS.other);
const billing = confidential('billing-service', SECRETS.billing, oidc.ClientSecretPost(SECRETS.billing));
/** Holds the scope tokens:introspect: may introspect any token of the tenant (SPEC §5). */
const resource = confidential('resource-server', SECRETS.other);

async function signedIn(user: 'alice' | 'bob' = 'alice'): Promise<CookieJar> {
  const { jar } = await login(g.url, { username: user, password: PASSWORDS[user] });
  if (!jar.get('gk_acme')) throw new Error(`login as ${user} failed`);
  return jar;
}

/** GET a gateway URL (absolute, on the gateway's own address) with the jar's cookies. */
function getWithJar(url: string | URL, jar: CookieJar): Promise<Response> {
  const u = new URL(url, base);
  return request(g.url, u.pathname + u.search, {
    headers: { host: gwHost, accept: 'text/html', cookie: jar.header() },
  });
}

interface Started {
  url: URL;
  verifier: string;
  state: string;
}
async function authorizationUrl(
  cfg: oidc.Configuration,
  redirectUri: string,
  extra: Record<string, string> = {},
): Promise<Started> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(cfg, {
    redirect_uri: redirectUri,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...extra,
  });
  return { url, verifier, state };
}

/** Runs the browser half: the authorize request with the session cookie, 302 to the client. */
async function authorize(
  jar: CookieJar,
  cfg: oidc.Configuration = spa,
  redirectUri = SPA_REDIRECT,
): Promise<Started & { callback: URL }> {
  const s = await authorizationUrl(cfg, redirectUri);
  const res = await getWithJar(s.url, jar);
  if (res.status !== 302 || typeof res.headers.location !== 'string')
    throw new Error(`authorize answered ${res.status}: ${res.body.slice(0, 200)}`);
  return { ...s, callback: new URL(res.headers.location) };
}

/** The proxied dashboard app with `Authorization: Bearer`. */
async function atDashboard(token: string): Promise<{ res: Response; seen: Record<string, string> | undefined }> {
  const before = g.upstream.seen.length;
  const res = await request(g.url, '/reports', {
    headers: { host: DASH, accept: 'application/json', authorization: `Bearer ${token}` },
  });
  return { res, seen: g.upstream.seen.slice(before)[0]?.headers as Record<string, string> | undefined };
}

/** The RFC 6749 §5.2 error openid-client reports (a 401 with a challenge is its own error class). */
async function oauthError(
  p: Promise<unknown>,
): Promise<{ error: string; status: number; code?: string; challenge?: string } | 'no error'> {
  try {
    await p;
    return 'no error';
  } catch (err) {
    // The gateway's catalogue code rides in the JSON body next to the RFC 6749 members.
    if (err instanceof oidc.ResponseBodyError)
      return { error: err.error, status: err.status, code: String((err.cause as { code?: unknown }).code) };
    if (err instanceof oidc.AuthorizationResponseError) return { error: err.error, status: 302 };
    if (err instanceof oidc.WWWAuthenticateChallengeError) {
      const body = (await err.response.json()) as { error: string; code: string };
      return { error: body.error, status: err.status, code: body.code, challenge: err.cause[0]?.scheme };
    }
    throw err;
  }
}

t.test('RFC 8414 discovery', async (t) => {
  const md = spa.serverMetadata();
  t.equal(md.issuer, issuer, 'the issuer is the tenant URL on the real address');
  t.equal(md.authorization_endpoint, `${issuer}/oauth/authorize`);
  t.equal(md.token_endpoint, `${issuer}/api/v1/oauth/token`);
  t.equal(md.revocation_endpoint, `${issuer}/api/v1/oauth/revoke`);
  t.equal(md.introspection_endpoint, `${issuer}/api/v1/oauth/introspect`);
  t.equal(md.jwks_uri, `${issuer}/.well-known/jwks.json`);
  t.same(md.code_challenge_methods_supported, ['S256']);
  t.ok(md.grant_types_supported?.includes('refresh_token'));
  t.ok(md.grant_types_supported?.includes('client_credentials'));
  t.equal(md.authorization_response_iss_parameter_supported, true);
  t.ok(md.supportsPKCE('S256'), 'openid-client sees PKCE S256 support');
});

t.test('authorization code + PKCE, refresh rotation, the token at the app, introspection, revocation', async (t) => {
  const jar = await signedIn('alice');
  const { callback, verifier, state } = await authorize(jar);
  t.equal(callback.origin + callback.pathname, SPA_REDIRECT, 'redirected to the registered URI');
  t.equal(callback.searchParams.get('state'), state, 'state comes back');
  t.ok(callback.searchParams.get('code'), 'a code');
  t.equal(callback.searchParams.get('iss'), issuer, 'RFC 9207 iss');

  const tokens = await oidc.authorizationCodeGrant(spa, callback, { pkceCodeVerifier: verifier, expectedState: state });
  t.equal(tokens.token_type.toLowerCase(), 'bearer');
  t.ok(tokens.refresh_token, 'a refresh token');
  t.equal(tokens.expires_in, 3600);
  const claims = decodeJwt(tokens.access_token);
  t.equal(claims.iss, issuer);
  t.equal(claims.sub, 'u-alice');
  t.equal(claims.client_id, 'web-spa');
  t.equal(claims.aud, issuer, 'a client without audience gets the tenant issuer');
  t.equal(claims.tid, 'acme');
  t.type(claims.sid, 'string');
  t.type(claims.jti, 'string');

  // The access token at a proxied app.
  const jwks = (
    await request(g.url, '/t/acme/.well-known/jwks.json', { headers: { host: gwHost } })
  ).json<JSONWebKeySet>();
  const { res, seen } = await atDashboard(tokens.access_token);
  t.equal(res.status, 200, 'the bearer token is accepted at the dashboard');
  t.equal(seen?.['x-auth-user'], 'u-alice');
  t.equal(seen?.['x-auth-session'], claims.sid);
  const assertion = seen?.['x-auth-jwt'];
  t.type(assertion, 'string', 'X-Auth-Jwt reaches the app');
  const verified = await jwtVerify(assertion!, createLocalJWKSet(jwks), {
    audience: 'dashboard',
    issuer,
    currentDate: new Date(g.clock.now()),
  });
  t.equal(verified.payload.sub, 'u-alice', 'X-Auth-Jwt verifies against the JWKS, aud dashboard');

  // Refresh: a new refresh token each time.
  const r1 = await oidc.refreshTokenGrant(spa, tokens.refresh_token!);
  t.ok(r1.refresh_token);
  t.not(r1.refresh_token, tokens.refresh_token, 'the refresh token rotates');
  t.not(r1.access_token, tokens.access_token);
  const r2 = await oidc.refreshTokenGrant(spa, r1.refresh_token!);
  t.not(r2.refresh_token, r1.refresh_token, 'and rotates again');
  t.not(r2.refresh_token, tokens.refresh_token);
  t.equal(decodeJwt(r2.access_token).sid, claims.sid, 'the same session');
  t.equal((await atDashboard(r2.access_token)).res.status, 200);

  // Introspection by a confidential client holding tokens:introspect; any other client
  // learns nothing about web-spa's tokens.
  const active = await oidc.tokenIntrospection(resource, r2.access_token);
  t.equal(active.active, true);
  t.equal(active.sub, 'u-alice');
  t.equal(active.client_id, 'web-spa');
  const activeRefresh = await oidc.tokenIntrospection(resource, r2.refresh_token!, {
    token_type_hint: 'refresh_token',
  });
  t.equal(activeRefresh.active, true, 'the current refresh token is active');
  t.same(
    await oidc.tokenIntrospection(other, r2.access_token),
    { active: false },
    'another client without the scope: only {active: false}',
  );
  t.same(await oidc.tokenIntrospection(billing, r2.refresh_token!), { active: false }, 'nor about the refresh token');

  // Revocation with openid-client's helper: the access token first.
  await oidc.tokenRevocation(spa, r2.access_token, { token_type_hint: 'access_token' });
  t.equal((await atDashboard(r2.access_token)).res.status, 401, 'a revoked access token is refused at once');
  t.same(await oidc.tokenIntrospection(resource, r2.access_token), { active: false }, 'inactive: only {active: false}');
  t.equal((await atDashboard(r1.access_token)).res.status, 200, 'another access token of the session still works');

  // Then the refresh token: the whole session ends.
  await oidc.tokenRevocation(spa, r2.refresh_token!);
  t.same(await oidc.tokenIntrospection(resource, r2.refresh_token!), { active: false });
  t.same(
    await oidc.tokenIntrospection(resource, r1.access_token),
    { active: false },
    "the session's access tokens are inactive",
  );
  t.equal((await atDashboard(r1.access_token)).res.status, 401);
  t.match(await oauthError(oidc.refreshTokenGrant(spa, r2.refresh_token!)), {
    error: 'invalid_grant',
    code: 'ERR_GK_OAUTH_INVALID_GRANT',
    status: 400,
  });
});

t.test('client credentials for billing-service', async (t) => {
  const cc = await oidc.clientCredentialsGrant(billing, { scope: 'sessions:admin' });
  t.equal(cc.token_type.toLowerCase(), 'bearer');
  t.equal(cc.refresh_token, undefined, 'no refresh token for client credentials');
  t.equal(cc.scope, 'sessions:admin');
  const claims = decodeJwt(cc.access_token);
  t.equal(claims.sub, 'billing-service');
  t.equal(claims.client_id, 'billing-service');
  t.equal(claims.sid, undefined, 'no session');
  const info = await oidc.tokenIntrospection(billing, cc.access_token);
  t.equal(info.active, true, 'a client introspects its own token');
  t.equal(info.scope, 'sessions:admin');
  t.same(
    await oidc.tokenIntrospection(other, cc.access_token),
    { active: false },
    "another client does not learn about billing-service's token",
  );
  t.match(
    await oauthError(oidc.clientCredentialsGrant(billing, { scope: 'admin:everything' })),
    { error: 'invalid_scope', code: 'ERR_GK_OAUTH_INVALID_SCOPE' },
    'a scope beyond the allow-list',
  );
  t.match(
    await oauthError(oidc.clientCredentialsGrant(confidential('billing-service', 'wrong-secret'))),
    { error: 'invalid_client', code: 'ERR_GK_OAUTH_INVALID_CLIENT', status: 401, challenge: 'basic' },
    'a wrong secret: 401 with a Basic challenge',
  );
  t.match(
    await oauthError(oidc.clientCredentialsGrant(spa)),
    { error: 'unauthorized_client', code: 'ERR_GK_OAUTH_UNAUTHORIZED_CLIENT' },
    'a public client has no client_credentials',
  );
  const { res, seen } = await atDashboard(cc.access_token);
  t.equal(res.status, 200, 'a client token is accepted where authentication is enough');
  t.equal(seen?.['x-auth-user'], 'billing-service');

  // A client with an audience: its tokens are for that app only.
  const api = await oidc.clientCredentialsGrant(confidential('billing-api-client', SECRETS.other));
  t.equal(decodeJwt(api.access_token).aud, 'billing-api', "the client's audience");
  const atBilling = await request(g.url, '/invoices', {
    headers: { host: 'billing.acme.test', accept: 'application/json', authorization: `Bearer ${api.access_token}` },
  });
  t.equal(atBilling.status, 200, 'accepted by the app with audience billing-api');
  t.equal((await atDashboard(api.access_token)).res.status, 401, 'refused by the dashboard');
  const ccAtBilling = await request(g.url, '/invoices', {
    headers: { host: 'billing.acme.test', accept: 'application/json', authorization: `Bearer ${cc.access_token}` },
  });
  t.equal(ccAtBilling.status, 401, 'an issuer-audience token is refused by the billing app');
  hasCode(t, ccAtBilling, 'ERR_GK_UNAUTHENTICATED');
});

t.test('authorize errors about the client or the redirect URI are shown, never redirected', async (t) => {
  const jar = await signedIn();
  const good = await authorizationUrl(spa, SPA_REDIRECT);

  const unknown = new URL(good.url);
  unknown.searchParams.set('client_id', 'nobody');
  const a = await getWithJar(unknown, jar);
  t.equal(a.status, 400, 'unknown client: 400 page');
  t.equal(a.headers.location, undefined, 'no redirect');
  t.match(a.headers['content-type'], /text\/html/);
  hasCode(t, a, 'ERR_GK_AUTHORIZE_INVALID');

  for (const uri of [
    'http://evil.test/callback',
    `${SPA_REDIRECT}/x`,
    `${SPA_REDIRECT}?x=1`,
    'http://app.acme.test/Callback',
    OTHER_REDIRECT,
  ]) {
    const bad = new URL(good.url);
    bad.searchParams.set('redirect_uri', uri);
    const r = await getWithJar(bad, jar);
    t.equal(r.status, 400, `unregistered redirect_uri ${uri}: 400 page`);
    hasCode(t, r, 'ERR_GK_AUTHORIZE_INVALID', uri);
    t.equal(r.headers.location, undefined, 'no redirect');
  }
  const missing = new URL(good.url);
  missing.searchParams.delete('redirect_uri');
  t.equal((await getWithJar(missing, jar)).status, 400, 'no redirect_uri at all: 400 page');
});

t.test('authorize without PKCE or with plain PKCE redirects back with invalid_request', async (t) => {
  const jar = await signedIn();
  const good = await authorizationUrl(spa, SPA_REDIRECT);
  const cases: [string, (u: URL) => void][] = [
    ['no code_challenge', (u) => u.searchParams.delete('code_challenge')],
    ['no code_challenge_method', (u) => u.searchParams.delete('code_challenge_method')],
    [
      'no PKCE at all',
      (u) => (u.searchParams.delete('code_challenge'), u.searchParams.delete('code_challenge_method')),
    ],
    ['plain', (u) => u.searchParams.set('code_challenge_method', 'plain')],
  ];
  for (const [name, change] of cases) {
    const u = new URL(good.url);
    change(u);
    const r = await getWithJar(u, jar);
    t.equal(r.status, 302, `${name}: redirected to the client`);
    const loc = new URL(String(r.headers.location));
    t.equal(loc.origin + loc.pathname, SPA_REDIRECT);
    t.equal(loc.searchParams.get('error'), 'invalid_request', name);
    t.equal(loc.searchParams.get('state'), good.state);
    t.equal(loc.searchParams.get('code'), null, 'no code');
  }
  const implicit = new URL(good.url);
  implicit.searchParams.set('response_type', 'token');
  const imp = new URL(String((await getWithJar(implicit, jar)).headers.location));
  t.equal(imp.searchParams.get('error'), 'unsupported_response_type', 'response_type=token: unsupported_response_type');
  t.equal(imp.searchParams.get('access_token'), null);

  // openid-client reports the error response as an error.
  const u = new URL(good.url);
  u.searchParams.delete('code_challenge');
  const loc = new URL(String((await getWithJar(u, jar)).headers.location));
  t.match(
    await oauthError(
      oidc.authorizationCodeGrant(spa, loc, { pkceCodeVerifier: good.verifier, expectedState: good.state }),
    ),
    { error: 'invalid_request', status: 302 },
  );
});

t.test('an authorization code is one-time, bound to its verifier and its client', async (t) => {
  const jar = await signedIn();

  const once = await authorize(jar);
  const first = await oidc.authorizationCodeGrant(spa, once.callback, {
    pkceCodeVerifier: once.verifier,
    expectedState: once.state,
  });
  t.ok(first.access_token);
  t.match(
    await oauthError(
      oidc.authorizationCodeGrant(spa, once.callback, { pkceCodeVerifier: once.verifier, expectedState: once.state }),
    ),
    { error: 'invalid_grant', code: 'ERR_GK_OAUTH_INVALID_GRANT', status: 400 },
    'a code used twice: invalid_grant',
  );

  const wrongVerifier = await authorize(jar);
  t.match(
    await oauthError(
      oidc.authorizationCodeGrant(spa, wrongVerifier.callback, {
        pkceCodeVerifier: oidc.randomPKCECodeVerifier(),
        expectedState: wrongVerifier.state,
      }),
    ),
    { error: 'invalid_grant', code: 'ERR_GK_OAUTH_INVALID_GRANT' },
    'the wrong verifier: invalid_grant',
  );
  t.match(
    await oauthError(
      oidc.authorizationCodeGrant(spa, wrongVerifier.callback, {
        pkceCodeVerifier: wrongVerifier.verifier,
        expectedState: wrongVerifier.state,
      }),
    ),
    { error: 'invalid_grant', code: 'ERR_GK_OAUTH_INVALID_GRANT' },
    'and the code is gone after the failed attempt',
  );

  const stolen = await authorize(jar);
  t.match(
    await oauthError(
      oidc.authorizationCodeGrant(other, stolen.callback, {
        pkceCodeVerifier: stolen.verifier,
        expectedState: stolen.state,
      }),
    ),
    { error: 'invalid_grant', code: 'ERR_GK_OAUTH_INVALID_GRANT' },
    'a code of web-spa redeemed by other-client: invalid_grant',
  );

  const noVerifier = await authorize(jar);
  const raw = await request(g.url, '/t/acme/api/v1/oauth/token', {
    method: 'POST',
    headers: { host: gwHost },
    form: {
      grant_type: 'authorization_code',
      client_id: 'web-spa',
      code: String(noVerifier.callback.searchParams.get('code')),
      redirect_uri: SPA_REDIRECT,
    },
  });
  t.equal(raw.status, 400);
  t.equal(raw.json().error, 'invalid_grant', 'no code_verifier: invalid_grant');
  hasCode(t, raw, 'ERR_GK_OAUTH_INVALID_GRANT');

  const late = await authorize(jar);
  g.clock.advance(61_000);
  t.match(
    await oauthError(
      oidc.authorizationCodeGrant(spa, late.callback, { pkceCodeVerifier: late.verifier, expectedState: late.state }),
    ),
    { error: 'invalid_grant', code: 'ERR_GK_OAUTH_INVALID_GRANT' },
    'a code older than 60 s: invalid_grant',
  );

  const loggedOut = await authorize(jar);
  const csrf = (
    await request(g.url, '/t/acme/api/v1/session', { headers: { host: gwHost, cookie: jar.header() } })
  ).json<{ csrfToken: string }>().csrfToken;
  t.equal(
    (
      await request(g.url, '/t/acme/logout', {
        method: 'POST',
        headers: { host: gwHost, cookie: jar.header(), 'x-csrf-token': csrf },
      })
    ).status,
    303,
  );
  t.match(
    await oauthError(
      oidc.authorizationCodeGrant(spa, loggedOut.callback, {
        pkceCodeVerifier: loggedOut.verifier,
        expectedState: loggedOut.state,
      }),
    ),
    { error: 'invalid_grant', code: 'ERR_GK_OAUTH_INVALID_GRANT' },
    'a code whose login session ended before the exchange: invalid_grant',
  );

  const jar2 = await signedIn();
  const otherUri = await authorize(jar2, other, OTHER_REDIRECT);
  const wrongUri = new URL(otherUri.callback);
  const r = await request(g.url, '/t/acme/api/v1/oauth/token', {
    method: 'POST',
    headers: {
      host: gwHost,
      authorization: `Basic ${Buffer.from(`other-client:${SECRETS.other}`).toString('base64')}`,
    },
    form: {
      grant_type: 'authorization_code',
      code: String(wrongUri.searchParams.get('code')),
      redirect_uri: 'http://other.acme.test/elsewhere',
      code_verifier: otherUri.verifier,
    },
  });
  t.equal(r.json().error, 'invalid_grant', 'a redirect_uri that differs from the authorization request: invalid_grant');
  hasCode(t, r, 'ERR_GK_OAUTH_INVALID_GRANT');
});

t.test('a signed-out browser is sent to login first, then the flow completes', async (t) => {
  const jar = new CookieJar();
  const s = await authorizationUrl(spa, SPA_REDIRECT);
  const first = await getWithJar(s.url, jar);
  t.equal(first.status, 302);
  const loginLoc = new URL(String(first.headers.location), base);
  t.equal(loginLoc.pathname, '/t/acme/login');
  const rd = loginLoc.searchParams.get('rd')!;
  await login(g.url, { username: 'bob', password: PASSWORDS.bob, rd, jar });
  const back = await getWithJar(rd, jar);
  t.equal(back.status, 302);
  const callback = new URL(String(back.headers.location));
  const tokens = await oidc.authorizationCodeGrant(spa, callback, {
    pkceCodeVerifier: s.verifier,
    expectedState: s.state,
  });
  t.equal(decodeJwt(tokens.access_token).sub, 'u-bob');
});

t.test('prompt=login forces the login form once, then completes', async (t) => {
  const jar = await signedIn('alice');
  const oldCookie = jar.get('gk_acme');
  const s = await authorizationUrl(spa, SPA_REDIRECT, { prompt: 'login' });
  const first = await getWithJar(s.url, jar);
  t.equal(first.status, 302, 'a signed-in user is still sent to the login form');
  const loginLoc = new URL(String(first.headers.location), base);
  t.equal(loginLoc.pathname, '/t/acme/login');
  t.equal(loginLoc.searchParams.get('prompt'), 'login');

  const form = await getWithJar(loginLoc, jar);
  t.equal(form.status, 200, 'the login form is shown although a session exists');
  t.match(form.body, /name="password"/);

  const rd = loginLoc.searchParams.get('rd')!;
  const { res } = await login(g.url, { username: 'alice', password: PASSWORDS.alice, rd, prompt: 'login', jar });
  t.equal(res.status, 302);
  t.not(jar.get('gk_acme'), oldCookie, 're-authentication rotated the cookie secret');
  const back = await getWithJar(String(res.headers.location), jar);
  t.equal(back.status, 302, 'the second pass completes');
  const callback = new URL(String(back.headers.location));
  t.equal(callback.origin + callback.pathname, SPA_REDIRECT, 'to the client, not to login again');
  const tokens = await oidc.authorizationCodeGrant(spa, callback, {
    pkceCodeVerifier: s.verifier,
    expectedState: s.state,
  });
  t.equal(decodeJwt(tokens.access_token).auth_time, Math.floor(g.clock.now() / 1000));

  // The re-auth mark is the gateway's own: a client-supplied one must not skip the prompt,
  // nor may the mark of the pass that just completed be replayed for a new prompt=login.
  const forged = new URL(s.url);
  forged.searchParams.set('gk_reauth_at', '0');
  const skip = await getWithJar(forged, jar);
  const replayed = new URL(s.url);
  replayed.searchParams.set(
    'gk_reauth_at',
    new URL(String(res.headers.location), base).searchParams.get('gk_reauth_at') ?? '',
  );
  g.clock.advance(1000);
  const made = await getWithJar(s.url, jar);
  const markLater = new URL(
    new URL(String(made.headers.location), base).searchParams.get('rd')!,
    base,
  ).searchParams.get('gk_reauth_at');
  t.ok(markLater, 'a new forced login carries a signed mark');
  t.not(markLater, replayed.searchParams.get('gk_reauth_at'), 'each forced login has its own mark');
  t.equal(
    new URL(String(skip.headers.location), base).pathname,
    '/t/acme/login',
    'prompt=login with a forged gk_reauth_at=0 still shows the login form',
  );
});

t.test('max_age: a login older than max_age is asked again, then the flow completes', async (t) => {
  const jar = await signedIn('bob');
  g.clock.advance(120_000);
  const s = await authorizationUrl(spa, SPA_REDIRECT, { max_age: '60' });
  const first = await getWithJar(s.url, jar);
  const loginLoc = new URL(String(first.headers.location), base);
  t.equal(loginLoc.pathname, '/t/acme/login', 'a 2-minute-old login does not satisfy max_age=60');
  const { res } = await login(g.url, {
    username: 'bob',
    password: PASSWORDS.bob,
    rd: loginLoc.searchParams.get('rd')!,
    prompt: 'login',
    jar,
  });
  g.clock.advance(50); // the browser's round trip back to the authorize endpoint
  const back = await getWithJar(String(res.headers.location), jar);
  const callback = new URL(String(back.headers.location), base);
  t.equal(callback.origin + callback.pathname, SPA_REDIRECT, 'then a code');
  const tokens = await oidc.authorizationCodeGrant(spa, callback, {
    pkceCodeVerifier: s.verifier,
    expectedState: s.state,
  });
  t.equal(decodeJwt(tokens.access_token).sub, 'u-bob');
});

t.test('max_age=0 (like prompt=login): the login form once, then a code', async (t) => {
  const jar = await signedIn('bob');
  const s = await authorizationUrl(spa, SPA_REDIRECT, { max_age: '0' });
  g.clock.advance(50);
  const first = await getWithJar(s.url, jar);
  const loginLoc = new URL(String(first.headers.location), base);
  t.equal(loginLoc.pathname, '/t/acme/login', 'sent to the login form');
  const { res } = await login(g.url, {
    username: 'bob',
    password: PASSWORDS.bob,
    rd: loginLoc.searchParams.get('rd')!,
    prompt: 'login',
    jar,
  });
  t.equal(res.status, 302, 're-authenticated');
  g.clock.advance(50); // the browser's round trip back to the authorize endpoint
  const back = await getWithJar(String(res.headers.location), jar);
  const callback = new URL(String(back.headers.location), base);
  t.equal(
    callback.origin + callback.pathname,
    SPA_REDIRECT,
    'after re-authenticating, the authorize request completes instead of looping back to login',
  );
});
