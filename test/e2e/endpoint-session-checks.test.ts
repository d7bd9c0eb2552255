// The gateway's own endpoints judge a credential with the pipeline's own steps (ARCHITECTURE:
// "every entry point authenticates through the same pipeline steps"): an expired session is
// deleted and audited as on the proxy, for cookie and bearer callers alike; IP binding with
// `ipBindingAction: revoke` ends the session; a bearer caller's request is activity too.
import t from 'tap';
import { request, type Response } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { startTestGateway, PASSWORDS, type TestGateway } from '../helpers/gateway.js';

const DASH = 'dashboard.acme.test';
const IDLE = 31 * 60_000; // past the test tenant's 30m idleTimeout

type H = Record<string, string>;
interface Signed {
  cookie: string;
  sid: string;
  csrf: string;
}

async function signIn(gw: TestGateway, user: 'alice' | 'bob', headers: H = {}): Promise<Signed> {
  const { jar, res } = await login(gw.url, { username: user, password: PASSWORDS[user], headers });
  const v = jar.get('gk_acme');
  if (res.status !== 302 || !v) throw new Error(`login of ${user}: ${res.status}`);
  const cookie = `gk_acme=${v}`;
  const s = await request(gw.url, '/t/acme/api/v1/session', { headers: { host: DASH, cookie, ...headers } });
  if (s.status !== 200) throw new Error(`session api: ${s.status}`);
  return { cookie, sid: v.split('.')[0]!, csrf: s.json<{ csrfToken: string }>().csrfToken };
}

async function tokenOf(gw: TestGateway, s: Signed, headers: H = {}): Promise<string> {
  const res = await request(gw.url, '/t/acme/api/v1/session/token', {
    method: 'POST',
    headers: { host: DASH, cookie: s.cookie, 'x-csrf-token': s.csrf, ...headers },
  });
  if (res.status !== 200) throw new Error(`session/token: ${res.status}`);
  return res.json<{ access_token: string }>().access_token;
}

function audits(gw: TestGateway, event: string, sessionId: string): Record<string, unknown>[] {
  return gw.logs.flatMap((l) => {
    const o = JSON.parse(l) as Record<string, unknown>;
    return o.audit === event && o.sessionId === sessionId ? [o] : [];
  });
}

const g = await startTestGateway();
t.teardown(g.stop);

interface Case {
  name: string;
  user: 'alice' | 'bob';
  call: (s: Signed) => Promise<Response>;
  expect: (res: Response) => boolean;
}

const get = (path: string, headers: H): Promise<Response> =>
  request(g.url, path, { headers: { host: DASH, ...headers } });
const json = (s: Signed): H => ({ cookie: s.cookie, accept: 'application/json' });
const page = (s: Signed): H => ({ cookie: s.cookie, accept: 'text/html' });
const toLogin = (res: Response): boolean =>
  res.status === 302 && String(res.headers.location).startsWith('/t/acme/login');

// Every way a cookie reaches a gateway endpoint: JSON APIs (self-service, admin), pages
// (self-service, portal), logout, authorize and the login form itself.
const COOKIE_CASES: Case[] = [
  {
    name: 'GET /api/v1/session',
    user: 'bob',
    call: (s) => get('/t/acme/api/v1/session', json(s)),
    expect: (r) => r.status === 401,
  },
  {
    name: 'GET /api/v1/me/sessions',
    user: 'bob',
    call: (s) => get('/t/acme/api/v1/me/sessions', json(s)),
    expect: (r) => r.status === 401,
  },
  {
    name: 'POST /api/v1/me/sessions/revoke-others',
    user: 'bob',
    call: (s) =>
      request(g.url, '/t/acme/api/v1/me/sessions/revoke-others', {
        method: 'POST',
        headers: { host: DASH, ...json(s), 'x-csrf-token': s.csrf },
      }),
    expect: (r) => r.status === 401,
  },
  {
    name: 'GET /api/v1/users (an admin cookie)',
    user: 'alice',
    call: (s) => get('/t/acme/api/v1/users', json(s)),
    expect: (r) => r.status === 401,
  },
  {
    name: 'GET /account/sessions',
    user: 'bob',
    call: (s) => get('/t/acme/account/sessions', page(s)),
    expect: toLogin,
  },
  {
    name: 'GET /portal/access-management/users',
    user: 'alice',
    call: (s) => get('/t/acme/portal/access-management/users', page(s)),
    expect: toLogin,
  },
  { name: 'GET /logout', user: 'bob', call: (s) => get('/t/acme/logout', page(s)), expect: toLogin },
  {
    name: 'GET /oauth/authorize',
    user: 'bob',
    call: (s) => {
      const q = new URLSearchParams({
        client_id: 'web-spa',
        redirect_uri: 'http://app.acme.test/callback',
        response_type: 'code',
        code_challenge: 'A'.repeat(43),
        code_challenge_method: 'S256',
      });
      return get(`/t/acme/oauth/authorize?${q}`, page(s));
    },
    expect: toLogin,
  },
  {
    name: 'GET /login',
    user: 'bob',
    call: (s) => get('/t/acme/login', page(s)),
    expect: (r) => r.status === 200 && r.body.includes('name="password"'),
  },
];

t.test(
  'an idle-expired session at a gateway endpoint is deleted and audited session_expired, as on the proxy',
  async (t) => {
    for (const c of COOKIE_CASES) {
      const s = await signIn(g, c.user);
      g.clock.advance(IDLE);
      const res = await c.call(s);
      t.ok(c.expect(res), `${c.name}: refused as signed out (${res.status})`);
      t.equal(await g.gw.deps.store.getSession('acme', s.sid), null, `${c.name}: the expired session is deleted`);
      t.match(
        audits(g, 'session_expired', s.sid),
        [{ tenant: 'acme', reason: 'idle' }],
        `${c.name}: audited once as idle expiry`,
      );
    }
  },
);

t.test(
  'a bearer caller whose session expired: 401 at the admin and self-service APIs, the session deleted and audited',
  async (t) => {
    const calls: [string, string, (token: string) => Promise<Response>][] = [
      [
        'GET /api/v1/users',
        'alice',
        (tok) => get('/t/acme/api/v1/users', { authorization: `Bearer ${tok}`, accept: 'application/json' }),
      ],
      [
        'POST /api/v1/users/u-bob/sessions/revoke-all',
        'alice',
        (tok) =>
          request(g.url, '/t/acme/api/v1/users/u-bob/sessions/revoke-all', {
            method: 'POST',
            headers: { host: DASH, authorization: `Bearer ${tok}`, accept: 'application/json' },
          }),
      ],
      [
        'GET /api/v1/me/sessions',
        'bob',
        (tok) => get('/t/acme/api/v1/me/sessions', { authorization: `Bearer ${tok}`, accept: 'application/json' }),
      ],
    ];
    for (const [name, user, call] of calls) {
      const s = await signIn(g, user as 'alice' | 'bob');
      const token = await tokenOf(g, s);
      g.clock.advance(IDLE); // the access token (1h) is still valid; its session is not
      // Another user's session: a login of the same user would sweep the caller's dead one.
      const target = await signIn(g, user === 'bob' ? 'alice' : 'bob');
      const res = await call(token);
      t.equal(res.status, 401, `${name}: 401`);
      t.match(String(res.headers['www-authenticate']), /^Bearer realm="acme"/, `${name}: WWW-Authenticate`);
      t.equal(await g.gw.deps.store.getSession('acme', s.sid), null, `${name}: the expired session is deleted`);
      t.match(
        audits(g, 'session_expired', s.sid),
        [{ tenant: 'acme', reason: 'idle' }],
        `${name}: audited as idle expiry`,
      );
      t.not(await g.gw.deps.store.getSession('acme', target.sid), null, `${name}: nothing else changed`);
    }
  },
);

t.test('a bearer caller at a gateway endpoint is activity of its session, as at the proxy', async (t) => {
  const s = await signIn(g, 'bob');
  const token = await tokenOf(g, s);
  const created = (await g.gw.deps.store.getSession('acme', s.sid))!.lastActiveAt;
  g.clock.advance(61_000); // past the activity write throttle, min(60 s, idleTimeout/10)
  const res = await get('/t/acme/api/v1/me/sessions', { authorization: `Bearer ${token}`, accept: 'application/json' });
  t.equal(res.status, 200);
  // The write is not awaited by the request; the next store read is ordered after it.
  const after = (await g.gw.deps.store.getSession('acme', s.sid))!.lastActiveAt;
  t.not(after, created, 'activity was recorded');
  t.equal(after, g.clock.now(), 'at the time of the request');
});

t.test('ipBindingAction: revoke — a mismatch at a gateway endpoint ends the session, cookie or bearer', async (t) => {
  const gw = await startTestGateway({ settings: 'ipBinding: exact\nipBindingAction: revoke' });
  t.teardown(gw.stop);
  const home: H = { 'x-forwarded-for': '198.51.100.20' };
  const thief: H = { 'x-forwarded-for': '203.0.113.66' };
  const at = (path: string, headers: H): Promise<Response> =>
    request(gw.url, path, { headers: { host: DASH, accept: 'application/json', ...headers } });

  const viaCookie = await signIn(gw, 'bob', home);
  t.equal(
    (await at('/t/acme/api/v1/me/sessions', { cookie: viaCookie.cookie, ...thief })).status,
    401,
    'cookie from another address: 401',
  );
  t.equal(await gw.gw.deps.store.getSession('acme', viaCookie.sid), null, 'the session is revoked');
  t.match(
    audits(gw, 'session_revoked', viaCookie.sid),
    [{ reason: 'ip_binding_mismatch', userId: 'u-bob' }],
    'and audited',
  );
  t.equal(
    (await at('/t/acme/api/v1/session', { cookie: viaCookie.cookie, ...home })).status,
    401,
    'dead from its own address too',
  );

  const viaBearer = await signIn(gw, 'alice', home);
  const token = await tokenOf(gw, viaBearer, home);
  t.equal(
    (await at('/t/acme/api/v1/users', { authorization: `Bearer ${token}`, ...thief })).status,
    401,
    'bearer from another address: 401',
  );
  t.equal(await gw.gw.deps.store.getSession('acme', viaBearer.sid), null, 'its session is revoked');
  t.match(audits(gw, 'session_revoked', viaBearer.sid), [{ reason: 'ip_binding_mismatch' }]);
  t.equal(
    (await at('/t/acme/api/v1/users', { authorization: `Bearer ${token}`, ...home })).status,
    401,
    'the token is dead from its own address too',
  );
});
