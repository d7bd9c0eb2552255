// What the app behind the gateway can rely on (SPEC §2 case rule, §3.4, §3.5), each finding
// as a plain regression test on the anonymous, cookie, bearer and WebSocket paths (and
// forward-auth where it applies): the forwarding family only from trusted proxies, the
// rewrite family from nobody, no gateway cookie in either direction, a cookie-authenticated
// upgrade only from its own origin, and a path's case never changing its route's rule.
// The upstream is test/helpers/raw-upstream.ts, which records what an app parses.
import type { IncomingHttpHeaders } from 'node:http';
import t, { type Test } from 'tap';
import WebSocket from 'ws';
import { signInBob } from '../helpers/desync-property.js';
import { PASSWORDS, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { request, type Response } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { exchange } from '../helpers/raw-client.js';
import { startRawUpstream, type ParsedRequest } from '../helpers/raw-upstream.js';
import {
  authLike,
  FORWARDING_FAMILY,
  GATEWAY_COOKIE,
  HOST as H,
  PUBLIC_ORIGIN,
  REWRITE_HEADERS,
} from '../helpers/request-shapes.js';

const up = await startRawUpstream();
t.teardown(() => up.close());
/** Trusts loopback (the test client): X-Forwarded-* from it is believed. */
const g = await startTestGateway({ upstreamUrl: up.url });
t.teardown(() => g.stop());
/** Trusts 10.0.0.0/8 only: the test client is an untrusted peer. */
const g2 = await startTestGateway({ upstreamUrl: up.url, trustedProxies: '[10.0.0.0/8]' });
t.teardown(() => g2.stop());
const bob = await signInBob(g.url);
const bob2 = await signInBob(g2.url);
const JSON_ACCEPT = { host: H, accept: 'application/json' };

type Via = 'anonymous' | 'cookie' | 'bearer' | 'websocket';
const VIAS: Via[] = ['anonymous', 'cookie', 'bearer', 'websocket'];

function credentialFor(gw: TestGateway, via: Via): Record<string, string> {
  const b = gw === g ? bob : bob2;
  if (via === 'cookie' || via === 'websocket') return { cookie: `gk_acme=${b.creds.cookie}` };
  if (via === 'bearer') return { authorization: `Bearer ${b.creds.bearer}` };
  return {};
}

let seq = 0;

interface Through {
  status: number;
  /** What the app parsed for this request (null: nothing reached it). */
  rec: ParsedRequest | null;
  res?: Response;
}

/** A WebSocket upgrade through the gateway: 101 (and the app's record of it) or the refusal's status. */
function upgrade(
  gw: TestGateway,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; n?: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${gw.url.replace('http', 'ws')}${path}`, { headers: { host: H, ...headers } });
    ws.once('message', (m) => {
      resolve({ status: 101, n: (JSON.parse(String(m)) as { n: number }).n });
      ws.terminate();
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      res.resume();
      ws.terminate();
    });
    // After a refusal the client may still report the closed socket: never an unhandled 'error'.
    ws.on('error', reject);
  });
}

/** One request (or upgrade) by `via`; what the client got and what the app parsed for it. */
async function through(
  gw: TestGateway,
  via: Via,
  path: string,
  headers: Record<string, string> = {},
): Promise<Through> {
  const rid = `tb-${++seq}`;
  const mark = up.mark();
  const all = { ...credentialFor(gw, via), ...headers, 'x-request-id': rid };
  if (via === 'websocket') {
    const r = await upgrade(gw, path, all);
    await up.settled();
    const seen = up.since(mark);
    return { status: r.status, rec: seen.find((x) => x.n === r.n) ?? seen.find((x) => x.upgrade) ?? null };
  }
  const res = await request(gw.url, path, { headers: { ...JSON_ACCEPT, ...all } });
  await up.settled();
  return { status: res.status, rec: up.since(mark).find((x) => x.rid === rid) ?? null, res };
}

function pathFor(via: Via): string {
  return via === 'anonymous' ? '/public/a' : via === 'websocket' ? '/ws' : '/reports';
}

const FAMILY_SENT: Record<string, string> = {
  forwarded: 'for=1.2.3.4;host=evil.example;proto=https',
  'x-real-ip': '1.2.3.4',
  'true-client-ip': '1.2.3.4',
  'x-client-ip': '1.2.3.4',
  'x-cluster-client-ip': '1.2.3.4',
  'cf-connecting-ip': '1.2.3.4',
  'fastly-client-ip': '1.2.3.4',
  'x-forwarded-port': '8443',
  'x-forwarded-prefix': '/admin',
  'x-forwarded-server': 'evil.example',
  'x-forwarded-for': '1.2.3.4',
  'x-forwarded-proto': 'https',
  'x-forwarded-host': 'evil.example',
};

const REWRITES_SENT: Record<string, string> = {
  'x-original-url': '/admin/x',
  'x-original-uri': '/admin/x',
  'x-rewrite-url': '/admin/x',
  'x-original-method': 'DELETE',
  'x-http-method-override': 'DELETE',
  'x-http-method': 'PUT',
  'x-method-override': 'PATCH',
};

function present(h: IncomingHttpHeaders, names: readonly string[]): string[] {
  return names.filter((n) => h[n] !== undefined);
}

t.test('the forwarding family from an untrusted peer never reaches the app (finding 3)', async (t) => {
  for (const via of VIAS) {
    const r = await through(g2, via, pathFor(via), FAMILY_SENT);
    t.equal(r.status, via === 'websocket' ? 101 : 200, `${via}: forwarded`);
    if (!r.rec) {
      t.fail(`${via}: the app saw nothing`);
      continue;
    }
    t.same(present(r.rec.headers, FORWARDING_FAMILY), [], `${via}: none of ${FORWARDING_FAMILY.join(', ')}`);
    t.equal(r.rec.headers['x-forwarded-for'], '127.0.0.1', `${via}: X-Forwarded-For is the peer`);
    t.equal(r.rec.headers['x-forwarded-proto'], 'http', `${via}: X-Forwarded-Proto is the connection's`);
    t.equal(r.rec.headers['x-forwarded-host'], H, `${via}: X-Forwarded-Host is the request's Host`);
  }
});

t.test('the rewrite family never reaches the app, from any peer (finding 3)', async (t) => {
  for (const [gw, peer] of [
    [g, 'trusted'],
    [g2, 'untrusted'],
  ] as const) {
    for (const via of VIAS) {
      const r = await through(gw, via, pathFor(via), REWRITES_SENT);
      t.equal(r.status, via === 'websocket' ? 101 : 200, `${peer} ${via}: forwarded`);
      if (!r.rec) {
        t.fail(`${peer} ${via}: the app saw nothing`);
        continue;
      }
      t.same(present(r.rec.headers, REWRITE_HEADERS), [], `${peer} ${via}: none of ${REWRITE_HEADERS.join(', ')}`);
      t.equal(r.rec.method, 'GET', `${peer} ${via}: the method decided on`);
      t.equal(r.rec.url, pathFor(via), `${peer} ${via}: the path decided on`);
    }
  }
});

const FOREIGN_COOKIES =
  'theme=dark; gk_globex=g1; __Host-gk_globex=h1; __Secure-gk_acme=s1; __Host-gk_acme=h2; gk_acme_login=n1; gk_globex_login=n2; lang=en';

function gatewayCookiesIn(h: IncomingHttpHeaders): string[] {
  return String(h.cookie ?? '')
    .split(';')
    .map((c) => c.split('=', 1)[0]!.trim())
    .filter((n) => GATEWAY_COOKIE.test(n));
}

t.test("no tenant's gateway cookie reaches the app (finding 4)", async (t) => {
  for (const via of VIAS) {
    const cred = credentialFor(g, via).cookie;
    const r = await through(g, via, pathFor(via), { cookie: cred ? `${FOREIGN_COOKIES}; ${cred}` : FOREIGN_COOKIES });
    t.equal(r.status, via === 'websocket' ? 101 : 200, `${via}: forwarded`);
    if (!r.rec) {
      t.fail(`${via}: the app saw nothing`);
      continue;
    }
    t.same(gatewayCookiesIn(r.rec.headers), [], `${via}: no gk_* cookie of any tenant, prefix or login flow`);
    t.equal(r.rec.headers.cookie, 'theme=dark; lang=en', `${via}: the app's own cookies pass, in order`);
  }

  // Another tenant's app: the acme cookies are as foreign there as globex's are here.
  const globex = await login(g.url, {
    host: 'portal.globex.test',
    slug: 'globex',
    username: 'alice',
    password: PASSWORDS.eve,
  });
  const own = globex.jar.get('gk_globex');
  t.ok(own, 'signed in on globex');
  const rid = `tb-${++seq}`;
  const mark = up.mark();
  const res = await request(g.url, '/anything', {
    // Globex's own session cookie first (the gateway reads the first gk_globex), then acme's and the rest.
    headers: {
      host: 'portal.globex.test',
      accept: 'application/json',
      'x-request-id': rid,
      cookie: `gk_globex=${String(own)}; gk_acme=${bob.creds.cookie}; ${FOREIGN_COOKIES}`,
    },
  });
  await up.settled();
  t.equal(res.status, 200, 'globex: forwarded');
  const rec = up.since(mark).find((x) => x.rid === rid);
  t.same(
    rec ? gatewayCookiesIn(rec.headers) : ['(nothing reached the app)'],
    [],
    'globex: no gk_* cookie reaches its app either',
  );
});

/** Set-Cookie lines an app (or an attacker controlling it) could send. */
const PLANTED = [
  '=gk_acme=planted; Path=/',
  ' =gk_acme=planted; Path=/',
  'gk_acme =planted; Path=/',
  '__Host-gk_acme=planted; Path=/; Secure',
  '__Secure-gk_acme=planted; Path=/; Secure',
  'gk_globex=planted; Path=/',
  '__Host-gk_globex=planted; Path=/; Secure',
  'gk_acme_login=planted; Path=/',
];
const KEPT = ['app_cookie=1; Path=/', 'my_gk_acme=1; Path=/'];

/** The name a browser stores a Set-Cookie under; the nameless `=a=b` form is sent back as `a=b`. */
function browserName(line: string): string {
  const pair = line.split(';', 1)[0]!;
  const eq = pair.indexOf('=');
  const name = (eq < 0 ? '' : pair.slice(0, eq)).trim();
  if (name !== '') return name;
  const value = (eq < 0 ? pair : pair.slice(eq + 1)).trim();
  return value.split('=', 1)[0]!.trim();
}

t.test('an upstream Set-Cookie a browser would store as a gateway cookie is dropped (finding 4)', async (t) => {
  up.answer = (rec, res) => {
    if (!rec.url.includes('/set-cookies')) return false;
    res.writeHead(200, { 'content-type': 'text/plain', 'set-cookie': [...PLANTED, ...KEPT] });
    res.end('ok');
    return true;
  };
  t.teardown(() => {
    up.answer = null;
  });
  for (const via of ['anonymous', 'cookie', 'bearer'] as const) {
    const path = via === 'anonymous' ? '/public/set-cookies' : '/set-cookies';
    const r = await through(g, via, path);
    t.equal(r.status, 200, `${via}: answered`);
    const got = r.res?.setCookies ?? [];
    t.same(
      got.map(browserName).filter((n) => GATEWAY_COOKIE.test(n)),
      [],
      `${via}: no Set-Cookie stored under a gk_* name (got ${JSON.stringify(got)})`,
    );
    t.same(got.map(browserName), ['app_cookie', 'my_gk_acme'], `${via}: the app's other cookies pass`);
  }

  // The 101 of a WebSocket handshake carries headers too.
  up.upgradeHeaders = PLANTED.concat(KEPT).map((c) => `Set-Cookie: ${c}`);
  t.teardown(() => {
    up.upgradeHeaders = [];
  });
  const ex = await exchange(
    g.url,
    `GET /ws HTTP/1.1\r\nHost: ${H}\r\nCookie: gk_acme=${bob.creds.cookie}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    { methods: ['GET'] },
  );
  const res101 = ex.responses[0];
  t.equal(res101?.status, 101, 'websocket: switched');
  const names = (res101?.headers['set-cookie'] ?? []).map(browserName);
  t.same(
    names.filter((n) => GATEWAY_COOKIE.test(n)),
    [],
    `websocket: no Set-Cookie stored under a gk_* name on the 101 (got ${JSON.stringify(names)})`,
  );
});

t.test(
  'a cookie-authenticated WebSocket upgrade from a foreign Origin: 403, nothing upstream (finding 2)',
  async (t) => {
    const cookie = { cookie: `gk_acme=${bob.creds.cookie}` };
    const refused = [
      'http://evil.example',
      'null',
      `https://${H}`,
      `http://${H}.evil.example`,
      `http://${H}:8080`,
      'http://gw.acme.test.evil.example',
    ];
    for (const origin of refused) {
      const mark = up.mark();
      const r = await upgrade(g, '/ws', { ...cookie, origin });
      await up.settled();
      t.equal(r.status, 403, `cookie + Origin ${origin}: 403`);
      t.same(
        up.since(mark).map((x) => `${x.method} ${x.url}`),
        [],
        `cookie + Origin ${origin}: nothing reached the app`,
      );
    }
    const allowed: [string, Record<string, string>][] = [
      ["the request's own origin", { ...cookie, origin: `http://${H}` }],
      ['the publicUrl origin', { ...cookie, origin: PUBLIC_ORIGIN }],
      ['no Origin (not a browser)', cookie],
      [
        'a bearer token with a foreign Origin (no ambient credential)',
        { authorization: `Bearer ${bob.creds.bearer}`, origin: 'http://evil.example' },
      ],
    ];
    for (const [name, headers] of allowed) {
      const r = await upgrade(g, '/ws', headers);
      t.equal(r.status, 101, `${name}: 101`);
      const rec = r.n === undefined ? undefined : up.requests[r.n];
      t.equal(rec?.headers['x-auth-user'], 'u-bob', `${name}: the app gets bob's identity`);
    }
  },
);

t.test("a path's case never changes its route's rule (finding 7, SPEC §2)", async (t) => {
  const refusedForBob = ['/ADMIN/x', '/Admin/x', '/ADMIN', '/aDmIn/reports'];
  for (const via of ['cookie', 'bearer', 'websocket'] as const) {
    for (const path of refusedForBob) {
      const r = await through(g, via, path);
      t.equal(r.status, 403, `${via} ${path}: bob (no admin role) gets 403`);
      t.equal(r.rec, null, `${via} ${path}: nothing reached the app`);
    }
  }
  for (const path of ['/PUBLIC/x', '/Public/x', '/PUBLIC']) {
    const anon = await through(g, 'anonymous', path);
    t.equal(anon.status, 401, `anonymous ${path}: not anonymous, 401`);
    t.equal(anon.rec, null, `anonymous ${path}: nothing reached the app`);
    const mark = up.mark();
    const ws = await upgrade(g, `${path}/ws`, {});
    await up.settled();
    t.equal(ws.status, 401, `anonymous upgrade ${path}/ws: 401`);
    t.same(
      up.since(mark).map((x) => x.url),
      [],
      `anonymous upgrade ${path}/ws: nothing reached the app`,
    );
    for (const via of ['cookie', 'bearer'] as const) {
      const r = await through(g, via, path);
      t.equal(r.status, 200, `${via} ${path}: forwarded as an authenticated route`);
      t.equal(r.rec?.headers['x-auth-user'], 'u-bob', `${via} ${path}: with bob's identity`);
    }
  }
  const browser = await request(g.url, '/PUBLIC/x', { headers: { host: H, accept: 'text/html' } });
  t.equal(browser.status, 302, 'a browser asking for /PUBLIC/x is sent to the login');
  t.match(browser.headers.location, /\/t\/acme\/login\?/);
});

t.test('forward-auth (nginx form) applies the same case rule (finding 7)', async (t) => {
  const ask = (uri: string, extra: Record<string, string> = {}): Promise<Response> =>
    request(g.url, '/t/acme/auth', {
      headers: {
        ...JSON_ACCEPT,
        'x-forwarded-proto': 'http',
        'x-original-uri': uri,
        'x-original-method': 'GET',
        ...extra,
      },
    });
  const cookie = { cookie: `gk_acme=${bob.creds.cookie}` };
  const bearer = { authorization: `Bearer ${bob.creds.bearer}` };
  for (const cred of [cookie, bearer]) {
    const kind = cred === cookie ? 'cookie' : 'bearer';
    for (const uri of ['/ADMIN/x', '/Admin/x']) {
      const r = await ask(uri, cred);
      t.equal(r.status, 403, `${kind} ${uri}: 403`);
      // X-Auth-Error-Code names the refusal (docs/errors.md); it is never on an allowed answer.
      t.same(
        authLike(r.headers).filter((n) => n !== 'x-auth-error-code'),
        [],
        `${kind} ${uri}: no identity headers`,
      );
      t.equal(r.headers['x-auth-error-code'], 'ERR_GK_FORBIDDEN', `${kind} ${uri}: only the refusal's code`);
    }
    const pub = await ask('/PUBLIC/x', cred);
    t.equal(pub.status, 200, `${kind} /PUBLIC/x: allowed as an authenticated route`);
    t.equal(pub.headers['x-auth-user'], 'u-bob', `${kind} /PUBLIC/x: with bob's identity`);
  }
  const anon = await ask('/PUBLIC/x');
  t.equal(anon.status, 401, 'anonymous /PUBLIC/x: 401, not anonymous');
  const lower = await ask('/public/x');
  t.equal(lower.status, 200, 'control: anonymous /public/x is allowed');
});

t.test('identity headers are the gateway’s only, on every path (SPEC §3.4, §7)', async (t: Test) => {
  const spoof = { 'x-auth-user': 'u-alice', x_auth_roles: 'admin', 'X-AUTH-SESSION': 'sess_forged' };
  for (const via of VIAS) {
    const r = await through(g, via, pathFor(via), spoof);
    if (!r.rec) {
      t.fail(`${via}: the app saw nothing`);
      continue;
    }
    const names = authLike(r.rec.headers);
    if (via === 'anonymous') t.same(names, [], 'anonymous: no X-Auth-* at all');
    else {
      t.equal(r.rec.headers['x-auth-user'], 'u-bob', `${via}: X-Auth-User is bob`);
      t.equal(r.rec.headers['x-auth-roles'], '', `${via}: X-Auth-Roles is bob's (none)`);
      t.equal(r.rec.headers['x-auth-session'], bob.sid, `${via}: X-Auth-Session is bob's session`);
      t.notOk(names.includes('x_auth_roles'), `${via}: no underscore spelling`);
    }
  }
});
