// SPEC §3.4 / §7: the upstream sees only the gateway's identity headers, whatever the
// client sends; the gateway's cookie never crosses the proxy in either direction;
// X-Forwarded-* is believed only from trusted proxies.
import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import t, { type Test } from 'tap';
import { request } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { parseSetCookie } from '../helpers/set-cookie.js';
import { startTestGateway, PASSWORDS } from '../helpers/gateway.js';

const H = 'dashboard.acme.test';
const API = { host: H, accept: 'application/json' };

const g = await startTestGateway();
t.teardown(g.stop);
const bobLogin = await login(g.url, { username: 'bob', password: PASSWORDS.bob });
const bob = bobLogin.jar;
const bobSid = bob.get('gk_acme')!.split('.')[0]!;

/** One request through the proxy; returns what the upstream received for it. */
async function upstreamSaw(
  path: string,
  headers: Record<string, string | string[]>,
): Promise<{ status: number; headers: IncomingHttpHeaders; setCookies: string[] }> {
  const before = g.upstream.seen.length;
  const res = await request(g.url, path, { headers });
  const seen = g.upstream.seen.slice(before);
  if (seen.length !== 1)
    throw new Error(`expected one upstream request for ${path}, got ${seen.length} (status ${res.status})`);
  return { status: res.status, headers: seen[0]!.headers, setCookies: res.setCookies };
}

/** Header names the upstream got that an app would read as X-Auth-* (any case, `_` for `-`). */
function authLike(h: IncomingHttpHeaders): string[] {
  return Object.keys(h).filter((n) => n.toLowerCase().replace(/_/g, '-').startsWith('x-auth-'));
}

const GATEWAY_SET = [
  'x-auth-user',
  'x-auth-email',
  'x-auth-name',
  'x-auth-roles',
  'x-auth-tenant',
  'x-auth-session',
  'x-auth-time',
];

function assertBobIdentity(t: Test, h: IncomingHttpHeaders): void {
  t.equal(h['x-auth-user'], 'u-bob', 'x-auth-user is the gateway value');
  t.equal(h['x-auth-roles'], '', 'bob has no roles');
  t.equal(h['x-auth-email'], 'bob@acme.test');
  t.equal(h['x-auth-name'], 'Bob Builder');
  t.equal(h['x-auth-tenant'], 'acme');
  t.equal(h['x-auth-session'], bobSid);
  t.equal(h['x-auth-time'], String(Math.floor(g.clock.now() / 1000)));
}

t.test('a logged-in user cannot spoof identity headers', async (t) => {
  const spoofs: [string, Record<string, string | string[]>][] = [
    ['X-Auth-User', { 'X-Auth-User': 'u-alice' }],
    ['x_auth_user', { x_auth_user: 'u-alice' }],
    ['X-AUTH-ROLES', { 'X-AUTH-ROLES': 'admin' }],
    ['X-Auth-User twice', { 'X-Auth-User': ['u-alice', 'u-alice'] }],
    ['X-Auth-Email', { 'X-Auth-Email': 'alice@acme.test' }],
    ['X-Auth-Jwt', { 'X-Auth-Jwt': 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1LWFsaWNlIn0.' }],
    ['X_Auth-Tenant', { 'X_Auth-Tenant': 'globex' }],
    ['X-Auth-Session', { 'X-Auth-Session': 'sess_forged' }],
    ['X_AUTH_ROLES', { X_AUTH_ROLES: 'admin' }],
    [
      'x-auth-everything',
      {
        'X-Auth-User': 'u-alice',
        x_auth_user: 'u-alice',
        'X-AUTH-ROLES': 'admin',
        'X-Auth-Email': 'alice@acme.test',
        'X_Auth-Tenant': 'globex',
        'X-Auth-Name': 'Alice Admin',
        'X-Auth-Time': '1',
      },
    ],
  ];
  for (const [name, spoof] of spoofs) {
    t.test(name, async (t) => {
      const seen = await upstreamSaw('/reports', { ...API, cookie: bob.header(), ...spoof });
      t.equal(seen.status, 200);
      assertBobIdentity(t, seen.headers);
      t.same(
        authLike(seen.headers).filter((n) => !GATEWAY_SET.includes(n) && n !== 'x-auth-jwt'),
        [],
        'no other X-Auth-* spelling (underscores included) reaches the upstream',
      );
      t.not(
        seen.headers['x-auth-jwt'],
        'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1LWFsaWNlIn0.',
        'a client X-Auth-Jwt never reaches the upstream',
      );
    });
  }
});

t.test('the gateway sends its own signed X-Auth-Jwt (SPEC §7)', async (t) => {
  const seen = await upstreamSaw('/reports', { ...API, cookie: bob.header(), 'X-Auth-Jwt': 'forged' });
  t.match(
    seen.headers['x-auth-jwt'],
    /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/,
    'a compact JWS from the gateway',
  );
});

t.test('X-Auth-Jwt describes the credential of this request, not a cached one of the same session', async (t) => {
  // The same session, first by its cookie, then by an access token bound to it: the
  // assertion must not be reused across the two (it names the client of a token request).
  const api = await request(g.url, '/t/acme/api/v1/session', { headers: { host: H, cookie: bob.header() } });
  const csrf = api.json<{ csrfToken: string }>().csrfToken;
  const tok = await request(g.url, '/t/acme/api/v1/session/token', {
    method: 'POST',
    headers: { host: H, cookie: bob.header(), 'x-csrf-token': csrf },
  });
  const accessToken = tok.json<{ access_token: string }>().access_token;
  const claims = (jwt: unknown): Record<string, unknown> =>
    JSON.parse(Buffer.from(String(jwt).split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

  const byCookie = claims((await upstreamSaw('/reports', { ...API, cookie: bob.header() })).headers['x-auth-jwt']);
  const byToken = claims(
    (await upstreamSaw('/reports', { ...API, authorization: `Bearer ${accessToken}` })).headers['x-auth-jwt'],
  );
  const byCookieAgain = claims((await upstreamSaw('/reports', { ...API, cookie: bob.header() })).headers['x-auth-jwt']);
  t.equal(byCookie.sid, bobSid);
  t.equal(byToken.sid, bobSid, 'same session');
  t.equal(byCookie.client_id, undefined, 'cookie: no client');
  t.equal(typeof byToken.client_id, 'string', 'token: names its client');
  t.equal(byCookieAgain.client_id, undefined, 'cookie again: still no client');
});

t.test('anonymous routes carry no identity, spoofed or not', async (t) => {
  const seen = await upstreamSaw('/public/x', {
    ...API,
    'X-Auth-User': 'u-alice',
    x_auth_roles: 'admin',
    'X-Auth-Jwt': 'forged',
  });
  t.equal(seen.status, 200);
  t.same(authLike(seen.headers), [], 'no x-auth-* header at all');

  const withCookie = await upstreamSaw('/public/x', { ...API, cookie: bob.header(), 'X-Auth-User': 'u-alice' });
  t.equal(withCookie.status, 200);
  t.not(withCookie.headers['x-auth-user'], 'u-alice', 'the spoofed value is gone even with a session cookie');
});

t.test(
  'Connection naming a header the gateway sets (or framing, or Host) is refused: 400, nothing upstream (SPEC §3.4)',
  async (t) => {
    const named = [
      'X-Auth-User, X-Auth-Roles',
      'keep-alive, x-auth-session',
      'X_Auth_Tenant',
      'X-Forwarded-For',
      'X-Forwarded-Host',
      'x-request-id',
      'Host',
      'Content-Length',
      'Transfer-Encoding',
      'close, Forwarded',
    ];
    for (const connection of named) {
      const before = g.upstream.seen.length;
      const res = await request(g.url, '/reports', {
        headers: { ...API, cookie: bob.header(), Connection: connection, 'X-Auth-User': 'u-alice' },
      });
      t.equal(res.status, 400, `Connection: ${connection} → 400`);
      t.equal(g.upstream.seen.length, before, `Connection: ${connection} → nothing reaches the upstream`);
    }
  },
);

t.test('Connection naming an ordinary header removes it (hop-by-hop), and never a gateway header', async (t) => {
  const seen = await upstreamSaw('/reports', {
    ...API,
    cookie: bob.header(),
    Connection: 'keep-alive, X-Custom',
    'X-Custom': 'gone',
    'X-Other': 'kept',
  });
  t.equal(seen.status, 200);
  t.equal(seen.headers['x-custom'], undefined, 'the named header is hop-by-hop');
  t.equal(seen.headers['x-other'], 'kept');
  t.equal(seen.headers['x-auth-user'], 'u-bob');
  t.equal(seen.headers['x-forwarded-for'], '127.0.0.1', 'X-Forwarded-For is the gateway value');
  t.equal(seen.headers['x-forwarded-host'], H);
});

t.test("hop-by-hop headers: the client's Connection: close is honoured on proxied answers", async (t) => {
  // The test client (agent: false) sends `Connection: close`; the gateway's own pages honour it.
  const own = await request(g.url, '/t/acme/login', { headers: { host: H, accept: 'text/html' } });
  t.equal(own.headers.connection, 'close', 'control: a gateway page answers Connection: close');
  const proxied = await request(g.url, '/public/x', { headers: { ...API, connection: 'close' } });
  t.equal(proxied.status, 200);
  t.equal(proxied.headers.connection, 'close', 'proxied answer: Connection: close');
  t.equal(proxied.headers['keep-alive'], undefined, "the upstream's Keep-Alive is not forwarded");
});

t.test("the gateway's cookies never cross the proxy", async (t) => {
  const login = bobLogin.res.setCookies.map(parseSetCookie).find((c) => c.name === 'gk_acme');
  t.ok(login, 'bob has a gk_acme cookie');
  const seen = await upstreamSaw('/reports', {
    ...API,
    cookie: `theme=dark; ${bob.header()}; lang=en; gk_acme_login=nonce`,
  });
  t.equal(seen.status, 200);
  t.equal(
    seen.headers.cookie,
    'theme=dark; lang=en',
    'gk_acme (and the login nonce cookie) removed, others kept in order',
  );

  const only = await upstreamSaw('/reports', { ...API, cookie: bob.header() });
  t.equal(only.headers.cookie, undefined, 'no Cookie header at all when only the gateway cookie was sent');

  const anon = await upstreamSaw('/public/x', { ...API, cookie: 'gk_acme=sess_whatever.x; theme=dark' });
  t.equal(anon.headers.cookie, 'theme=dark', 'removed on anonymous routes too');

  const res = await upstreamSaw('/set-cookie', { ...API, cookie: bob.header() });
  t.equal(res.status, 200);
  const names = res.setCookies.map((c) => parseSetCookie(c).name);
  t.same(names, ['app_cookie'], "the upstream's Set-Cookie for gk_acme is dropped, its other cookies pass");

  const anonSet = await upstreamSaw('/public/set-cookie', API);
  t.equal(anonSet.setCookies.length, 0, '/public/set-cookie: the echo upstream sets no cookie there (control)');
});

t.test('X-Forwarded-* from a trusted peer (loopback) is believed', async (t) => {
  const seen = await upstreamSaw('/public/x', {
    ...API,
    'X-Forwarded-For': '1.2.3.4',
    'X-Forwarded-Proto': 'https',
    'X-Forwarded-Host': 'front.acme.test',
  });
  t.equal(seen.headers['x-forwarded-for'], '1.2.3.4, 127.0.0.1');
  t.equal(seen.headers['x-forwarded-proto'], 'https');
  t.equal(seen.headers['x-forwarded-host'], 'front.acme.test');
  const plain = await upstreamSaw('/public/x', API);
  t.equal(plain.headers['x-forwarded-for'], '127.0.0.1');
  t.equal(plain.headers['x-forwarded-proto'], 'http');
  t.equal(plain.headers['x-forwarded-host'], H);

  const { jar } = await login(g.url, {
    username: 'bob',
    password: PASSWORDS.bob,
    headers: { 'X-Forwarded-For': '1.2.3.4' },
  });
  const session = await request(g.url, '/t/acme/api/v1/session', { headers: { host: H, cookie: jar.header() } });
  t.equal(
    session.json<{ session: { ipAddress: string } }>().session.ipAddress,
    '1.2.3.4',
    'the session records the address the trusted proxy reported',
  );

  for (const bad of ['not-an-ip', '<script>', '999.1.1.1']) {
    const r = await login(g.url, { username: 'bob', password: PASSWORDS.bob, headers: { 'X-Forwarded-For': bad } });
    t.ok(r.res.status < 500, `X-Forwarded-For ${bad}: no 5xx`);
    const ip = r.jar.get('gk_acme')
      ? (await request(g.url, '/t/acme/api/v1/session', { headers: { host: H, cookie: r.jar.header() } })).json<{
          session: { ipAddress: string };
        }>().session.ipAddress
      : null;
    t.ok(
      r.res.status === 400 || (ip !== null && isIP(ip) !== 0),
      `X-Forwarded-For ${bad}: refused, or never taken as the client address (got ${String(ip)})`,
    );
  }
});

t.test('X-Forwarded-* from an untrusted peer is not believed', async (t) => {
  const g2 = await startTestGateway({ trustedProxies: '[10.0.0.0/8]' });
  t.teardown(g2.stop);
  const call = async (path: string, headers: Record<string, string>): Promise<IncomingHttpHeaders> => {
    const before = g2.upstream.seen.length;
    const res = await request(g2.url, path, { headers });
    t.equal(res.status, 200, `${path}: 200`);
    t.equal(g2.upstream.seen.length, before + 1);
    return g2.upstream.seen[before]!.headers;
  };
  const anon = await call('/public/x', {
    ...API,
    'X-Forwarded-For': '1.2.3.4',
    'X-Forwarded-Proto': 'https',
    'X-Forwarded-Host': 'evil.test',
  });
  t.equal(anon['x-forwarded-for'], '127.0.0.1', 'the client-supplied X-Forwarded-For is dropped');
  t.equal(anon['x-forwarded-proto'], 'http', 'and X-Forwarded-Proto');
  t.equal(anon['x-forwarded-host'], H, 'and X-Forwarded-Host');

  const { jar } = await login(g2.url, {
    username: 'bob',
    password: PASSWORDS.bob,
    headers: { 'X-Forwarded-For': '1.2.3.4' },
  });
  t.ok(jar.get('gk_acme'), 'bob logs in on the second gateway');
  const authed = await call('/reports', {
    ...API,
    cookie: jar.header(),
    'X-Forwarded-For': '1.2.3.4',
    'X-Auth-User': 'u-alice',
  });
  t.equal(authed['x-forwarded-for'], '127.0.0.1');
  t.equal(authed['x-auth-user'], 'u-bob');

  const session = await request(g2.url, '/t/acme/api/v1/session', { headers: { host: H, cookie: jar.header() } });
  t.equal(session.status, 200);
  t.equal(
    session.json<{ session: { ipAddress: string } }>().session.ipAddress,
    '127.0.0.1',
    'the session records the real peer, not the spoofed address',
  );
});
