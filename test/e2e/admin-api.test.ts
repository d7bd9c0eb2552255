// The admin API of SPEC §5 over real HTTP, on a Redis store: every endpoint with its admin
// (alice's cookie + CSRF, alice's bearer, billing-service's client token), non-admin (bob's
// cookie, bob's bearer, other-client's token), other-tenant (globex, which also has a user
// `u-alice`) and no-credential cases; the Session JSON; revoke one; revoke-all killing
// cookie, access token and refresh token at once on two instances; CSRF; auth-settings
// (validation, persistence over Redis, audit, effect on the next login).
import { createHash, randomBytes } from 'node:crypto';
import t, { type Test } from 'tap';
import { CookieJar, request, type Response } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { startRedis } from '../helpers/redis.js';
import { startTestGateway, PASSWORDS, SECRETS, type TestGateway } from '../helpers/gateway.js';
import { hasCode } from '../helpers/error-code.js';

const DASH = 'dashboard.acme.test';
const GLOBEX = 'portal.globex.test';
const OTHER_REDIRECT = 'http://other.acme.test/cb';
const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';
const basic = (id: string, secret: string): string => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

const redis = await startRedis();
t.teardown(() => redis.stop());
const storeYaml = `store:\n  redis: ${redis.url}/0`;
// Instance A answers the API; instance B shares the Redis (revocation and settings everywhere).
const g = await startTestGateway({ storeYaml });
t.teardown(g.stop);
const b = await startTestGateway({ storeYaml });
t.teardown(b.stop);

interface Signed {
  jar: CookieJar;
  cookie: string;
  csrf: string;
  sid: string;
}

type H = Record<string, string>;

async function signIn(
  user: 'alice' | 'bob',
  opts: { ua?: string; slug?: string; host?: string; password?: string } = {},
): Promise<Signed> {
  const slug = opts.slug ?? 'acme';
  const host = opts.host ?? DASH;
  const { jar, res } = await login(g.url, {
    username: user,
    password: opts.password ?? PASSWORDS[user],
    slug,
    host,
    headers: { 'user-agent': opts.ua ?? CHROME },
  });
  if (res.status !== 302 || !jar.get(`gk_${slug}`)) throw new Error(`login of ${user}@${slug}: ${res.status}`);
  const s = await request(g.url, `/t/${slug}/api/v1/session`, { headers: { host, cookie: jar.header() } });
  if (s.status !== 200) throw new Error(`session api: ${s.status}`);
  const body = s.json<{ csrfToken: string; session: { id: string } }>();
  return { jar, cookie: jar.header(), csrf: body.csrfToken, sid: body.session.id };
}

/** POST /api/v1/session/token: an access token bound to the login session. */
async function userToken(s: Signed, slug = 'acme', host = DASH): Promise<string> {
  const res = await request(g.url, `/t/${slug}/api/v1/session/token`, {
    method: 'POST',
    headers: { host, cookie: s.cookie, 'x-csrf-token': s.csrf },
  });
  if (res.status !== 200) throw new Error(`session/token: ${res.status} ${res.body}`);
  return res.json<{ access_token: string }>().access_token;
}

async function clientToken(id: string, secret: string): Promise<string> {
  const res = await request(g.url, '/t/acme/api/v1/oauth/token', {
    method: 'POST',
    headers: { host: DASH, authorization: basic(id, secret) },
    form: { grant_type: 'client_credentials' },
  });
  if (res.status !== 200) throw new Error(`client_credentials for ${id}: ${res.status} ${res.body}`);
  return res.json<{ access_token: string }>().access_token;
}

/** Authorization code + PKCE through other-client on an existing login session: a `kind: token` session. */
async function codeFlow(
  jar: CookieJar,
  scope?: string,
): Promise<{ access_token: string; refresh_token: string; scope?: string }> {
  const verifier = randomBytes(32).toString('base64url');
  const q = new URLSearchParams({
    client_id: 'other-client',
    redirect_uri: OTHER_REDIRECT,
    response_type: 'code',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...(scope ? { scope } : {}),
  });
  const auth = await request(g.url, `/t/acme/oauth/authorize?${q}`, {
    headers: { host: DASH, accept: 'text/html', cookie: jar.header() },
  });
  const code = new URL(String(auth.headers.location)).searchParams.get('code');
  if (!code) throw new Error(`authorize: ${auth.status} ${auth.headers.location}`);
  const res = await request(g.url, '/t/acme/api/v1/oauth/token', {
    method: 'POST',
    headers: { host: DASH, authorization: basic('other-client', SECRETS.other) },
    form: { grant_type: 'authorization_code', code, redirect_uri: OTHER_REDIRECT, code_verifier: verifier },
  });
  if (res.status !== 200) throw new Error(`code exchange: ${res.status} ${res.body}`);
  return res.json();
}

function refresh(gw: TestGateway, rt: string): Promise<Response> {
  return request(gw.url, '/t/acme/api/v1/oauth/token', {
    method: 'POST',
    headers: { host: DASH, authorization: basic('other-client', SECRETS.other) },
    form: { grant_type: 'refresh_token', refresh_token: rt },
  });
}

function api(
  method: string,
  path: string,
  headers: H = {},
  body?: unknown,
  gw: TestGateway = g,
  slug = 'acme',
  host = DASH,
): Promise<Response> {
  const h: H = { host, accept: 'application/json', ...headers };
  if (body !== undefined) h['content-type'] = 'application/json';
  return request(gw.url, `/t/${slug}/api/v1${path}`, {
    method,
    headers: h,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

const cookieOf = (s: Signed): H => ({ cookie: s.cookie, 'x-csrf-token': s.csrf });
const bearer = (token: string): H => ({ authorization: `Bearer ${token}` });

/** What the app says to a cookie or a bearer token (200 alive, 401 dead). */
async function atApp(headers: H, gw: TestGateway = g): Promise<number> {
  return (await request(gw.url, '/reports', { headers: { host: DASH, accept: 'application/json', ...headers } }))
    .status;
}

async function storeIds(userId: string, slug = 'acme'): Promise<string[]> {
  return (await g.gw.deps.store.listUserSessions(slug, userId, g.clock.now())).map((s) => s.id).sort();
}

function audits(gw: TestGateway, event: string): Record<string, unknown>[] {
  return gw.logs.flatMap((l) => {
    const o = JSON.parse(l) as Record<string, unknown>;
    return o.audit === event ? [o] : [];
  });
}

interface Creds {
  admins: { name: string; headers: H }[];
  nonAdmins: { name: string; headers: H }[];
  otherTenant: { name: string; headers: H }[];
}

/** Fresh credentials of every kind (sessions of alice and bob, tokens). */
async function credentials(): Promise<Creds> {
  const alice = await signIn('alice');
  const bob = await signIn('bob');
  const gAlice = await signIn('alice', { slug: 'globex', host: GLOBEX, password: PASSWORDS.eve });
  return {
    admins: [
      { name: "alice's cookie + X-CSRF-Token", headers: cookieOf(alice) },
      { name: "alice's bearer token", headers: bearer(await userToken(alice)) },
      {
        name: "billing-service's client token (sessions:admin)",
        headers: bearer(await clientToken('billing-service', SECRETS.billing)),
      },
    ],
    nonAdmins: [
      { name: "bob's cookie + X-CSRF-Token", headers: cookieOf(bob) },
      { name: "bob's bearer token", headers: bearer(await userToken(bob)) },
      {
        name: "other-client's client token (no sessions:admin)",
        headers: bearer(await clientToken('other-client', SECRETS.other)),
      },
    ],
    otherTenant: [
      { name: "globex alice's bearer token", headers: bearer(await userToken(gAlice, 'globex', GLOBEX)) },
      { name: "globex alice's cookie", headers: cookieOf(gAlice) },
    ],
  };
}

const SESSION_KEYS = [
  'id',
  'kind',
  'userId',
  'clientId',
  'ipAddress',
  'userAgent',
  'device',
  'location',
  'authMethod',
  'amr',
  'mfaVerified',
  'mfaVerifiedAt',
  'createdAt',
  'lastActiveAt',
  'expiresAt',
  'idleExpiresAt',
  'authTime',
  'rememberMe',
];

function assertUnauthenticated(t: Test, res: Response, what: string): void {
  t.equal(res.status, 401, `${what}: 401`);
  hasCode(t, res, 'ERR_GK_UNAUTHENTICATED', what);
  t.match(String(res.headers['www-authenticate']), /^Bearer realm="acme"/, `${what}: WWW-Authenticate`);
}

t.test('read endpoints: admin 200, non-admin 403, other tenant and no credential 401', async (t) => {
  const c = await credentials();
  for (const path of ['/users', '/users/u-bob/sessions', '/configuration/auth-settings']) {
    for (const a of c.admins) t.equal((await api('GET', path, a.headers)).status, 200, `GET ${path} as ${a.name}`);
    for (const n of c.nonAdmins) {
      const res = await api('GET', path, n.headers);
      t.equal(res.status, 403, `GET ${path} as ${n.name}: 403`);
      hasCode(t, res, 'ERR_GK_FORBIDDEN', `GET ${path} as ${n.name}`);
      t.notOk(res.body.includes('u-alice'), `GET ${path} as ${n.name}: no data`);
    }
    for (const o of c.otherTenant)
      assertUnauthenticated(t, await api('GET', path, o.headers), `GET ${path} with ${o.name}`);
    assertUnauthenticated(t, await api('GET', path), `GET ${path} without credentials`);
    assertUnauthenticated(
      t,
      await api('GET', path, { authorization: 'Bearer not-a-jwt' }),
      `GET ${path} with a garbage bearer`,
    );
  }
});

t.test('an admin of acme is nobody at globex; globex alice is not an admin there either', async (t) => {
  const c = await credentials();
  const aliceToken = c.admins[1]!.headers;
  const res = await api('GET', '/users', aliceToken, undefined, g, 'globex', GLOBEX);
  t.equal(res.status, 401, "acme alice's token at globex");
  hasCode(t, res, 'ERR_GK_UNAUTHENTICATED');
  const gAliceCookie = c.otherTenant[1]!.headers;
  const own = await api('GET', '/users', gAliceCookie, undefined, g, 'globex', GLOBEX);
  t.equal(own.status, 403, "globex alice (no admin role) at globex's admin API");
  hasCode(t, own, 'ERR_GK_FORBIDDEN');
  const ownSessions = await api(
    'GET',
    '/users/u-alice/sessions',
    c.otherTenant[0]!.headers,
    undefined,
    g,
    'globex',
    GLOBEX,
  );
  t.equal(ownSessions.status, 403, "globex alice's bearer at globex's admin API");
});

t.test('write endpoints: non-admin 403, other tenant and no credential 401, and nothing changes', async (t) => {
  const c = await credentials();
  const target = await signIn('bob');
  const before = (await api('GET', '/configuration/auth-settings', c.admins[2]!.headers)).json();
  const refused = [
    ...c.nonAdmins.map((n) => ({ ...n, status: 403 })),
    ...c.otherTenant.map((o) => ({ ...o, status: 401 })),
    { name: 'no credential', headers: {}, status: 401 },
  ];
  for (const r of refused) {
    const del = await api('DELETE', `/users/u-bob/sessions/${target.sid}`, r.headers);
    t.equal(del.status, r.status, `DELETE one as ${r.name}`);
    const all = await api('POST', '/users/u-bob/sessions/revoke-all', r.headers);
    t.equal(all.status, r.status, `revoke-all as ${r.name}`);
    const patch = await api('PATCH', '/configuration/auth-settings', r.headers, {
      maxConcurrentSessions: 1,
      ipBinding: 'exact',
    });
    t.equal(patch.status, r.status, `PATCH auth-settings as ${r.name}`);
    if (r.status === 401) t.match(String(del.headers['www-authenticate']), /^Bearer realm="acme"/);
  }
  t.equal(await atApp({ cookie: target.cookie }), 200, "bob's target session is alive");
  t.ok((await storeIds('u-bob')).includes(target.sid), 'and still in the store');
  t.same((await api('GET', '/configuration/auth-settings', c.admins[2]!.headers)).json(), before, 'settings unchanged');
  t.equal(audits(g, 'settings_changed').length, 0, 'no settings_changed audit');
});

t.test('write endpoints: every admin credential may use them', async (t) => {
  const c = await credentials();
  for (const a of c.admins) {
    const one = await signIn('bob');
    const del = await api('DELETE', `/users/u-bob/sessions/${one.sid}`, a.headers);
    t.equal(del.status, 204, `DELETE one as ${a.name}`);
    t.equal(await atApp({ cookie: one.cookie }), 401, 'that session is dead');
    const patch = await api('PATCH', '/configuration/auth-settings', a.headers, {});
    t.equal(patch.status, 200, `PATCH auth-settings ({}) as ${a.name}`);
  }
  // revoke-all of bob kills bob's credentials; alice's admin credentials stay.
  for (const a of c.admins) {
    await signIn('bob');
    const all = await api('POST', '/users/u-bob/sessions/revoke-all', a.headers);
    t.equal(all.status, 200, `revoke-all as ${a.name}`);
    t.ok(all.json<{ revoked: number }>().revoked >= 1, 'revoked something');
    t.same(await storeIds('u-bob'), [], 'bob has no sessions left');
  }
});

t.test('GET /users and the Session JSON (SPEC §5)', async (t) => {
  const admin = bearer(await clientToken('billing-service', SECRETS.billing));
  await api('POST', '/users/u-bob/sessions/revoke-all', admin);
  const createdAt = g.clock.now();
  const desk = await signIn('bob', { ua: CHROME });
  g.clock.advance(1000);
  const phone = await signIn('bob', { ua: IPHONE });
  const phoneAt = g.clock.now();

  const users = await api('GET', '/users', admin);
  t.equal(users.status, 200);
  t.equal(users.headers['cache-control'], 'no-store');
  const list = users.json<{ users: Record<string, unknown>[] }>().users;
  t.same(
    list.map((u) => u.id),
    ['u-alice', 'u-bob'],
    "acme's users only",
  );
  t.same(
    list.find((u) => u.id === 'u-bob'),
    { id: 'u-bob', username: 'bob', email: 'bob@acme.test', name: 'Bob Builder', roles: [], activeSessions: 2 },
  );
  const aliceRow = list.find((u) => u.id === 'u-alice')!;
  t.same(aliceRow, {
    id: 'u-alice',
    username: 'alice',
    email: 'alice@acme.test',
    name: 'Alice Admin',
    roles: ['admin'],
    activeSessions: (await storeIds('u-alice')).length,
  });
  const filtered = await api('GET', '/users?q=BUILD', admin);
  t.same(
    filtered.json<{ users: { id: string }[] }>().users.map((u) => u.id),
    ['u-bob'],
    '?q= filters by name, case-insensitively',
  );

  const res = await api('GET', '/users/u-bob/sessions', admin);
  t.equal(res.status, 200);
  const sessions = res.json<{ sessions: Record<string, unknown>[] }>().sessions;
  t.equal(sessions.length, 2);
  const iso = (ms: number): string => new Date(ms).toISOString();
  for (const s of sessions) {
    t.same(
      Object.keys(s)
        .filter((k) => k !== 'current')
        .sort(),
      [...SESSION_KEYS].sort(),
      'exactly the SPEC fields',
    );
    t.notOk('current' in s && s.current === true, 'a client token has no current session');
    t.match(s.id, /^sess_[A-Za-z0-9_-]{33}$/);
    t.notOk(JSON.stringify(s).includes('secret'), 'no secret hash');
  }
  const d = sessions.find((s) => s.id === desk.sid);
  t.same(
    d,
    {
      id: desk.sid,
      kind: 'browser',
      userId: 'u-bob',
      clientId: null,
      ipAddress: '127.0.0.1',
      userAgent: CHROME,
      device: { type: 'desktop', os: 'Windows 10', browser: 'Chrome 120' },
      location: null,
      authMethod: 'password',
      amr: ['pwd'],
      mfaVerified: false,
      mfaVerifiedAt: null,
      createdAt: iso(createdAt),
      lastActiveAt: iso(createdAt),
      expiresAt: iso(createdAt + 24 * 3600_000),
      idleExpiresAt: iso(createdAt + 30 * 60_000),
      authTime: iso(createdAt),
      rememberMe: false,
    },
    'the desktop session, field by field',
  );
  const p = sessions.find((s) => s.id === phone.sid);
  t.same(p?.device, { type: 'mobile', os: 'iOS 17.1', browser: 'Mobile Safari 17' }, 'device from the User-Agent');
  t.equal(p?.createdAt, iso(phoneAt));
  t.equal(sessions[0]!.id, phone.sid, 'most recently active first');

  const unknown = await api('GET', '/users/u-nobody/sessions', admin);
  t.equal(unknown.status, 404, 'an unknown user: 404');
  hasCode(t, unknown, 'ERR_GK_NOT_FOUND');

  const alice = await signIn('alice');
  const own = await api('GET', '/users/u-alice/sessions', cookieOf(alice));
  const mine = own.json<{ sessions: { id: string; current?: boolean }[] }>().sessions;
  t.equal(mine.find((s) => s.id === alice.sid)?.current, true, "an admin's own cookie session is flagged current");
  t.ok(
    mine.filter((s) => s.id !== alice.sid).every((s) => s.current !== true),
    'no other',
  );
});

t.test("DELETE one session: 204, then 404; 404 for another user's and for unknown ids", async (t) => {
  const admin = bearer(await clientToken('billing-service', SECRETS.billing));
  const bob = await signIn('bob');
  const bob2 = await signIn('bob');
  const alice = await signIn('alice');
  t.equal(await atApp({ cookie: bob.cookie }), 200);

  const del = await api('DELETE', `/users/u-bob/sessions/${bob.sid}`, admin);
  t.equal(del.status, 204);
  t.equal(del.body, '', 'no body');
  t.equal(await atApp({ cookie: bob.cookie }), 401, 'the revoked cookie is dead at once');
  t.equal(await atApp({ cookie: bob.cookie }, b), 401, 'on the other instance too');
  t.equal(await atApp({ cookie: bob2.cookie }), 200, "bob's other session lives");
  const ev = audits(g, 'session_revoked').find((e) => e.sessionId === bob.sid);
  t.match(ev, { tenant: 'acme', userId: 'u-bob', reason: 'admin_revoked', ip: '127.0.0.1' }, 'audited');

  t.equal((await api('DELETE', `/users/u-bob/sessions/${bob.sid}`, admin)).status, 404, 'repeated: 404');
  const foreign = await api('DELETE', `/users/u-bob/sessions/${alice.sid}`, admin);
  t.equal(foreign.status, 404, "alice's session id under bob: 404");
  hasCode(t, foreign, 'ERR_GK_NOT_FOUND');
  t.equal(await atApp({ cookie: alice.cookie }), 200, "alice's session untouched");
  const neverIssued = `sess_${'A'.repeat(33)}`;
  t.equal((await api('DELETE', `/users/u-bob/sessions/${neverIssued}`, admin)).status, 404, 'a well-formed unknown id');
  t.equal((await api('DELETE', '/users/u-bob/sessions/nope', admin)).status, 404, 'a malformed id');
  t.equal((await api('DELETE', `/users/u-nobody/sessions/${bob2.sid}`, admin)).status, 404, 'an unknown user');
  t.equal(await atApp({ cookie: bob2.cookie }), 200, 'none of that touched bob2');
});

t.test('revoke-all: cookie, access token and refresh token die at once, on both instances', async (t) => {
  const admin = bearer(await clientToken('billing-service', SECRETS.billing));
  await api('POST', '/users/u-bob/sessions/revoke-all', admin);
  const s1 = await signIn('bob', { ua: CHROME });
  const s2 = await signIn('bob', { ua: IPHONE });
  const at = await userToken(s1);
  const s3 = await signIn('bob');
  const code = await codeFlow(s3.jar);
  const alice = await signIn('alice');

  // Warm both instances (their caches must not keep anything alive).
  for (const gw of [g, b]) {
    t.equal(await atApp({ cookie: s1.cookie }, gw), 200);
    t.equal(await atApp({ cookie: s2.cookie }, gw), 200);
    t.equal(await atApp(bearer(at), gw), 200);
    t.equal(await atApp(bearer(code.access_token), gw), 200);
  }
  t.equal((await storeIds('u-bob')).length, 4, 'three login sessions and one token session');
  const listed = (await api('GET', '/users/u-bob/sessions', admin)).json<{ sessions: Record<string, unknown>[] }>()
    .sessions;
  t.match(
    listed.filter((x) => x.kind === 'token'),
    [{ kind: 'token', userId: 'u-bob', clientId: 'other-client', idleExpiresAt: null, rememberMe: false }],
    'the code-flow session is listed as kind token',
  );

  const res = await api('POST', '/users/u-bob/sessions/revoke-all', admin);
  t.equal(res.status, 200);
  t.same(res.json(), { revoked: 4 });
  for (const [name, gw] of [
    ['A', g],
    ['B', b],
  ] as const) {
    t.equal(await atApp({ cookie: s1.cookie }, gw), 401, `${name}: first cookie dead`);
    t.equal(await atApp({ cookie: s2.cookie }, gw), 401, `${name}: second cookie dead`);
    t.equal(await atApp({ cookie: s3.cookie }, gw), 401, `${name}: third cookie dead`);
    t.equal(await atApp(bearer(at), gw), 401, `${name}: session access token dead`);
    t.equal(await atApp(bearer(code.access_token), gw), 401, `${name}: code-flow access token dead`);
  }
  const r = await refresh(b, code.refresh_token);
  t.equal(r.status, 400, 'the refresh token is dead (on B)');
  t.equal(r.json().error, 'invalid_grant');
  t.same(await storeIds('u-bob'), [], 'nothing left in the store');
  t.equal(await atApp({ cookie: alice.cookie }), 200, "another user's session is untouched");
  const revokedIds = audits(g, 'session_revoked')
    .filter((e) => e.reason === 'admin_revoked_all')
    .map((e) => e.sessionId);
  for (const sid of [s1.sid, s2.sid, s3.sid]) t.ok(revokedIds.includes(sid), `session_revoked audited for ${sid}`);

  const again = await api('POST', '/users/u-bob/sessions/revoke-all', admin);
  t.same(again.json(), { revoked: 0 }, 'again: nothing to revoke');
  t.equal((await api('POST', '/users/u-nobody/sessions/revoke-all', admin)).status, 404, 'unknown user: 404');
});

t.test(
  'cookie callers: missing or wrong X-CSRF-Token, or a cross-site request → 403 and nothing changes',
  async (t) => {
    const alice = await signIn('alice');
    const target = await signIn('bob');
    const admin = bearer(await clientToken('billing-service', SECRETS.billing));
    const before = (await api('GET', '/configuration/auth-settings', admin)).json();
    const bad: { name: string; headers: H }[] = [
      { name: 'no X-CSRF-Token', headers: { cookie: alice.cookie } },
      {
        name: 'a wrong X-CSRF-Token',
        headers: { cookie: alice.cookie, 'x-csrf-token': `${alice.csrf.slice(0, -2)}xx` },
      },
      { name: "bob's CSRF token with alice's cookie", headers: { cookie: alice.cookie, 'x-csrf-token': target.csrf } },
      { name: 'Origin https://evil.test', headers: { ...cookieOf(alice), origin: 'https://evil.test' } },
      { name: 'Origin null', headers: { ...cookieOf(alice), origin: 'null' } },
      { name: 'Sec-Fetch-Site: cross-site', headers: { ...cookieOf(alice), 'sec-fetch-site': 'cross-site' } },
    ];
    for (const c of bad) {
      const del = await api('DELETE', `/users/u-bob/sessions/${target.sid}`, c.headers);
      t.equal(del.status, 403, `DELETE with ${c.name}`);
      hasCode(t, del, 'ERR_GK_CSRF', `DELETE with ${c.name}`);
      const all = await api('POST', '/users/u-bob/sessions/revoke-all', c.headers);
      t.equal(all.status, 403, `revoke-all with ${c.name}`);
      const patch = await api('PATCH', '/configuration/auth-settings', c.headers, { sessionLifetime: '1h' });
      t.equal(patch.status, 403, `PATCH with ${c.name}`);
      hasCode(t, patch, 'ERR_GK_CSRF', `PATCH with ${c.name}`);
    }
    t.equal(await atApp({ cookie: target.cookie }), 200, 'the target session is alive');
    t.same((await api('GET', '/configuration/auth-settings', admin)).json(), before, 'settings unchanged');
    t.equal(
      audits(g, 'settings_changed').filter((e) => (e.changed as string[]).includes('sessionLifetime')).length,
      0,
      'no change audited',
    );

    const sameSite = await api('DELETE', `/users/u-bob/sessions/${target.sid}`, {
      ...cookieOf(alice),
      origin: 'http://dashboard.acme.test',
      'sec-fetch-site': 'same-site',
    });
    t.equal(sameSite.status, 204, 'with the token and an app-host Origin it works');
    t.equal(await atApp({ cookie: target.cookie }), 401);
  },
);

t.test("other tenant: acme's admin never sees or touches globex's u-alice", async (t) => {
  const admin = bearer(await clientToken('billing-service', SECRETS.billing));
  const gAlice = await signIn('alice', { slug: 'globex', host: GLOBEX, password: PASSWORDS.eve });
  const aAlice = await signIn('alice');
  const globexAlive = async (): Promise<number> =>
    (await request(g.url, '/t/globex/api/v1/session', { headers: { host: GLOBEX, cookie: gAlice.cookie } })).status;
  t.equal(await globexAlive(), 200);

  const res = await api('GET', '/users/u-alice/sessions', admin);
  const ids = res
    .json<{ sessions: { id: string; userId: string }[] }>()
    .sessions.map((s) => s.id)
    .sort();
  t.notOk(ids.includes(gAlice.sid), "globex's session is not listed");
  t.ok(ids.includes(aAlice.sid), "acme's is");
  t.same(ids, await storeIds('u-alice'), "exactly acme's sessions of u-alice");
  const users = (await api('GET', '/users', admin)).json<{
    users: { id: string; activeSessions: number; email: string }[];
  }>().users;
  t.notOk(
    users.some((u) => u.email.endsWith('globex.test')),
    'no globex user listed',
  );
  t.equal(users.find((u) => u.id === 'u-alice')?.activeSessions, ids.length, "the count is acme's only");

  t.equal(
    (await api('DELETE', `/users/u-alice/sessions/${gAlice.sid}`, admin)).status,
    404,
    "globex's session id at acme: 404",
  );
  t.equal(await globexAlive(), 200, 'globex session alive');
  const all = await api('POST', '/users/u-alice/sessions/revoke-all', admin);
  t.same(all.json(), { revoked: ids.length }, "acme's u-alice sessions only");
  t.equal(await globexAlive(), 200, 'globex session survives revoke-all of acme u-alice');
  t.ok((await storeIds('u-alice', 'globex')).includes(gAlice.sid), 'still in the store under globex');
});

t.test('GET auth-settings: the effective settings in the YAML shape', async (t) => {
  const admin = bearer(await clientToken('billing-service', SECRETS.billing));
  const res = await api('GET', '/configuration/auth-settings', admin);
  t.equal(res.status, 200);
  t.equal(res.headers['cache-control'], 'no-store');
  t.same(res.json(), {
    settings: {
      sessionLifetime: '24h',
      accessTokenLifetime: '1h',
      refreshTokenLifetime: '30d',
      idleTimeout: '30m',
      rememberMe: { enabled: true, duration: '30d' },
      maxConcurrentSessions: 0,
      concurrentSessionPolicy: 'evict-oldest',
      ipBinding: 'off',
      ipBindingAction: 'reject',
      cookie: { sameSite: 'lax', domain: null },
      loginThrottle: { maxFailures: 1000, window: '15m', lockout: '30m' },
      refreshGrace: '10s',
      mfa: { totp: true, webauthn: true, passkeyLogin: true, required: false, rpId: null },
    },
  });
});

t.test('PATCH auth-settings with bad values: 422 listing every field error, nothing changes', async (t) => {
  const admin = bearer(await clientToken('billing-service', SECRETS.billing));
  const before = (await api('GET', '/configuration/auth-settings', admin)).json();
  const changedBefore = audits(g, 'settings_changed').length;
  const res = await api('PATCH', '/configuration/auth-settings', admin, {
    sessionLifetime: 'forever',
    idleTimeout: -5,
    accessTokenLifetime: '0s',
    maxConcurrentSessions: -1,
    concurrentSessionPolicy: 'random',
    ipBinding: 'maybe',
    cookie: { sameSite: 'none' },
    loginThrottle: { maxFailures: 0, window: '1h30m' },
    rememberMe: { enabled: 'yes' },
    bogus: 1,
    // a valid one among them must not be applied either
    refreshGrace: '30s',
  });
  t.equal(res.status, 422);
  hasCode(t, res, 'ERR_GK_SETTINGS_INVALID');
  const errors = res.json<{ errors: { path: string; message: string }[] }>().errors;
  t.ok(Array.isArray(errors));
  for (const e of errors) {
    t.type(e.path, 'string');
    t.type(e.message, 'string');
    t.ok(e.message.length > 0, `${e.path}: a message`);
  }
  const paths = errors.map((e) => e.path).sort();
  t.same(
    paths,
    [
      'accessTokenLifetime',
      'bogus',
      'concurrentSessionPolicy',
      'cookie.sameSite',
      'idleTimeout',
      'ipBinding',
      'loginThrottle.maxFailures',
      'loginThrottle.window',
      'maxConcurrentSessions',
      'rememberMe.enabled',
      'sessionLifetime',
    ].sort(),
    'one error per bad field, named by its path',
  );
  t.same((await api('GET', '/configuration/auth-settings', admin)).json(), before, 'nothing changed here');
  t.same((await api('GET', '/configuration/auth-settings', admin, undefined, b)).json(), before, 'nor on B');
  t.equal(audits(g, 'settings_changed').length, changedBefore, 'no settings_changed audit');

  const notObject = await api('PATCH', '/configuration/auth-settings', admin, ['sessionLifetime']);
  t.equal(notObject.status, 422, 'a JSON list: 422');
  hasCode(t, notObject, 'ERR_GK_SETTINGS_INVALID');
  t.ok(notObject.json<{ errors: unknown[] }>().errors.length > 0);
  const notJson = await request(g.url, '/t/acme/api/v1/configuration/auth-settings', {
    method: 'PATCH',
    headers: { host: DASH, ...admin, 'content-type': 'application/json' },
    body: '{"sessionLifetime":',
  });
  t.equal(notJson.status, 400, 'broken JSON: 400');
  hasCode(t, notJson, 'ERR_GK_BAD_REQUEST');
  const form = await request(g.url, '/t/acme/api/v1/configuration/auth-settings', {
    method: 'PATCH',
    headers: { host: DASH, ...admin },
    form: { sessionLifetime: '1h' },
  });
  t.equal(form.status, 415, 'a form body: 415');
  hasCode(t, form, 'ERR_GK_UNSUPPORTED_MEDIA_TYPE');
  t.same((await api('GET', '/configuration/auth-settings', admin)).json(), before, 'still nothing changed');
});

t.test(
  'PATCH auth-settings: persisted in Redis, seen by every instance, audited; lifetimes apply to the next login',
  async (t) => {
    const aliceSigned = await signIn('alice');
    const admin = cookieOf(aliceSigned);
    const existing = await signIn('bob');
    const createdBefore = g.clock.now();

    // B hears of the change on the bus (an event), then re-reads the store.
    const heardOnB = new Promise<string>((resolve) => b.gw.deps.bus.listen({ onSettingsChanged: resolve }));
    const res = await api('PATCH', '/configuration/auth-settings', admin, {
      sessionLifetime: '2h',
      idleTimeout: 600,
      loginThrottle: { window: '10m' },
    });
    t.equal(res.status, 200);
    const settings = res.json<{ settings: Record<string, unknown> }>().settings;
    t.match(
      settings,
      {
        sessionLifetime: '2h',
        idleTimeout: '10m',
        loginThrottle: { maxFailures: 1000, window: '10m', lockout: '30m' },
        accessTokenLifetime: '1h',
      },
      'merged over the YAML values, durations formatted',
    );
    t.same(
      (await api('GET', '/configuration/auth-settings', admin)).json<{ settings: unknown }>().settings,
      settings,
      'GET agrees',
    );

    const ev = audits(g, 'settings_changed').at(-1);
    t.match(
      ev,
      { tenant: 'acme', userId: 'u-alice', sessionId: aliceSigned.sid, ip: '127.0.0.1' },
      'settings_changed audited with who and from where',
    );
    t.same(
      [...((ev?.changed as string[]) ?? [])].sort(),
      ['idleTimeout', 'loginThrottle', 'sessionLifetime'],
      'naming what changed',
    );

    t.equal(await heardOnB, 'acme', 'B is told which tenant changed');
    // Its reload (one store read) has no event of its own: a short bounded poll of real answers.
    let onB: unknown = null;
    for (let i = 0; i < 50; i++) {
      onB = (await api('GET', '/configuration/auth-settings', admin, undefined, b)).json<{ settings: unknown }>()
        .settings;
      if (JSON.stringify(onB) === JSON.stringify(settings)) break;
    }
    t.same(onB, settings, 'instance B applies it');
    // A new instance reads it from Redis at start.
    const c = await startTestGateway({ storeYaml });
    t.teardown(c.stop);
    const onC = await api(
      'GET',
      '/configuration/auth-settings',
      bearer(await clientToken('billing-service', SECRETS.billing)),
      undefined,
      c,
    );
    t.same(onC.json<{ settings: unknown }>().settings, settings, 'a freshly started instance loads it from the store');

    // The next login gets the new lifetimes; the existing session keeps its own.
    const iso = (ms: number): string => new Date(ms).toISOString();
    const fresh = await signIn('bob');
    const now = g.clock.now();
    const list = (await api('GET', '/users/u-bob/sessions', admin)).json<{
      sessions: { id: string; expiresAt: string; idleExpiresAt: string }[];
    }>().sessions;
    const f = list.find((s) => s.id === fresh.sid);
    t.equal(f?.expiresAt, iso(now + 2 * 3600_000), 'new session: sessionLifetime 2h');
    t.equal(f?.idleExpiresAt, iso(now + 600_000), 'new session: idleTimeout 10m');
    const e = list.find((s) => s.id === existing.sid);
    t.equal(
      e?.expiresAt,
      iso(createdBefore + 24 * 3600_000),
      'the existing session keeps the expiry it was created with',
    );

    // Restore the YAML values for anything that runs later.
    const back = await api('PATCH', '/configuration/auth-settings', admin, {
      sessionLifetime: '24h',
      idleTimeout: '30m',
      loginThrottle: { window: '15m' },
    });
    t.equal(back.status, 200);
  },
);

t.test('a client not configured with sessions:admin can never obtain it by asking', async (t) => {
  const victim = await signIn('alice');
  const cc = await request(g.url, '/t/acme/api/v1/oauth/token', {
    method: 'POST',
    headers: { host: DASH, authorization: basic('other-client', SECRETS.other) },
    form: { grant_type: 'client_credentials', scope: 'sessions:admin' },
  });
  const asked = cc.status === 200 ? cc.json<{ access_token: string; scope?: string }>() : null;
  t.not(asked?.scope?.split(' ').includes('sessions:admin'), true, 'other-client is not granted sessions:admin');
  if (asked) {
    const res = await api('GET', '/users', bearer(asked.access_token));
    t.equal(res.status, 403, "other-client's self-scoped token at the admin API: 403");
    hasCode(t, res, 'ERR_GK_FORBIDDEN');
    const del = await api('DELETE', `/users/u-alice/sessions/${victim.sid}`, bearer(asked.access_token));
    t.equal(del.status, 403, 'and it cannot revoke an admin session');
  }

  // A non-admin user delegating to that client, asking for the admin scope.
  const bob = await signIn('bob');
  // Refused at authorize or at the exchange (null) would be fine.
  const delegated = await codeFlow(bob.jar, 'sessions:admin').catch(() => null);
  if (delegated) {
    t.not(
      delegated.scope?.split(' ').includes('sessions:admin'),
      true,
      "bob's delegated token does not carry sessions:admin",
    );
    t.equal(
      (await api('GET', '/users', bearer(delegated.access_token))).status,
      403,
      "bob's delegated token at the admin API: 403",
    );
    t.equal(
      (await api('POST', '/users/u-alice/sessions/revoke-all', bearer(delegated.access_token))).status,
      403,
      "and it cannot revoke alice's sessions",
    );
  }
  t.equal(await atApp({ cookie: victim.cookie }), 200, "alice's admin session survived both attempts");
});

// Last: it moves A's clock (B keeps its own).
t.test('revoke-all counts the sessions it ended, not the ones that had already expired', async (t) => {
  const admin = bearer(await clientToken('billing-service', SECRETS.billing));
  await api('POST', '/users/u-bob/sessions/revoke-all', admin);
  await signIn('bob'); // will expire
  const gone = await signIn('bob'); // will expire, then be DELETEd
  g.clock.advance(20 * 60_000);
  const live = await signIn('bob');
  g.clock.advance(15 * 60_000); // the first two are idle-expired (30m), the third is not
  const del = await api('DELETE', `/users/u-bob/sessions/${gone.sid}`, admin);
  t.equal(del.status, 404, 'DELETE of an expired session: 404 (expired sessions are gone)');
  hasCode(t, del, 'ERR_GK_NOT_FOUND');
  const users = (await api('GET', '/users', admin)).json<{ users: { id: string; activeSessions: number }[] }>().users;
  t.equal(users.find((u) => u.id === 'u-bob')?.activeSessions, 1, 'one active session');
  const listed = (await api('GET', '/users/u-bob/sessions', admin)).json<{ sessions: { id: string }[] }>().sessions;
  t.same(
    listed.map((x) => x.id),
    [live.sid],
    'only the live one is listed',
  );
  const before = audits(g, 'session_revoked').length;
  const res = await api('POST', '/users/u-bob/sessions/revoke-all', admin);
  t.same(res.json(), { revoked: 1 }, 'revoked = the active sessions');
  t.equal(audits(g, 'session_revoked').length - before, 1, 'one session_revoked audit');
});
