// SPEC §5 CSRF rule on every state-changing endpoint a login-session cookie can call (APIs,
// pages, logout, the session-token exchange): a cross-site request, or a missing, wrong or
// another session's token gets 403 and changes nothing — not the target, not the settings,
// and not even the caller's activity; the same request from this site with the token works.
import t from 'tap';
import { request, type Response } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { startTestGateway, PASSWORDS, SECRETS } from '../helpers/gateway.js';
import { hasCode } from '../helpers/error-code.js';
import { SETTINGS_FIELDS, valueAt } from '../../src/ui/settings-fields.js';

const DASH = 'dashboard.acme.test';
const g = await startTestGateway();
t.teardown(g.stop);

type H = Record<string, string>;
interface Signed {
  cookie: string;
  sid: string;
  csrf: string;
}

async function signIn(user: 'alice' | 'bob'): Promise<Signed> {
  const { jar, res } = await login(g.url, { username: user, password: PASSWORDS[user] });
  const v = jar.get('gk_acme');
  if (res.status !== 302 || !v) throw new Error(`login of ${user}: ${res.status}`);
  const cookie = `gk_acme=${v}`;
  const s = await request(g.url, '/t/acme/api/v1/session', { headers: { host: DASH, cookie } });
  return { cookie, sid: v.split('.')[0]!, csrf: s.json<{ csrfToken: string }>().csrfToken };
}

const adminToken = await (async () => {
  const res = await request(g.url, '/t/acme/api/v1/oauth/token', {
    method: 'POST',
    headers: {
      host: DASH,
      authorization: `Basic ${Buffer.from(`billing-service:${SECRETS.billing}`).toString('base64')}`,
    },
    form: { grant_type: 'client_credentials' },
  });
  return res.json<{ access_token: string }>().access_token;
})();
async function settings(): Promise<Record<string, unknown>> {
  const res = await request(g.url, '/t/acme/api/v1/configuration/auth-settings', {
    headers: { host: DASH, authorization: `Bearer ${adminToken}` },
  });
  return res.json<{ settings: Record<string, unknown> }>().settings;
}
const alive = async (sid: string): Promise<boolean> => (await g.gw.deps.store.getSession('acme', sid)) !== null;
const auditCount = (): number => g.logs.filter((l) => /"audit":"(session_revoked|settings_changed)"/.test(l)).length;

/** Per endpoint: alice (an admin) is the caller, alice2 her other session, bob a target. */
interface Fixture {
  alice: Signed;
  alice2: Signed;
  bob: Signed;
  settingsForm: Record<string, string>;
}

interface Endpoint {
  method: string;
  path: (f: Fixture) => string;
  /** api: the token goes in X-CSRF-Token; form: in the csrf_token field. */
  kind: 'api' | 'form';
  body?: (f: Fixture) => unknown;
  /** Whether the endpoint's effect happened (`res`: its answer, null before any success). */
  changed: (f: Fixture, res: Response | null) => Promise<boolean>;
}

const ENDPOINTS: Endpoint[] = [
  { method: 'POST', path: () => '/t/acme/logout', kind: 'form', changed: async (f) => !(await alive(f.alice.sid)) },
  {
    method: 'POST',
    path: () => '/t/acme/api/v1/session/token',
    kind: 'api',
    changed: async (_f, res) => res?.json<{ access_token?: unknown }>().access_token !== undefined,
  },
  {
    method: 'DELETE',
    path: (f) => `/t/acme/api/v1/me/sessions/${f.alice2.sid}`,
    kind: 'api',
    changed: async (f) => !(await alive(f.alice2.sid)),
  },
  {
    method: 'POST',
    path: () => '/t/acme/api/v1/me/sessions/revoke-others',
    kind: 'api',
    changed: async (f) => !(await alive(f.alice2.sid)),
  },
  {
    method: 'DELETE',
    path: (f) => `/t/acme/api/v1/users/u-bob/sessions/${f.bob.sid}`,
    kind: 'api',
    changed: async (f) => !(await alive(f.bob.sid)),
  },
  {
    method: 'POST',
    path: () => '/t/acme/api/v1/users/u-bob/sessions/revoke-all',
    kind: 'api',
    changed: async (f) => !(await alive(f.bob.sid)),
  },
  {
    method: 'PATCH',
    path: () => '/t/acme/api/v1/configuration/auth-settings',
    kind: 'api',
    body: () => ({ idleTimeout: '29m' }),
    changed: async () => (await settings()).idleTimeout === '29m',
  },
  {
    method: 'POST',
    path: (f) => `/t/acme/account/sessions/${f.alice2.sid}/revoke`,
    kind: 'form',
    changed: async (f) => !(await alive(f.alice2.sid)),
  },
  {
    method: 'POST',
    path: () => '/t/acme/account/sessions/revoke-others',
    kind: 'form',
    changed: async (f) => !(await alive(f.alice2.sid)),
  },
  {
    method: 'POST',
    path: (f) => `/t/acme/portal/access-management/users/u-bob/sessions/${f.bob.sid}/revoke`,
    kind: 'form',
    changed: async (f) => !(await alive(f.bob.sid)),
  },
  {
    method: 'POST',
    path: () => '/t/acme/portal/access-management/users/u-bob/revoke-all',
    kind: 'form',
    changed: async (f) => !(await alive(f.bob.sid)),
  },
  {
    method: 'POST',
    path: () => '/t/acme/portal/configuration/auth-settings',
    kind: 'form',
    body: (f) => ({ ...f.settingsForm, idleTimeout: '29m' }),
    changed: async () => (await settings()).idleTimeout === '29m',
  },
];

/** Sends one request as alice's browser would, with `token` (or none) where this endpoint takes it. */
function send(e: Endpoint, f: Fixture, token: string | null, headers: H = {}): Promise<Response> {
  const h: H = {
    host: DASH,
    accept: e.kind === 'form' ? 'text/html' : 'application/json',
    cookie: f.alice.cookie,
    ...headers,
  };
  const body = e.body?.(f);
  if (e.kind === 'form') {
    const form = { ...(body as Record<string, string> | undefined), ...(token !== null ? { csrf_token: token } : {}) };
    return request(g.url, e.path(f), { method: e.method, headers: h, form });
  }
  if (token !== null) h['x-csrf-token'] = token;
  if (body !== undefined) h['content-type'] = 'application/json';
  return request(g.url, e.path(f), {
    method: e.method,
    headers: h,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

const REFUSED: { name: string; token: (f: Fixture) => string | null; headers?: H }[] = [
  { name: 'a cross-site Origin', token: (f) => f.alice.csrf, headers: { origin: 'https://evil.test' } },
  { name: 'Origin null', token: (f) => f.alice.csrf, headers: { origin: 'null' } },
  { name: 'Sec-Fetch-Site: cross-site', token: (f) => f.alice.csrf, headers: { 'sec-fetch-site': 'cross-site' } },
  {
    name: 'a look-alike Origin',
    token: (f) => f.alice.csrf,
    headers: { origin: 'http://dashboard.acme.test.evil.test' },
  },
  { name: 'no token', token: () => null },
  { name: 'an empty token', token: () => '' },
  { name: 'a wrong token', token: (f) => 'A'.repeat(f.alice.csrf.length) },
  { name: "another session's token (same user)", token: (f) => f.alice2.csrf },
  { name: "another user's token", token: (f) => f.bob.csrf },
];

for (const e of ENDPOINTS) {
  const label = `${e.method} ${e.path({ alice: { sid: '{id}' }, alice2: { sid: '{id}' }, bob: { sid: '{id}' } } as unknown as Fixture)}`;
  t.test(label, async (t) => {
    const current = await settings();
    const settingsForm = Object.fromEntries(
      SETTINGS_FIELDS.flatMap((s) => {
        const v = valueAt(current, s.path);
        return s.kind === 'checkbox' && v === '' ? [] : [[s.path, v]];
      }),
    );
    const f: Fixture = {
      alice: await signIn('alice'),
      alice2: await signIn('alice'),
      bob: await signIn('bob'),
      settingsForm,
    };
    const lastActive = (await g.gw.deps.store.getSession('acme', f.alice.sid))!.lastActiveAt;
    g.clock.advance(61_000); // any request that counted as activity would now write it
    const audited = auditCount();

    for (const r of REFUSED) {
      const res = await send(e, f, r.token(f), { ...r.headers });
      t.equal(res.status, 403, `${r.name}: 403`);
      hasCode(t, res, 'ERR_GK_CSRF', r.name);
      t.notMatch(res.body, /access_token/, `${r.name}: no token issued`);
      t.equal(res.setCookies.length, 0, `${r.name}: no cookie set or cleared`);
    }
    t.notOk(await e.changed(f, null), 'nothing changed');
    t.ok(await alive(f.alice.sid), "the caller's session is alive");
    t.ok(await alive(f.alice2.sid), 'her other session is alive');
    t.ok(await alive(f.bob.sid), "bob's session is alive");
    t.equal(auditCount(), audited, 'no revocation or settings change audited');
    t.equal(
      (await g.gw.deps.store.getSession('acme', f.alice.sid))!.lastActiveAt,
      lastActive,
      'a refused request is not even activity',
    );

    const ok = await send(e, f, f.alice.csrf, { origin: `http://${DASH}`, 'sec-fetch-site': 'same-site' });
    t.ok([200, 204, 303].includes(ok.status), `from this site with the token: ${ok.status}`);
    t.ok(await e.changed(f, ok), 'and then it takes effect');
    if ((await settings()).idleTimeout !== '30m') {
      const back = await request(g.url, '/t/acme/api/v1/configuration/auth-settings', {
        method: 'PATCH',
        headers: { host: DASH, authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ idleTimeout: '30m' }),
      });
      t.equal(back.status, 200, 'settings restored');
    }
  });
}
