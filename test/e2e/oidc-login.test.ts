// Sign-in through a real OpenID Provider (SPEC §12), request by request as a browser does:
// the provider button, the OP's own login and consent forms, the callback; the user
// `corp:{sub}` with its mapped profile and roles at the upstream and in the admin API;
// allowedRoles; the IdP's refusal; step-up (prompt=login, max_age, auth_time); the IdP
// down while the password login goes on.
import t from 'tap';
import { startTestGateway, PASSWORDS, SECRETS } from '../helpers/gateway.js';
import { CookieJar, request, type Response } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { hasCode } from '../helpers/error-code.js';
import { callbackAt, corpProviderYaml, DASH, oidcSignIn, startOidc, type OidcSetup } from '../helpers/oidc.js';
import { OP_ACCOUNTS, OP_CLIENT, signInAtOp, startOp } from '../helpers/op.js';
import { freePort } from '../helpers/net.js';

const MIN = 60_000;

const s = await startOidc();
t.teardown(s.stop);

function app(
  setup: Pick<OidcSetup, 'g' | 'appHost'>,
  path: string,
  jar: CookieJar,
  accept = 'application/json',
): Promise<Response> {
  return request(setup.g.url, path, { headers: { host: setup.appHost, accept, cookie: jar.header() } });
}

async function adminToken(setup: Pick<OidcSetup, 'g'>): Promise<string> {
  const res = await request(setup.g.url, '/t/acme/api/v1/oauth/token', {
    method: 'POST',
    headers: {
      host: DASH,
      authorization: `Basic ${Buffer.from(`billing-service:${SECRETS.billing}`).toString('base64')}`,
    },
    form: { grant_type: 'client_credentials' },
  });
  return res.json<{ access_token: string }>().access_token;
}

async function adminGet<T>(setup: Pick<OidcSetup, 'g'>, path: string): Promise<T> {
  const res = await request(setup.g.url, `/t/acme/api/v1${path}`, {
    headers: { host: DASH, authorization: `Bearer ${await adminToken(setup)}` },
  });
  if (res.status !== 200) throw new Error(`admin ${path}: ${res.status} ${res.body}`);
  return res.json<T>();
}

async function sessionsOf(setup: Pick<OidcSetup, 'g'>, userId: string): Promise<number> {
  return (await setup.g.gw.deps.store.listUserSessions('acme', userId, setup.g.clock.now())).length;
}

t.test('the login page shows the provider button beside the password form', async (t) => {
  const page = await request(s.g.url, `/t/acme/login?rd=${encodeURIComponent(`http://${s.appHost}/reports`)}`, {
    headers: { host: s.appHost, accept: 'text/html' },
  });
  t.equal(page.status, 200);
  const href = /<a class="btn btn-secondary" href="([^"]+)">Sign in with Corp SSO<\/a>/.exec(page.body)?.[1];
  t.ok(href, 'a "Sign in with Corp SSO" button');
  t.equal(
    href?.replace(/&amp;/g, '&'),
    `/t/acme/login/corp?rd=${encodeURIComponent(`http://${s.appHost}/reports`)}`,
    'it carries rd',
  );
  t.match(page.body, /name="password"/, 'and the password form');
});

t.test('the button starts code + PKCE S256 with state and nonce, in a short-lived HttpOnly flow cookie', async (t) => {
  const start = await request(s.g.url, '/t/acme/login/corp?rd=/reports', {
    headers: { host: s.appHost, accept: 'text/html' },
  });
  t.equal(start.status, 302);
  const to = new URL(String(start.headers.location));
  t.equal(`${to.origin}${to.pathname}`, `${s.op.issuer}/auth`, "to the OP's authorization endpoint (from discovery)");
  const q = to.searchParams;
  t.equal(q.get('response_type'), 'code');
  t.equal(q.get('client_id'), OP_CLIENT.id);
  t.equal(q.get('code_challenge_method'), 'S256');
  t.match(q.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/);
  t.match(q.get('state'), /^[A-Za-z0-9_-]{43}$/);
  t.match(q.get('nonce'), /^[A-Za-z0-9_-]{43}$/);
  t.equal(q.get('scope'), 'openid email profile');
  t.equal(
    q.get('redirect_uri'),
    `http://${s.appHost}/t/acme/oidc/corp/callback`,
    'the callback on the host the sign-in started on',
  );
  const flow = start.setCookies.find((c) => c.startsWith('gk_acme_oidc='));
  t.ok(flow, 'a flow cookie');
  t.match(flow, /HttpOnly/i);
  t.match(flow, /SameSite=Lax/i);
  t.match(flow, /Max-Age=600/);
  t.notMatch(flow, /Domain=/i, 'host-only');
  t.notMatch(
    start.body + String(start.headers.location),
    /code_verifier|corp-client-secret/,
    'neither the verifier nor the secret leave the gateway',
  );
  // A sign-in left unfinished: its cookie rides along to the app host but never reaches the app.
  const pub = await request(s.g.url, '/public/page', {
    headers: { host: s.appHost, accept: 'application/json', cookie: `${flow!.split(';')[0]}; app=1` },
  });
  t.equal(pub.status, 200);
  t.equal(
    pub.json<{ headers: Record<string, string> }>().headers.cookie,
    'app=1',
    'the flow cookie is removed from what the upstream sees',
  );
});

t.test('carol signs in at the OP: her session, profile and mapped roles reach the upstream', async (t) => {
  const r = await oidcSignIn(s, 'carol');
  t.ok(r.sawLogin, "the OP's own login form was used");
  t.equal(r.res.status, 302, r.res.body.slice(0, 200));
  t.equal(r.res.headers.location, `http://${s.appHost}/reports`, 'to rd');
  t.ok(r.jar.get('gk_acme'), 'a session cookie');
  t.notOk(r.jar.get('gk_acme_oidc'), 'the flow cookie is cleared');

  const res = await app(s, '/reports', r.jar);
  t.equal(res.status, 200);
  const h = res.json<{ headers: Record<string, string> }>().headers;
  t.equal(h['x-auth-user'], 'corp:carol', 'the user is {provider}:{sub}');
  t.equal(h['x-auth-email'], 'carol@corp.test');
  t.equal(h['x-auth-name'], 'Carol Corp');
  t.equal(h['x-auth-roles'], 'admin,staff', 'corp-admins → admin by roleMap; unmapped groups kept');
  t.equal(h['x-auth-tenant'], 'acme');
  t.equal(h['x-auth-session'], r.jar.get('gk_acme')!.split('.')[0]);

  const admin = await app(s, '/admin/panel', r.jar);
  t.equal(admin.status, 200, 'the mapped admin role opens /admin/** (fresh authentication)');

  const users = (await adminGet<{ users: Record<string, unknown>[] }>(s, '/users')).users;
  const carol = users.find((u) => u.id === 'corp:carol');
  t.match(
    carol,
    {
      id: 'corp:carol',
      username: 'carol',
      email: 'carol@corp.test',
      name: 'Carol Corp',
      roles: ['admin', 'staff'],
      activeSessions: 1,
    },
    'in the admin users list',
  );
  t.ok(
    users.some((u) => u.id === 'u-alice'),
    'beside the users file',
  );
  const sessions = (
    await adminGet<{ sessions: Record<string, unknown>[] }>(s, `/users/${encodeURIComponent('corp:carol')}/sessions`)
  ).sessions;
  t.equal(sessions.length, 1);
  t.match(
    sessions[0],
    { userId: 'corp:carol', kind: 'browser', authMethod: 'oidc:corp' },
    'its session, authMethod oidc:corp',
  );

  const me = await request(s.g.url, '/t/acme/api/v1/session', { headers: { host: s.appHost, cookie: r.jar.header() } });
  t.match(me.json(), { session: { userId: 'corp:carol', authMethod: 'oidc:corp' } });
  t.notOk(
    s.g.logs.some((l) => l.includes(OP_CLIENT.secret)),
    'the client secret never appears in the logs',
  );

  const revoke = await request(
    s.g.url,
    `/t/acme/api/v1/users/${encodeURIComponent('corp:carol')}/sessions/revoke-all`,
    {
      method: 'POST',
      headers: { host: DASH, authorization: `Bearer ${await adminToken(s)}` },
    },
  );
  t.same(revoke.json(), { revoked: 1 }, "the admin's revoke-all works on an IdP user");
  t.equal((await app(s, '/reports', r.jar)).status, 401);
});

t.test('a second sign-in rides the SSO session at the OP (no password) and replaces the browser session', async (t) => {
  const first = await oidcSignIn(s, 'carol');
  const old = first.jar.header();
  const again = await oidcSignIn(s, 'carol', { jar: first.jar, opJar: first.opJar });
  t.notOk(again.sawLogin, 'the OP did not ask again');
  t.equal(again.res.status, 302);
  t.not(again.jar.header(), old, 'a new session');
  t.equal(
    (await request(s.g.url, '/reports', { headers: { host: s.appHost, accept: 'application/json', cookie: old } }))
      .status,
    401,
    'the old one ended',
  );
});

t.test('starting at the gateway host comes back there; an rd elsewhere falls back to /', async (t) => {
  const host = new URL(s.publicUrl).host;
  const r = await oidcSignIn(s, 'dave', { host, query: { rd: 'https://evil.test/steal' } });
  t.equal(r.callback.host, host);
  t.equal(r.res.status, 302);
  t.equal(r.res.headers.location, '/', 'rd is checked like the password login');
});

t.test('the user cancels at the OP: error=access_denied is a clear 400 page, no session', async (t) => {
  const before = await sessionsOf(s, 'corp:dave');
  const r = await oidcSignIn(s, 'dave', { cancel: true });
  t.equal(r.callback.searchParams.get('error'), 'access_denied', 'the OP answered access_denied');
  t.equal(r.res.status, 400);
  t.match(r.res.headers['content-type'], /text\/html/);
  t.match(r.res.body, /Sign-in refused/);
  hasCode(t, r.res, 'ERR_GK_IDP_REFUSED');
  t.match(r.res.body, /Corp SSO did not sign you in \(access_denied\)/);
  t.notOk(r.jar.get('gk_acme'), 'no session cookie');
  t.notOk(r.jar.get('gk_acme_oidc'), 'the flow cookie is cleared');
  t.equal(await sessionsOf(s, 'corp:dave'), before, 'no session');
});

t.test('allowedRoles: dave (no group) gets 403 and no session; carol (admin by roleMap) gets in', async (t) => {
  const only = await startOidc({ providerYaml: 'allowedRoles: [admin]' });
  t.teardown(only.stop);
  const dave = await oidcSignIn(only, 'dave');
  t.equal(dave.res.status, 403);
  t.match(dave.res.body, /Access denied/);
  hasCode(t, dave.res, 'ERR_GK_IDP_NOT_ALLOWED');
  t.notOk(dave.jar.get('gk_acme'), 'no session cookie');
  t.equal(await sessionsOf(only, 'corp:dave'), 0, 'no session in the store');
  const carol = await oidcSignIn(only, 'carol');
  t.equal(carol.res.status, 302);
  t.equal((await app(only, '/reports', carol.jar)).status, 200);
});

t.test(
  'step-up: a freshAuth route sends the OIDC user back through the OP with prompt=login and max_age',
  async (t) => {
    // The gateway's clock starts 20 minutes behind the OP's (real) one, so letting 16 minutes
    // pass at the gateway leaves it behind the OP: the OP's new auth_time is after the flow began.
    const up = await startOidc({ gateway: { clockStart: Date.now() - 20 * MIN } });
    t.teardown(up.stop);
    const r = await oidcSignIn(up, 'carol');
    t.equal((await app(up, '/admin/panel', r.jar)).status, 200, 'fresh at first');
    up.g.clock.advance(16 * MIN);

    const stale = await app(up, '/admin/panel', r.jar, 'text/html');
    t.equal(stale.status, 302);
    const loginPath = String(stale.headers.location);
    t.match(loginPath, /^\/t\/acme\/login\?.*prompt=login/);
    t.match(loginPath, /max_age=900/);
    const page = await request(up.g.url, loginPath, {
      headers: { host: up.appHost, accept: 'text/html', cookie: r.jar.header() },
    });
    t.equal(page.status, 200);
    t.notMatch(page.body, /name="password"/, 'no password form for a user of an IdP');
    const button = /href="(\/t\/acme\/login\/corp\?[^"]+)"/.exec(page.body)?.[1]?.replace(/&amp;/g, '&');
    t.ok(button, 'only the Corp SSO button');
    const bq = new URL(button!, 'http://x').searchParams;
    t.equal(bq.get('prompt'), 'login');
    t.equal(bq.get('max_age'), '900');

    const start = await request(up.g.url, button!, {
      headers: { host: up.appHost, accept: 'text/html', cookie: r.jar.header() },
    });
    r.jar.take(start);
    const authz = new URL(String(start.headers.location)).searchParams;
    t.equal(authz.get('prompt'), 'login', 'prompt=login is passed to the IdP');
    t.equal(authz.get('max_age'), '900', 'and max_age');
    const sid = r.jar.get('gk_acme')!.split('.')[0];
    const old = r.jar.header();

    // The OP has an SSO session, yet prompt=login makes it ask for the password again.
    const back = await signInAtOp(String(start.headers.location), 'carol', r.opJar);
    t.ok(back.sawLogin, 'the OP asked for the password again');
    const done = await callbackAt(up.g, back.callback, r.jar);
    t.equal(done.status, 302, done.body.slice(0, 200));
    t.equal(r.jar.get('gk_acme')!.split('.')[0], sid, 'the same session, re-authenticated');
    t.not(r.jar.header(), old, 'with a new cookie secret');
    t.equal((await app(up, '/admin/panel', r.jar)).status, 200, 'the route opens');
    t.equal(
      (
        await request(up.g.url, '/admin/panel', {
          headers: { host: up.appHost, accept: 'application/json', cookie: old },
        })
      ).status,
      401,
      'the old cookie value is dead',
    );

    // auth_time older than the flow (an IdP that skipped the password): refused although within max_age.
    up.g.clock.advance(16 * MIN);
    const start2 = await request(up.g.url, button!, {
      headers: { host: up.appHost, accept: 'text/html', cookie: r.jar.header() },
    });
    r.jar.take(start2);
    up.op.tamperTokenResponse = async (body) => {
      const [, payload] = String(body.id_token).split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
      return { ...body, id_token: await up.op.sign({ ...claims, auth_time: Math.floor(Date.now() / 1000) - 600 }) };
    };
    t.teardown(() => void (up.op.tamperTokenResponse = null));
    const back2 = await signInAtOp(String(start2.headers.location), 'carol', r.opJar);
    const refused = await callbackAt(up.g, back2.callback, r.jar);
    t.equal(refused.status, 400);
    t.match(refused.body, /did not ask for your password again/);
    hasCode(t, refused, 'ERR_GK_IDP_BAD_RESPONSE');
    t.equal((await app(up, '/admin/panel', r.jar)).status, 401, 'still not fresh: no re-authentication happened');
  },
);

t.test(
  'the IdP down: its button answers 503, password login goes on; discovery is retried at most every 10 s',
  async (t) => {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const op = await startOp({ gatewayOrigins: [publicUrl, `http://${DASH}:${port}`] });
    await op.stop();
    const g = await startTestGateway({
      port,
      publicUrl,
      clockStart: Date.now(),
      identityProviders: corpProviderYaml(op.issuer),
    });
    t.teardown(g.stop);
    const appHost = `${DASH}:${port}`;

    const button = (): Promise<Response> =>
      request(g.url, '/t/acme/login/corp?rd=/reports', { headers: { host: appHost, accept: 'text/html' } });
    const down = await button();
    t.equal(down.status, 503);
    t.equal(down.headers['retry-after'], '30');
    t.match(down.body, /Corp SSO cannot be reached right now/);
    hasCode(t, down, 'ERR_GK_IDP_UNAVAILABLE');
    const page = await request(g.url, '/t/acme/login', { headers: { host: appHost, accept: 'text/html' } });
    t.equal(page.status, 200, 'the login page still renders');
    t.match(page.body, /Sign in with Corp SSO/);
    const alice = await login(g.url, { host: appHost, username: 'alice', password: PASSWORDS.alice });
    t.equal(alice.res.status, 302, 'alice signs in with her password');
    t.equal(
      (
        await request(g.url, '/reports', {
          headers: { host: appHost, accept: 'application/json', cookie: alice.jar.header() },
        })
      ).status,
      200,
    );
    const bcl = await request(g.url, '/t/acme/oidc/corp/backchannel-logout', {
      method: 'POST',
      form: { logout_token: await op.logoutToken({ sub: 'carol' }) },
      headers: { host: appHost },
    });
    t.equal(bcl.status, 503, 'a logout token cannot be checked without the IdP keys: 503, not a crash');
    t.equal(bcl.headers['retry-after'], '30');
    hasCode(t, bcl, 'ERR_GK_IDP_UNAVAILABLE', 'back-channel logout');

    await op.restart();
    t.equal((await button()).status, 503, 'back up, but within 10 s of the failure: not asked again');
    g.clock.advance(10_000);
    const up = await button();
    t.equal(up.status, 302, 'after 10 s the button works');
    t.match(String(up.headers.location), new RegExp(`^${op.issuer}/auth\\?`));

    // Down again in the middle of a sign-in: the code cannot be redeemed; 503, no session.
    const jar = new CookieJar().take(up);
    const { callback } = await signInAtOp(String(up.headers.location), 'carol');
    await op.stop();
    const res = await callbackAt(g, callback, jar);
    t.equal(res.status, 503);
    t.match(res.body, /cannot be reached/);
    hasCode(t, res, 'ERR_GK_IDP_UNAVAILABLE', 'callback');
    t.notOk(jar.get('gk_acme'));
    t.equal((await g.gw.deps.store.listUserSessions('acme', 'corp:carol', g.clock.now())).length, 0);
    t.equal(g.gw.deps.idps.get('acme', 'corp')?.ready, true, 'discovery stays cached');
  },
);

t.test('a step-up takes the roles of this login: a group removed at the IdP is gone from the session', async (t) => {
  const accounts = { carol: { ...OP_ACCOUNTS.carol, groups: ['corp-admins'] } };
  const changing = await startOidc({ op: { accounts } });
  t.teardown(changing.stop);
  const r = await oidcSignIn(changing, 'carol');
  t.equal((await app(changing, '/admin/panel', r.jar)).status, 200, 'admin by her group');
  accounts.carol.groups = [];
  const again = await oidcSignIn(changing, 'carol', {
    jar: r.jar,
    opJar: r.opJar,
    query: { prompt: 'login', rd: '/reports' },
  });
  t.ok(again.sawLogin);
  t.equal(again.res.status, 302);
  const res = await app(changing, '/admin/panel', r.jar);
  t.equal(res.status, 403, 'no longer admin');
  t.equal((await app(changing, '/reports', r.jar)).status, 200, 'still signed in');
  t.match(
    (await adminGet<{ users: Record<string, unknown>[] }>(changing, '/users')).users.find((u) => u.id === 'corp:carol'),
    { roles: [] },
  );
});
