// IP binding (SPEC §2 ipBinding / ipBindingAction, §3 decision table): exact and subnet
// (IPv4 /24, IPv6 /64), reject and revoke, audited; the client address comes only through
// trustedProxies — an untrusted peer's X-Forwarded-For is ignored.
import t, { type Test } from 'tap';
import { request } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { startTestGateway, PASSWORDS, SECRETS, type TestGateway } from '../helpers/gateway.js';
import { hasCode } from '../helpers/error-code.js';

const DASH = 'dashboard.acme.test';

// Default trustedProxies [loopback]: the test client (127.0.0.1) is a trusted proxy, so
// X-Forwarded-For sets the client address.
const g = await startTestGateway({ settings: 'ipBinding: exact\nipBindingAction: reject' });
t.teardown(g.stop);

interface Signed {
  cookie: string;
  sid: string;
  csrf: string;
}

async function signIn(gw: TestGateway, xff: string | null): Promise<Signed> {
  const headers: Record<string, string> = xff ? { 'x-forwarded-for': xff } : {};
  const { jar, res } = await login(gw.url, { username: 'bob', password: PASSWORDS.bob, headers });
  const v = jar.get('gk_acme');
  if (res.status !== 302 || !v) throw new Error(`login: ${res.status}`);
  const cookie = `gk_acme=${v}`;
  const s = await request(gw.url, '/t/acme/api/v1/session', { headers: { host: DASH, cookie, ...headers } });
  return { cookie, sid: v.split('.')[0]!, csrf: s.json<{ csrfToken: string }>().csrfToken };
}

function app(gw: TestGateway, cookieOrBearer: string, xff: string | null, accept = 'application/json') {
  const auth: Record<string, string> = cookieOrBearer.startsWith('gk_')
    ? { cookie: cookieOrBearer }
    : { authorization: `Bearer ${cookieOrBearer}` };
  return request(gw.url, '/reports', {
    headers: { host: DASH, accept, ...auth, ...(xff ? { 'x-forwarded-for': xff } : {}) },
  });
}
async function status(gw: TestGateway, cookie: string, xff: string | null): Promise<number> {
  return (await app(gw, cookie, xff)).status;
}

async function settings(t: Test, patch: Record<string, unknown>): Promise<void> {
  const cc = await request(g.url, '/t/acme/api/v1/oauth/token', {
    method: 'POST',
    headers: {
      host: DASH,
      authorization: `Basic ${Buffer.from(`billing-service:${SECRETS.billing}`).toString('base64')}`,
    },
    form: { grant_type: 'client_credentials' },
  });
  const res = await request(g.url, '/t/acme/api/v1/configuration/auth-settings', {
    method: 'PATCH',
    headers: {
      host: DASH,
      authorization: `Bearer ${cc.json<{ access_token: string }>().access_token}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify(patch),
  });
  t.equal(res.status, 200, `settings ${JSON.stringify(patch)}`);
}

function audits(gw: TestGateway, event: string): Record<string, unknown>[] {
  return gw.logs.flatMap((l) => {
    const o = JSON.parse(l) as Record<string, unknown>;
    return o.audit === event ? [o] : [];
  });
}

async function storedIp(gw: TestGateway, sid: string): Promise<string | undefined> {
  return (await gw.gw.deps.store.getSession('acme', sid))?.ipAddress;
}

t.test('exact, through a trusted proxy: the same address passes, another is refused and audited', async (t) => {
  await settings(t, { ipBinding: 'exact', ipBindingAction: 'reject' });
  const s = await signIn(g, '198.51.100.7');
  t.equal(await storedIp(g, s.sid), '198.51.100.7', 'the session records the forwarded client address');
  t.equal(await status(g, s.cookie, '198.51.100.7'), 200, 'same IP: 200');

  const before = audits(g, 'ip_binding_mismatch').length;
  const other = await app(g, s.cookie, '198.51.100.8');
  t.equal(other.status, 401, 'another IP: 401');
  t.equal(other.headers['www-authenticate'], 'Bearer realm="acme"');
  t.equal(other.json().error, 'invalid_token', 'as an invalid credential');
  hasCode(t, other, 'ERR_GK_UNAUTHENTICATED');
  const nav = await app(g, s.cookie, '198.51.100.8', 'text/html');
  t.equal(nav.status, 302, 'a browser is sent to login');
  t.match(String(nav.headers.location), /^\/t\/acme\/login\?rd=/);
  const ev = audits(g, 'ip_binding_mismatch').slice(before);
  t.equal(ev.length, 2, 'each mismatch audited');
  t.match(ev[0], { tenant: 'acme', userId: 'u-bob', sessionId: s.sid, ip: '198.51.100.8' });
  t.notOk(JSON.stringify(ev).includes(s.cookie.split('.')[1]!), 'no secret in the audit line');

  t.equal(await status(g, s.cookie, '198.51.100.7'), 200, 'reject only denies: the original IP still works');
  t.equal(await status(g, s.cookie, null), 401, 'the proxy itself (127.0.0.1) is another address');

  // A client can put anything in front; the trusted proxy appends the real address.
  t.equal(await status(g, s.cookie, '203.0.113.250, 198.51.100.7'), 200, 'the right-most untrusted address counts');
  t.equal(await status(g, s.cookie, '198.51.100.7, 203.0.113.250'), 401, 'a spoofed left-most entry does not help');

  // An access token bound to the login session is bound alike.
  const st = await request(g.url, '/t/acme/api/v1/session/token', {
    method: 'POST',
    headers: { host: DASH, cookie: s.cookie, 'x-csrf-token': s.csrf, 'x-forwarded-for': '198.51.100.7' },
  });
  const at = st.json<{ access_token: string }>().access_token;
  t.equal(await status(g, at, '198.51.100.7'), 200, 'its bearer token from the same IP');
  t.equal(await status(g, at, '198.51.100.9'), 401, 'its bearer token from another IP');

  const v6 = await signIn(g, '2001:db8::1');
  t.equal(await status(g, v6.cookie, '2001:0db8:0:0::1'), 200, 'IPv6: the same address written differently');
  t.equal(await status(g, v6.cookie, '2001:db8::2'), 401, 'IPv6: another address');
});

t.test('subnet: the same IPv4 /24 or IPv6 /64 passes, another network is refused', async (t) => {
  await settings(t, { ipBinding: 'subnet', ipBindingAction: 'reject' });
  const v4 = await signIn(g, '203.0.113.5');
  t.equal(await status(g, v4.cookie, '203.0.113.5'), 200);
  t.equal(await status(g, v4.cookie, '203.0.113.77'), 200, '203.0.113.5 → 203.0.113.77: same /24');
  t.equal(await status(g, v4.cookie, '203.0.114.5'), 401, '203.0.113.5 → 203.0.114.5: refused');
  t.equal(await status(g, v4.cookie, '::ffff:203.0.113.9'), 200, 'an IPv4-mapped IPv6 address compares as IPv4');
  t.equal(await status(g, v4.cookie, '2001:db8::5'), 401, 'IPv4 → IPv6: refused');

  const v6 = await signIn(g, '2001:db8:1:2::5');
  t.equal(await status(g, v6.cookie, '2001:db8:1:2:ffff:ffff:ffff:1'), 200, 'same /64');
  t.equal(await status(g, v6.cookie, '2001:db8:1:3::5'), 401, 'another /64: refused');
  t.equal(await status(g, v6.cookie, '203.0.113.5'), 401, 'IPv6 → IPv4: refused');
  t.equal(await status(g, v6.cookie, '2001:db8:1:2::9'), 200, 'reject: still usable from its network');
  t.ok(
    audits(g, 'ip_binding_mismatch').some((e) => e.sessionId === v6.sid && e.ip === '2001:db8:1:3::5'),
    'audited',
  );
});

t.test('ipBindingAction: revoke — after a mismatch the session is dead even from its own address', async (t) => {
  await settings(t, { ipBinding: 'exact', ipBindingAction: 'revoke' });
  const s = await signIn(g, '198.51.100.20');
  t.equal(await status(g, s.cookie, '198.51.100.20'), 200);
  t.equal(await status(g, s.cookie, '198.51.100.21'), 401, 'mismatch: 401');
  t.equal(await status(g, s.cookie, '198.51.100.20'), 401, 'the original IP: 401 too, the session is gone');
  t.equal(await g.gw.deps.store.getSession('acme', s.sid), null, 'removed from the store');
  t.match(
    audits(g, 'ip_binding_mismatch').find((e) => e.sessionId === s.sid),
    { ip: '198.51.100.21' },
  );
  t.match(
    audits(g, 'session_revoked').find((e) => e.sessionId === s.sid),
    { reason: 'ip_binding_mismatch', userId: 'u-bob' },
    'the revocation is audited',
  );

  await settings(t, { ipBinding: 'off', ipBindingAction: 'reject' });
  const free = await signIn(g, '198.51.100.30');
  t.equal(await status(g, free.cookie, '192.0.2.1'), 200, 'off: any address');
});

t.test("a cookie replayed from another address is refused by the gateway's own endpoints too", async (t) => {
  await settings(t, { ipBinding: 'exact', ipBindingAction: 'reject' });
  const s = await signIn(g, '198.51.100.60');
  const alice = await (async () => {
    const { jar } = await login(g.url, {
      username: 'alice',
      password: PASSWORDS.alice,
      headers: { 'x-forwarded-for': '198.51.100.61' },
    });
    const cookie = `gk_acme=${jar.get('gk_acme')}`;
    const r = await request(g.url, '/t/acme/api/v1/session', {
      headers: { host: DASH, cookie, 'x-forwarded-for': '198.51.100.61' },
    });
    return { cookie, csrf: r.json<{ csrfToken: string }>().csrfToken };
  })();
  const thief = { 'x-forwarded-for': '203.0.113.66' };
  const api = (method: string, path: string, headers: Record<string, string>) =>
    request(g.url, `/t/acme/api/v1${path}`, {
      method,
      headers: { host: DASH, accept: 'application/json', ...thief, ...headers },
    });

  t.equal(await status(g, s.cookie, '203.0.113.66'), 401, 'the app refuses the replayed cookie');
  t.equal(
    (await api('GET', '/session', { cookie: s.cookie })).status,
    401,
    'GET /api/v1/session (its CSRF token) from another address',
  );
  t.equal(
    (await api('POST', '/session/token', { cookie: s.cookie, 'x-csrf-token': s.csrf })).status,
    401,
    'POST /api/v1/session/token from another address',
  );
  t.equal(
    (await api('GET', '/me/sessions', { cookie: s.cookie })).status,
    401,
    'GET /me/sessions from another address',
  );
  const other = await signIn(g, '198.51.100.60');
  const ro = await api('POST', '/me/sessions/revoke-others', { cookie: s.cookie, 'x-csrf-token': s.csrf });
  t.equal(ro.status, 401, 'POST /me/sessions/revoke-others from another address');
  hasCode(t, ro, 'ERR_GK_UNAUTHENTICATED');
  t.equal(await status(g, other.cookie, '198.51.100.60'), 200, "and the user's other session survives");
  t.equal(
    (await api('GET', '/users', { cookie: alice.cookie })).status,
    401,
    "an admin's cookie at the admin API from another address",
  );
  t.equal(
    (await api('POST', '/users/u-bob/sessions/revoke-all', { cookie: alice.cookie, 'x-csrf-token': alice.csrf }))
      .status,
    401,
    'admin revoke-all from another address',
  );
  t.ok(
    audits(g, 'ip_binding_mismatch').some((e) => e.sessionId === s.sid && e.ip === '203.0.113.66'),
    'the app mismatch was audited',
  );
});

t.test('an untrusted peer cannot pick its address with X-Forwarded-For', async (t) => {
  // The test client connects from 127.0.0.1, which this gateway does not trust.
  const u = await startTestGateway({ trustedProxies: '[10.0.0.0/8]', settings: 'ipBinding: exact' });
  t.teardown(u.stop);
  const s = await signIn(u, '198.51.100.50');
  t.equal(await storedIp(u, s.sid), '127.0.0.1', 'the login records the peer address whatever XFF says');
  t.match(
    audits(u, 'login_succeeded').find((e) => e.sessionId === s.sid),
    { ip: '127.0.0.1' },
  );
  const spoofedSame = await app(u, s.cookie, '198.51.100.50');
  t.equal(spoofedSame.status, 200, 'XFF naming the address claimed at login: still judged as 127.0.0.1 → 200');
  t.equal(
    spoofedSame.json<{ headers: Record<string, string> }>().headers['x-forwarded-for'],
    '127.0.0.1',
    'and the app is told the real peer only',
  );
  t.equal(await status(u, s.cookie, '203.0.113.9'), 200, 'any other XFF: ignored, still 200');
  t.equal(await status(u, s.cookie, null), 200, 'no XFF: 200');
  t.equal(audits(u, 'ip_binding_mismatch').length, 0, 'never a mismatch');

  // The other way round: a session bound to 127.0.0.1 on the trusting gateway cannot be
  // replayed "from" 127.0.0.1 by a client that only claims it.
  await settings(t, { ipBinding: 'exact', ipBindingAction: 'reject' });
  const local = await signIn(g, null);
  t.equal(await storedIp(g, local.sid), '127.0.0.1');
  t.equal(await status(g, local.cookie, '203.0.113.9'), 401, 'through the trusted proxy the forwarded address counts');
});
