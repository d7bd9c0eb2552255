// Second-factor policy over HTTP (SPEC §13): forward-auth's answers for mfa routes, access
// tokens' acr/amr and their session's second factor, a client's token on an mfa route, the
// tenant's `mfa.required` (enrolment first, everything else answers the step), the gateway's
// sensitive actions (a second factor within 15 minutes), the admin factor API (no secret in
// it, removal audited, other tenants kept out), removing one's own factor (within 10
// minutes), the code throttle, one TOTP code raced in five sign-ins, the pending sign-in (no
// session, five minutes), the Session JSON, the audit events (never a code or a secret), and
// the configuration's errors.
import t, { type Test } from 'tap';
import { ConfigError, loadConfigText } from '../../src/config/load.js';
import { startTestGateway, PASSWORDS, SECRETS, type TestGateway } from '../helpers/gateway.js';
import { CookieJar, request, type Response } from '../helpers/http.js';
import { formToken, login } from '../helpers/login.js';
import { createSoftAuthenticator } from '../helpers/soft-authenticator.js';
import { codeAt, field } from '../helpers/mfa.js';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';

const DASH = 'dashboard.acme.test';
const MIN = 60_000;

const g = await startTestGateway();
t.teardown(() => g.stop());

type User = 'alice' | 'bob';

const page = (jar: CookieJar, extra: Record<string, string> = {}) => ({
  host: DASH,
  accept: 'text/html',
  cookie: jar.header(),
  origin: `http://${DASH}`,
  ...extra,
});

async function get(gw: TestGateway, jar: CookieJar, path: string): Promise<Response> {
  const res = await request(gw.url, path, { headers: page(jar) });
  jar.take(res);
  return res;
}

async function post(gw: TestGateway, jar: CookieJar, path: string, form: Record<string, string>): Promise<Response> {
  const res = await request(gw.url, path, { method: 'POST', form, headers: page(jar) });
  jar.take(res);
  return res;
}

/** A JSON API call with the session cookie and its CSRF token (or a bearer token). */
async function api(
  gw: TestGateway,
  method: string,
  path: string,
  auth: { jar?: CookieJar; bearer?: string },
  body?: unknown,
): Promise<Response> {
  const headers: Record<string, string> = { host: DASH, accept: 'application/json', origin: `http://${DASH}` };
  if (auth.bearer) headers.authorization = `Bearer ${auth.bearer}`;
  if (auth.jar) {
    headers.cookie = auth.jar.header();
    const s = await request(gw.url, '/t/acme/api/v1/session', { headers: { host: DASH, cookie: auth.jar.header() } });
    if (s.status === 200) headers['x-csrf-token'] = s.json<{ csrfToken: string }>().csrfToken;
  }
  if (body !== undefined) headers['content-type'] = 'application/json';
  return request(gw.url, `/t/acme${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

async function signedIn(gw: TestGateway, user: User): Promise<CookieJar> {
  const { jar, res } = await login(gw.url, { username: user, password: PASSWORDS[user] });
  if (res.status !== 302 || !jar.get('gk_acme')) throw new Error(`login of ${user}: ${res.status}`);
  return jar;
}

/** Enrols TOTP for a signed-in jar (no factor yet, or a fresh second factor): the secret and codes. */
async function enrolTotp(gw: TestGateway, jar: CookieJar): Promise<{ secret: string; codes: string[]; res: Response }> {
  const setup = await get(gw, jar, '/t/acme/account/security/totp');
  if (setup.status !== 200) throw new Error(`totp setup: ${setup.status} ${setup.headers.location}`);
  const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(setup.body)![1]!.replace(/ /g, '');
  const res = await post(gw, jar, '/t/acme/account/security/totp', {
    csrf_token: field(setup.body, 'csrf_token'),
    pending: field(setup.body, 'pending'),
    code: codeAt(secret, gw.clock.now()),
  });
  const codes = [...res.body.matchAll(/<code>([a-z2-7]{5}-[a-z2-7]{5})<\/code>/g)].map((m) => m[1]!);
  return { secret, codes, res };
}

/** The first step of a sign-in for a user with a factor: the jar (pending cookie) and the step's token. */
async function pendingSignIn(gw: TestGateway, user: User, rd?: string): Promise<{ jar: CookieJar; csrf: string }> {
  const { jar, res } = await login(gw.url, { username: user, password: PASSWORDS[user], ...(rd ? { rd } : {}) });
  if (res.status !== 302 || !/^\/t\/acme\/login\/mfa\?/.test(String(res.headers.location)))
    throw new Error(`first step of ${user}: ${res.status} ${res.headers.location}`);
  const step = await get(gw, jar, String(res.headers.location));
  if (step.status !== 200) throw new Error(`second step page: ${step.status}`);
  return { jar, csrf: formToken(step.body) };
}

/** A step-up in a signed-in session with a TOTP code at the gateway's time. */
async function stepUp(gw: TestGateway, jar: CookieJar, secret: string, maxAge: number): Promise<Response> {
  const form = await get(gw, jar, `/t/acme/login/mfa?max_age=${maxAge}&rd=${encodeURIComponent(`http://${DASH}/`)}`);
  if (form.status !== 200) throw new Error(`step-up page: ${form.status} ${form.headers.location}`);
  return post(gw, jar, '/t/acme/login/mfa', {
    csrf_token: formToken(form.body),
    rd: `http://${DASH}/`,
    max_age: String(maxAge),
    code: codeAt(secret, gw.clock.now()),
  });
}

async function sessionToken(gw: TestGateway, jar: CookieJar): Promise<Response> {
  return api(gw, 'POST', '/api/v1/session/token', { jar });
}

function claims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

const sessionsOf = async (gw: TestGateway, userId: string) =>
  (await gw.gw.deps.store.listUserSessions('acme', userId, gw.clock.now())).length;

function audits(gw: TestGateway, event: string): Record<string, unknown>[] {
  return gw.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.audit === event);
}

function forwardAuth(gw: TestGateway, uri: string, extra: Record<string, string> = {}, query = ''): Promise<Response> {
  return request(gw.url, `/t/acme/auth${query}`, {
    headers: {
      host: 'gatekeeper:8080',
      'x-forwarded-host': DASH,
      'x-forwarded-proto': 'https',
      'x-forwarded-uri': uri,
      'x-forwarded-method': 'GET',
      accept: 'application/json',
      ...extra,
    },
  });
}

function nginxAuth(gw: TestGateway, uri: string, extra: Record<string, string> = {}): Promise<Response> {
  return request(gw.url, '/t/acme/auth', {
    headers: {
      host: DASH,
      'x-forwarded-host': DASH,
      'x-forwarded-proto': 'http',
      'x-original-uri': uri,
      'x-original-method': 'GET',
      accept: 'application/json',
      ...extra,
    },
  });
}

function isMfaChallenge(t: Test, res: Response, maxAge: number | null, what: string): void {
  t.equal(res.status, 401, `${what}: 401`);
  t.equal(res.headers['x-auth-error-code'], 'ERR_GK_MFA_REQUIRED', `${what}: ERR_GK_MFA_REQUIRED`);
  const www = String(res.headers['www-authenticate']);
  t.match(www, /error="insufficient_user_authentication"/, `${what}: RFC 9470 error`);
  t.match(www, /acr_values="mfa"/, `${what}: acr_values`);
  if (maxAge === null) t.notMatch(www, /max_age/, `${what}: no max_age`);
  else t.match(www, new RegExp(`max_age=${maxAge}(?!\\d)`), `${what}: max_age=${maxAge}`);
}

t.test('forward-auth: 401 with X-Auth-Redirect to the second step, 302 with mode=redirect', async (t) => {
  const gw = await startTestGateway();
  t.teardown(() => gw.stop());
  const bob = await signedIn(gw, 'bob');
  const ok = await nginxAuth(gw, '/reports', { cookie: bob.header() });
  t.equal(ok.status, 200, 'a plain route: allowed');

  for (const uri of ['/secure/report?x=1', '/mfa-any/x']) {
    const res = await nginxAuth(gw, uri, { cookie: bob.header() });
    // A route with freshAuth names it even before the first second factor.
    const maxAge = uri.startsWith('/secure') ? 600 : null;
    isMfaChallenge(t, res, maxAge, `nginx ${uri}`);
    const ma = maxAge === null ? '' : `max_age=${maxAge}&`;
    const to = `http://${DASH}/t/acme/login/mfa?${ma}rd=${encodeURIComponent(`http://${DASH}${uri}`)}`;
    t.equal(res.headers['x-auth-redirect'], to, `${uri}: X-Auth-Redirect to the second step`);
    t.equal(res.json().acr_values, 'mfa');
    t.same(
      ['x-auth-user', 'x-auth-session', 'x-auth-jwt'].filter((h) => res.headers[h] !== undefined),
      [],
      'no identity headers',
    );
    const browser = await forwardAuth(gw, uri, { cookie: bob.header(), accept: 'text/html' }, '?mode=redirect');
    t.equal(browser.status, 302, `${uri}: a browser is redirected`);
    t.equal(
      browser.headers.location,
      `https://${DASH}/t/acme/login/mfa?${ma}rd=${encodeURIComponent(`https://${DASH}${uri}`)}`,
    );
    t.equal(browser.headers['x-auth-error-code'], 'ERR_GK_MFA_REQUIRED');
  }

  // After enrolment (the first factor counts): allowed; eleven minutes on, /secure asks again with max_age.
  const { secret } = await enrolTotp(gw, bob);
  t.equal((await nginxAuth(gw, '/secure/report', { cookie: bob.header() })).status, 200);
  gw.clock.advance(11 * MIN);
  const old = await nginxAuth(gw, '/secure/report', { cookie: bob.header() });
  isMfaChallenge(t, old, 600, 'second factor too old');
  t.equal(old.json().max_age, 600);
  t.match(old.headers['x-auth-redirect'], /\/t\/acme\/login\/mfa\?max_age=600&rd=/);
  t.equal((await nginxAuth(gw, '/mfa-any/x', { cookie: bob.header() })).status, 200, 'mfa without freshness: still ok');
  const browser = await forwardAuth(
    gw,
    '/secure/report',
    { cookie: bob.header(), accept: 'text/html' },
    '?mode=redirect',
  );
  t.equal(browser.status, 302);
  t.match(browser.headers.location, /^https:\/\/dashboard\.acme\.test\/t\/acme\/login\/mfa\?max_age=600&rd=/);
  t.equal((await stepUp(gw, bob, secret, 600)).status, 302);
  t.equal((await nginxAuth(gw, '/secure/report', { cookie: bob.header() })).status, 200, 'after the step-up');
});

t.test("bearer tokens carry acr/amr and are held to mfa routes by their session's second factor", async (t) => {
  const gw = await startTestGateway();
  t.teardown(() => gw.stop());
  const bob = await signedIn(gw, 'bob');
  const single = await sessionToken(gw, bob);
  t.equal(single.status, 200);
  const token1 = single.json<{ access_token: string }>().access_token;
  t.equal(claims(token1).acr, '1', 'one factor: acr 1');
  t.same(claims(token1).amr, ['pwd']);
  const bearer = (token: string, path: string) =>
    request(gw.url, path, { headers: { host: DASH, accept: 'application/json', authorization: `Bearer ${token}` } });
  t.equal((await bearer(token1, '/reports')).status, 200);
  isMfaChallenge(t, await bearer(token1, '/mfa-any/x'), null, 'single-factor token on an mfa route');

  await enrolTotp(gw, bob);
  const two = await sessionToken(gw, bob);
  const token2 = two.json<{ access_token: string }>().access_token;
  t.equal(claims(token2).acr, 'mfa');
  t.same(claims(token2).amr, ['pwd', 'otp', 'mfa']);
  t.equal((await bearer(token2, '/secure/x')).status, 200, 'an mfa token on an mfa route');
  gw.clock.advance(11 * MIN);
  const stale = await bearer(token2, '/secure/x');
  isMfaChallenge(t, stale, 600, 'acr=mfa, but the session second factor is 11 minutes old');

  // A client acting as itself has no user session: never a second factor.
  const cc = await request(gw.url, '/t/acme/api/v1/oauth/token', {
    method: 'POST',
    headers: {
      host: DASH,
      authorization: `Basic ${Buffer.from(`billing-service:${SECRETS.billing}`).toString('base64')}`,
    },
    form: { grant_type: 'client_credentials' },
  });
  t.equal(cc.status, 200);
  const ccToken = cc.json<{ access_token: string }>().access_token;
  t.equal(claims(ccToken).acr, undefined, 'no acr without a user');
  for (const path of ['/mfa-any/x', '/secure/x']) {
    const res = await bearer(ccToken, path);
    t.equal(res.status, 403, `client_credentials on ${path}: 403`);
    t.equal(res.headers['x-auth-error-code'], 'ERR_GK_FORBIDDEN');
  }
});

t.test('tenant mfa.required: enrol first; every other page and API answers the step', async (t) => {
  const gw = await startTestGateway({ settings: 'mfa: { required: true }' });
  t.teardown(() => gw.stop());
  const { jar, res } = await login(gw.url, { username: 'bob', password: PASSWORDS.bob, rd: `http://${DASH}/reports` });
  t.equal(res.status, 302);
  t.equal(
    res.headers.location,
    `/t/acme/account/security?rd=${encodeURIComponent(`http://${DASH}/reports`)}`,
    'after the password: the security page',
  );
  // Proxied pages and APIs.
  const nav = await request(gw.url, '/reports', { headers: page(jar) });
  t.equal(nav.status, 302, 'a proxied page: to the second step');
  t.match(nav.headers.location, /^\/t\/acme\/login\/mfa\?rd=/);
  const step = await get(gw, jar, nav.headers.location!);
  t.equal(step.status, 302, 'which sends a user without factors to enrolment');
  t.match(step.headers.location, /^\/t\/acme\/account\/security\?rd=/);
  isMfaChallenge(
    t,
    await request(gw.url, '/reports', { headers: { host: DASH, accept: 'application/json', cookie: jar.header() } }),
    null,
    'a proxied API',
  );
  isMfaChallenge(t, await nginxAuth(gw, '/reports', { cookie: jar.header() }), null, 'forward-auth');
  // The gateway's own pages and APIs.
  for (const path of ['/t/acme/account/sessions', '/t/acme/portal/access-management/users']) {
    const p = await request(gw.url, path, { headers: page(jar) });
    t.equal(p.status, 302, `page ${path}: 302`);
    t.match(p.headers.location, /^\/t\/acme\/login\/mfa\?/, `page ${path}: to the second step`);
  }
  isMfaChallenge(t, await api(gw, 'GET', '/api/v1/me/sessions', { jar }), null, 'GET /api/v1/me/sessions');
  isMfaChallenge(
    t,
    await api(gw, 'POST', '/api/v1/me/sessions/revoke-others', { jar }),
    null,
    'POST /api/v1/me/sessions/revoke-others',
  );
  const alice = await signedIn(gw, 'alice');
  isMfaChallenge(t, await api(gw, 'GET', '/api/v1/users', { jar: alice }), null, 'an admin API');
  // Enrolment works, and then access is granted.
  const security = await get(gw, jar, '/t/acme/account/security');
  t.equal(security.status, 200, 'the security page is open');
  const { res: enrolled } = await enrolTotp(gw, jar);
  t.equal(enrolled.status, 200, 'enrolled: the recovery codes');
  t.equal((await request(gw.url, '/reports', { headers: page(jar) })).status, 200, 'then the page');
  t.equal((await api(gw, 'GET', '/api/v1/me/sessions', { jar })).status, 200, 'and the API');
  t.equal((await get(gw, jar, '/t/acme/account/sessions')).status, 200, 'and the account pages');
});

// With `mfa.required` every API other than enrolment answers the step. Before the fix the
// session token endpoint issued a bearer token (acr "1") to a session that had not passed
// the required second factor; an app that checks the JWT itself (not through the gateway)
// would have taken it.
t.test(
  'mfa.required: POST /api/v1/session/token gives no access token to a session without the second factor (regression)',
  async (t) => {
    const gw = await startTestGateway({ settings: 'mfa: { required: true }' });
    t.teardown(() => gw.stop());
    const { jar } = await login(gw.url, { username: 'bob', password: PASSWORDS.bob });
    t.ok(jar.get('gk_acme'), 'a session (without its second factor)');
    const res = await sessionToken(gw, jar);
    isMfaChallenge(t, res, null, 'session token without the required second factor');
    if (res.status === 200) {
      const token = res.json<{ access_token: string }>().access_token;
      t.equal(claims(token).acr, '1', 'a single-factor token was issued');
      isMfaChallenge(
        t,
        await request(gw.url, '/reports', {
          headers: { host: DASH, accept: 'application/json', authorization: `Bearer ${token}` },
        }),
        null,
        "the gateway itself still holds that token to its session's missing factor",
      );
    }
  },
);

// A TOTP code is accepted once. Before the fix, the setup form's sealed secret (`pending`)
// was not used up by the enrolment: posted again (a double submit, or the form re-sent from
// the page's history with the page's new token), it enrolled the same secret a second time,
// and the store's one-use-per-step rule is per factor — so a code used at sign-in passed a
// second time through the twin factor. Now a setup enrols once and a user has one app.
t.test('the TOTP setup posted twice enrols once, and a used code stays used (regression)', async (t) => {
  const gw = await startTestGateway();
  t.teardown(() => gw.stop());
  const bob = await signedIn(gw, 'bob');
  const setup = await get(gw, bob, '/t/acme/account/security/totp');
  const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(setup.body)![1]!.replace(/ /g, '');
  const form = { pending: field(setup.body, 'pending'), code: codeAt(secret, gw.clock.now()) };
  const first = await post(gw, bob, '/t/acme/account/security/totp', {
    csrf_token: field(setup.body, 'csrf_token'),
    ...form,
  });
  t.equal(first.status, 200, 'enrolled');
  const security = await get(gw, bob, '/t/acme/account/security');
  const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(security.body)![1]!;
  gw.clock.advance(30_000);
  const second = await post(gw, bob, '/t/acme/account/security/totp', {
    csrf_token: csrf,
    pending: form.pending,
    code: codeAt(secret, gw.clock.now()),
  });
  t.not(second.status, 500);
  const totps = (await gw.gw.deps.factors.listFactors('acme', 'u-bob')).filter((f) => f.kind === 'totp');
  t.equal(totps.length, 1, 'the sealed setup secret enrols once (it enrolled twice)');

  // What the twin factor allows: one code signs in twice.
  gw.clock.advance(60_000);
  const code = codeAt(secret, gw.clock.now());
  const a = await pendingSignIn(gw, 'bob');
  t.equal((await post(gw, a.jar, '/t/acme/login/mfa', { csrf_token: a.csrf, code })).status, 302, 'the code signs in');
  const b = await pendingSignIn(gw, 'bob');
  const replay = await post(gw, b.jar, '/t/acme/login/mfa', { csrf_token: b.csrf, code });
  t.equal(replay.status, 401, 'the same code again is refused');
  t.notOk(b.jar.get('gk_acme'), 'no second session from one code');
});

t.test('sensitive actions need a second factor within 15 minutes', async (t) => {
  const gw = await startTestGateway();
  t.teardown(() => gw.stop());
  const alice = await signedIn(gw, 'alice');
  await signedIn(gw, 'bob');
  const { secret } = await enrolTotp(gw, alice);
  t.equal((await api(gw, 'PATCH', '/api/v1/configuration/auth-settings', { jar: alice }, {})).status, 200);
  gw.clock.advance(16 * MIN);
  const patch = await api(gw, 'PATCH', '/api/v1/configuration/auth-settings', { jar: alice }, { ipBinding: 'exact' });
  isMfaChallenge(t, patch, 900, 'PATCH auth-settings');
  t.equal(patch.json().acr_values, 'mfa');
  t.equal(patch.json().max_age, 900);
  const all = await api(gw, 'POST', '/api/v1/users/u-bob/sessions/revoke-all', { jar: alice });
  isMfaChallenge(t, all, 900, 'revoke-all');
  t.equal(await sessionsOf(gw, 'u-bob'), 1, "bob's session still there");
  t.notOk(
    (await api(gw, 'GET', '/api/v1/configuration/auth-settings', { jar: alice })).body.includes('"exact"'),
    'settings unchanged',
  );
  // A bearer token of the same session is held to the same rule.
  const token = (await sessionToken(gw, alice)).json<{ access_token: string }>().access_token;
  isMfaChallenge(
    t,
    await api(gw, 'PATCH', '/api/v1/configuration/auth-settings', { bearer: token }, {}),
    900,
    'PATCH with the session token',
  );

  const stepped = await stepUp(gw, alice, secret, 900);
  t.equal(stepped.status, 302, 'stepped up');
  const patched = await api(gw, 'PATCH', '/api/v1/configuration/auth-settings', { jar: alice }, { ipBinding: 'exact' });
  t.equal(patched.status, 200, 'PATCH after the step-up');
  const revoked = await api(gw, 'POST', '/api/v1/users/u-bob/sessions/revoke-all', { jar: alice });
  t.equal(revoked.status, 200, 'revoke-all after the step-up');
  t.equal(await sessionsOf(gw, 'u-bob'), 0);
});

t.test("the admin factor API: lists without secrets, removes (audited), other tenants' admins kept out", async (t) => {
  const gw = await startTestGateway();
  t.teardown(() => gw.stop());
  const bob = await signedIn(gw, 'bob');
  const { secret, codes } = await enrolTotp(gw, bob);
  // A security key too (on the gateway's own host: its RP ID and origin).
  const keys = createSoftAuthenticator({ rpId: 'gw.acme.test', origin: 'http://gw.acme.test' });
  const gwHeaders = { host: 'gw.acme.test', origin: 'http://gw.acme.test', cookie: bob.header() };
  const sec = await request(gw.url, '/t/acme/account/security', { headers: { ...gwHeaders, accept: 'text/html' } });
  const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(sec.body)![1]!;
  const optRes = await request(gw.url, '/t/acme/account/security/webauthn/options', {
    method: 'POST',
    headers: { ...gwHeaders, 'x-csrf-token': csrf },
  });
  t.equal(optRes.status, 200);
  const reg = keys.register(optRes.json<{ options: PublicKeyCredentialCreationOptionsJSON }>().options);
  const added = await request(gw.url, '/t/acme/account/security/webauthn', {
    method: 'POST',
    form: { csrf_token: csrf, name: 'Key', response: JSON.stringify(reg) },
    headers: { ...gwHeaders, accept: 'text/html' },
  });
  t.equal(added.status, 303);

  const alice = await signedIn(gw, 'alice');
  const list = await api(gw, 'GET', '/api/v1/users/u-bob/factors', { jar: alice });
  t.equal(list.status, 200);
  const body = list.json<{ factors: { id: string; kind: string; name: string }[]; recoveryCodesLeft: number }>();
  t.same(body.factors.map((f) => f.kind).sort(), ['totp', 'webauthn']);
  t.equal(body.recoveryCodesLeft, 10);
  const stored = await gw.gw.deps.factors.listFactors('acme', 'u-bob');
  for (const f of stored) {
    if (f.kind === 'totp') t.notOk(list.body.includes(f.secretBox), 'no sealed secret');
    if (f.kind === 'webauthn') {
      t.notOk(list.body.includes(f.publicKey), 'no public key');
      t.notOk(list.body.includes(f.credentialId), 'no credential id');
    }
  }
  t.notOk(list.body.includes(secret), 'no TOTP secret');
  t.notOk(list.body.includes(keys.credentials[0]!.id), 'no credential id');
  t.notOk(
    codes.some((c) => list.body.includes(c)),
    'no recovery code',
  );
  t.notOk(
    /secret|publicKey|credentialId|counter|hash/i.test(Object.keys(body.factors[0]!).join(' ')),
    'no such members',
  );

  // Other tenants: acme's admin at globex, globex's user at acme and at globex.
  const aliceToken = (await sessionToken(gw, alice)).json<{ access_token: string }>().access_token;
  const globexApi = (method: string, path: string, headers: Record<string, string>) =>
    request(gw.url, `/t/globex/api/v1${path}`, {
      method,
      headers: { host: 'portal.globex.test', accept: 'application/json', ...headers },
    });
  const totpId = stored.find((f) => f.kind === 'totp')!.id;
  for (const [method, path] of [
    ['GET', '/users/u-bob/factors'],
    ['DELETE', `/users/u-bob/factors/${totpId}`],
    ['GET', '/users/u-alice/factors'],
  ] as const) {
    const res = await globexApi(method, path, { authorization: `Bearer ${aliceToken}` });
    t.equal(res.status, 401, `acme's admin token at globex: ${method} ${path}`);
  }
  const { jar: gAlice } = await login(gw.url, {
    host: 'portal.globex.test',
    slug: 'globex',
    username: 'alice',
    password: PASSWORDS.eve,
  });
  t.ok(gAlice.get('gk_globex'), 'globex alice signed in');
  const gCsrf = (
    await request(gw.url, '/t/globex/api/v1/session', {
      headers: { host: 'portal.globex.test', cookie: gAlice.header() },
    })
  ).json<{ csrfToken: string }>().csrfToken;
  const atAcme = await request(gw.url, '/t/acme/api/v1/users/u-bob/factors', {
    headers: { host: DASH, accept: 'application/json', cookie: gAlice.header() },
  });
  t.equal(atAcme.status, 401, "globex's cookie at acme's factor API");
  const del = await request(gw.url, `/t/acme/api/v1/users/u-bob/factors/${totpId}`, {
    method: 'DELETE',
    headers: { host: DASH, accept: 'application/json', cookie: gAlice.header(), 'x-csrf-token': gCsrf },
  });
  t.equal(del.status, 401, "globex's cookie cannot remove acme's factor");
  t.equal((await gw.gw.deps.factors.listFactors('acme', 'u-bob')).length, 2, 'both factors still there');
  t.same(await gw.gw.deps.factors.listFactors('globex', 'u-alice'), [], 'nothing at globex');

  // A non-admin cannot; the admin (signed in with one factor: none of her own) removes.
  t.equal((await api(gw, 'GET', '/api/v1/users/u-bob/factors', { jar: bob })).status, 403, 'bob is no admin');
  t.equal((await api(gw, 'DELETE', `/api/v1/users/u-bob/factors/${totpId}`, { jar: bob })).status, 403);
  const removed = await api(gw, 'DELETE', `/api/v1/users/u-bob/factors/${totpId}`, { jar: alice });
  t.equal(removed.status, 204);
  const again = await api(gw, 'DELETE', `/api/v1/users/u-bob/factors/${totpId}`, { jar: alice });
  t.equal(again.status, 404);
  t.equal(again.headers['x-auth-error-code'], 'ERR_GK_NOT_FOUND');
  t.equal((await api(gw, 'GET', '/api/v1/users/u-nobody/factors', { jar: alice })).status, 404, 'unknown user');
  const left = (await api(gw, 'GET', '/api/v1/users/u-bob/factors', { jar: alice })).json<{
    factors: { kind: string }[];
  }>();
  t.same(
    left.factors.map((f) => f.kind),
    ['webauthn'],
  );
  const audit = audits(gw, 'mfa_removed');
  t.equal(audit.length, 1, 'one mfa_removed');
  t.match(audit[0], { tenant: 'acme', userId: 'u-bob', method: 'totp', by: 'u-alice' });
});

t.test("removing one's own factor needs a second factor within 10 minutes", async (t) => {
  const gw = await startTestGateway();
  t.teardown(() => gw.stop());
  const bob = await signedIn(gw, 'bob');
  const { secret } = await enrolTotp(gw, bob);
  const factor = (await gw.gw.deps.factors.listFactors('acme', 'u-bob'))[0]!;
  gw.clock.advance(11 * MIN);
  const security = await get(gw, bob, '/t/acme/account/security');
  const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(security.body)![1]!;
  const path = `/t/acme/account/security/factors/${encodeURIComponent(factor.id)}/remove`;
  const refused = await post(gw, bob, path, { csrf_token: csrf });
  t.equal(refused.status, 303);
  t.match(refused.headers.location, /^\/t\/acme\/login\/mfa\?max_age=600&rd=/, 'to the second step');
  t.equal((await gw.gw.deps.factors.listFactors('acme', 'u-bob')).length, 1, 'still there');
  t.equal((await stepUp(gw, bob, secret, 600)).status, 302);
  // The step-up rotated the session's secret, and with it the page's CSRF token.
  const fresh = await get(gw, bob, '/t/acme/account/security');
  const csrf2 = /<meta name="csrf-token" content="([^"]+)"/.exec(fresh.body)![1]!;
  t.not(csrf2, csrf, 'a new CSRF token');
  const removed = await post(gw, bob, path, { csrf_token: csrf2 });
  t.equal(removed.status, 303);
  t.match(removed.headers.location, /done=removed/);
  t.equal((await gw.gw.deps.factors.listFactors('acme', 'u-bob')).length, 0, 'removed');
  t.equal(await gw.gw.deps.factors.recoveryCodesLeft('acme', 'u-bob'), 0, 'and the recovery codes with the last');
  t.match(audits(gw, 'mfa_removed')[0], { tenant: 'acme', userId: 'u-bob', by: 'self' });
});

t.test('an older session without a second factor cannot add or remove factors once the user has one', async (t) => {
  const gw = await startTestGateway();
  t.teardown(() => gw.stop());
  const stolen = await signedIn(gw, 'bob');
  const owner = await signedIn(gw, 'bob');
  await enrolTotp(gw, owner);
  const factor = (await gw.gw.deps.factors.listFactors('acme', 'u-bob'))[0]!;
  const setup = await get(gw, stolen, '/t/acme/account/security/totp');
  t.equal(setup.status, 303, 'a second authenticator app is not offered');
  t.match(setup.headers.location, /error=totp-exists/);
  const security = await get(gw, stolen, '/t/acme/account/security');
  t.equal(security.status, 200, 'the page itself shows');
  const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(security.body)![1]!;
  const options = await request(gw.url, '/t/acme/account/security/webauthn/options', {
    method: 'POST',
    headers: { ...page(stolen), accept: 'application/json', 'x-csrf-token': csrf },
  });
  isMfaChallenge(t, options, 600, 'security key options');
  const remove = await post(gw, stolen, `/t/acme/account/security/factors/${encodeURIComponent(factor.id)}/remove`, {
    csrf_token: csrf,
  });
  t.equal(remove.status, 303);
  t.match(remove.headers.location, /^\/t\/acme\/login\/mfa\?/);
  const codes = await post(gw, stolen, '/t/acme/account/security/recovery-codes', { csrf_token: csrf });
  t.equal(codes.status, 303, 'new recovery codes: to the second step');
  t.match(codes.headers.location, /^\/t\/acme\/login\/mfa\?/);
  t.equal((await gw.gw.deps.factors.listFactors('acme', 'u-bob')).length, 1, 'the factor stays');
  t.equal(await gw.gw.deps.factors.recoveryCodesLeft('acme', 'u-bob'), 10, 'the codes stay');
});

t.test('a step-up never redirects off the tenant', async (t) => {
  const gw = await startTestGateway();
  t.teardown(() => gw.stop());
  const bob = await signedIn(gw, 'bob');
  const { secret } = await enrolTotp(gw, bob);
  gw.clock.advance(11 * MIN);
  for (const rd of ['http://evil.test/x', '//evil.test/x', 'javascript:alert(1)', '/\\evil.test']) {
    const form = await get(gw, bob, `/t/acme/login/mfa?max_age=600&rd=${encodeURIComponent(rd)}`);
    t.equal(form.status, 200);
    t.notMatch(form.body, /evil\.test|javascript:/, `${rd}: not in the page`);
    gw.clock.advance(30_000);
    const res = await post(gw, bob, '/t/acme/login/mfa', {
      csrf_token: formToken(form.body),
      rd,
      code: codeAt(secret, gw.clock.now()),
    });
    t.equal(res.status, 302, `${rd}: stepped up`);
    t.notMatch(String(res.headers.location), /evil\.test|javascript:/, `${rd}: stays on the tenant`);
    gw.clock.advance(11 * MIN);
  }
});

t.test('the code throttle: the 4th wrong code is 429, and then the right code is not checked', async (t) => {
  const gw = await startTestGateway({ settings: 'loginThrottle: { maxFailures: 3, window: 15m, lockout: 30m }' });
  t.teardown(() => gw.stop());
  const bob = await signedIn(gw, 'bob');
  const { secret } = await enrolTotp(gw, bob);
  gw.clock.advance(MIN);
  const { jar, csrf: first } = await pendingSignIn(gw, 'bob');
  const right = codeAt(secret, gw.clock.now());
  const wrong = right === '000000' ? '111111' : '000000';
  let csrf = first;
  for (let i = 1; i <= 3; i++) {
    const res = await post(gw, jar, '/t/acme/login/mfa', { csrf_token: csrf, code: wrong });
    t.equal(res.status, 401, `wrong code ${i}: 401`);
    t.equal(res.headers['x-auth-error-code'], 'ERR_GK_MFA_FAILED');
    csrf = formToken(res.body);
  }
  const fourth = await post(gw, jar, '/t/acme/login/mfa', { csrf_token: csrf, code: wrong });
  t.equal(fourth.status, 429, 'the 4th wrong code');
  t.equal(fourth.headers['x-auth-error-code'], 'ERR_GK_THROTTLED');
  t.ok(Number(fourth.headers['retry-after']) > 0, `Retry-After ${fourth.headers['retry-after']}`);
  const before = await gw.gw.deps.factors.getFactor(
    'acme',
    'u-bob',
    (await gw.gw.deps.factors.listFactors('acme', 'u-bob'))[0]!.id,
  );
  const rightRes = await post(gw, jar, '/t/acme/login/mfa', { csrf_token: formToken(fourth.body), code: right });
  t.equal(rightRes.status, 429, 'the right code while locked: 429');
  t.notOk(jar.get('gk_acme'), 'no session');
  const after = await gw.gw.deps.factors.getFactor('acme', 'u-bob', before!.id);
  t.same(after, before, 'the code was not checked (its step not used)');
  t.ok(
    audits(gw, 'mfa_failed').some((a) => a.reason === 'throttled'),
    'audited as throttled',
  );
});

t.test('one valid TOTP code raced in five pending sign-ins: exactly one session', async (t) => {
  const gw = await startTestGateway();
  t.teardown(() => gw.stop());
  const bob = await signedIn(gw, 'bob');
  const { secret } = await enrolTotp(gw, bob);
  gw.clock.advance(MIN);
  const pendings = [];
  for (let i = 0; i < 5; i++) pendings.push(await pendingSignIn(gw, 'bob'));
  const before = await sessionsOf(gw, 'u-bob');
  const code = codeAt(secret, gw.clock.now());
  const results = await Promise.all(
    pendings.map(({ jar, csrf }) => post(gw, jar, '/t/acme/login/mfa', { csrf_token: csrf, code })),
  );
  t.same(results.map((r) => r.status).sort(), [302, 401, 401, 401, 401], 'one second step passes');
  t.equal(pendings.filter((p) => p.jar.get('gk_acme')).length, 1, 'one session cookie');
  t.equal(await sessionsOf(gw, 'u-bob'), before + 1, 'one new session');
});

t.test('the pending sign-in cookie alone is not a session, and expires after 5 minutes', async (t) => {
  const gw = await startTestGateway();
  t.teardown(() => gw.stop());
  const bob = await signedIn(gw, 'bob');
  const { secret } = await enrolTotp(gw, bob);
  gw.clock.advance(MIN);
  const { jar, csrf } = await pendingSignIn(gw, 'bob', `http://${DASH}/reports`);
  t.ok(jar.get('gk_acme_mfa'), 'a pending sign-in cookie');
  t.notOk(jar.get('gk_acme'), 'no session cookie');
  const nav = await request(gw.url, '/reports', { headers: page(jar) });
  t.equal(nav.status, 302);
  t.match(nav.headers.location, /^\/t\/acme\/login\?/, 'a proxied page: to the login');
  const apiRes = await request(gw.url, '/reports', {
    headers: { host: DASH, accept: 'application/json', cookie: jar.header() },
  });
  t.equal(apiRes.status, 401);
  t.equal(apiRes.headers['x-auth-error-code'], 'ERR_GK_UNAUTHENTICATED');
  t.equal((await nginxAuth(gw, '/reports', { cookie: jar.header() })).status, 401, 'forward-auth: 401');
  t.equal((await api(gw, 'GET', '/api/v1/session', { jar })).status, 401, 'no Session JSON');
  t.equal((await api(gw, 'POST', '/api/v1/session/token', { jar })).status, 401, 'no access token');
  const asSession = `gk_acme=${jar.get('gk_acme_mfa')}`;
  t.equal(
    (await request(gw.url, '/reports', { headers: { host: DASH, accept: 'application/json', cookie: asSession } }))
      .status,
    401,
    'its value as a session cookie: nothing',
  );

  // Five minutes later the pending sign-in is gone: the right code starts nothing.
  gw.clock.advance(5 * MIN + 1000);
  const stale = await get(gw, jar, '/t/acme/login/mfa');
  t.equal(stale.status, 302);
  t.match(stale.headers.location, /^\/t\/acme\/login\?/, 'the second step page sends back to the login');
  const res = await post(gw, jar, '/t/acme/login/mfa', { csrf_token: csrf, code: codeAt(secret, gw.clock.now()) });
  t.equal(res.status, 303);
  t.match(res.headers.location, /^\/t\/acme\/login\?/);
  t.notOk(jar.get('gk_acme'), 'no session');
});

t.test('Session JSON and audit events', async (t) => {
  const gw = await startTestGateway();
  t.teardown(() => gw.stop());
  const bob = await signedIn(gw, 'bob');
  type S = { authMethod: string; amr: string[]; mfaVerified: boolean; mfaVerifiedAt: string | null; id: string };
  const one = (await api(gw, 'GET', '/api/v1/session', { jar: bob })).json<{ session: S }>().session;
  t.match(one, { authMethod: 'password', amr: ['pwd'], mfaVerified: false, mfaVerifiedAt: null });
  const enrolledAt = gw.clock.now();
  const { secret, codes, res } = await enrolTotp(gw, bob);
  const pending = /name="pending" value="([^"]*)"/.exec(res.body)?.[1];
  const afterEnrol = (await api(gw, 'GET', '/api/v1/session', { jar: bob })).json<{ session: S }>().session;
  t.match(afterEnrol, {
    authMethod: 'password',
    amr: ['pwd', 'otp', 'mfa'],
    mfaVerified: true,
    mfaVerifiedAt: new Date(enrolledAt).toISOString(),
  });

  gw.clock.advance(MIN);
  const { jar, csrf } = await pendingSignIn(gw, 'bob');
  const wrongCode = codeAt(secret, gw.clock.now() + 10 * MIN);
  const failed = await post(gw, jar, '/t/acme/login/mfa', { csrf_token: csrf, code: wrongCode });
  t.equal(failed.status, 401);
  const goodCode = codeAt(secret, gw.clock.now());
  const signedAt = gw.clock.now();
  const ok = await post(gw, jar, '/t/acme/login/mfa', { csrf_token: formToken(failed.body), code: goodCode });
  t.equal(ok.status, 302);
  const mine = (await api(gw, 'GET', '/api/v1/me/sessions', { jar })).json<{ sessions: (S & { current: boolean })[] }>()
    .sessions;
  const current = mine.find((s) => s.current)!;
  t.match(current, {
    authMethod: 'password',
    amr: ['pwd', 'otp', 'mfa'],
    mfaVerified: true,
    mfaVerifiedAt: new Date(signedAt).toISOString(),
  });
  const other = mine.find((s) => !s.current)!;
  t.equal(other.mfaVerified, true, "the first session's enrolment counted");

  const enrolled = audits(gw, 'mfa_enrolled');
  t.ok(
    enrolled.some((a) => a.method === 'totp' && a.tenant === 'acme' && a.userId === 'u-bob'),
    'mfa_enrolled totp',
  );
  t.ok(
    enrolled.some((a) => a.method === 'recovery_codes'),
    'mfa_enrolled recovery codes',
  );
  t.match(audits(gw, 'mfa_failed'), [{ tenant: 'acme', userId: 'u-bob', method: 'totp', reason: 'rejected' }]);
  t.match(audits(gw, 'mfa_succeeded'), [{ tenant: 'acme', userId: 'u-bob', method: 'totp' }]);
  const all = gw.logs.join('\n');
  for (const [what, s] of [
    ['the secret', secret],
    ['the good code', goodCode],
    ['the wrong code', wrongCode],
    ...codes.map((c, i) => [`recovery code ${i}`, c] as const),
    ...(pending ? [['the sealed setup', pending] as const] : []),
  ] as const)
    t.notOk(all.includes(s), `the logs never carry ${what}`);
  t.notOk(/"code":"\d{6}"/.test(all), 'no six-digit code field');
});

t.test('configuration errors name their paths', async (t) => {
  const yaml = (settings: string, route = '{ path: /**, require: authenticated }', idp = '') => `
server:
  publicUrl: https://gw.acme.test
tenants:
  acme:
    settings:
${settings}
${idp}    apps:
      - name: web
        hosts: [web.acme.test]
        upstream: "http://127.0.0.1:3000"
        routes:
          - ${route}
`;
  function paths(text: string): string[] {
    try {
      loadConfigText(text, { env: {} });
    } catch (e) {
      if (e instanceof ConfigError) return e.errors.map((x) => x.path);
      throw e;
    }
    return [];
  }
  t.same(paths(yaml('      mfa: { rpId: "acme.test", totp: false }')), [], 'a valid mfa block');
  t.same(paths(yaml('      mfa: { rpId: "bad host!" }')), ['tenants.acme.settings.mfa.rpId']);
  t.same(
    paths(yaml('      mfa: { rpId: "other.test" }')),
    ['tenants.acme.settings.mfa.rpId'],
    'an RP ID not covering the host',
  );
  t.same(paths(yaml('      mfa: { totp: "yes" }')), ['tenants.acme.settings.mfa.totp']);
  t.same(paths(yaml('      idleTimeout: 30m', '{ path: /x/**, require: { mfa: "yes" } }')), [
    'tenants.acme.apps[0].routes[0].require.mfa',
  ]);
  const idp = (id: string) =>
    `    identityProviders:\n      - { id: ${id}, displayName: X, issuer: "https://op.test", clientId: a, clientSecret: b }\n`;
  t.same(paths(yaml('      idleTimeout: 30m', undefined, idp('corp'))), [], 'a valid provider');
  t.same(paths(yaml('      idleTimeout: 30m', undefined, idp('mfa'))), ['tenants.acme.identityProviders[0].id']);
  t.same(paths(yaml('      idleTimeout: 30m', undefined, idp('passkey'))), ['tenants.acme.identityProviders[0].id']);
});
