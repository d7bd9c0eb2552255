// SPEC §2 path normalisation through the real proxy: every spelling of a protected path
// is matched as that path (and forwarded normalised), every ambiguous spelling is 400 and
// never reaches the upstream, and the query string never takes part in matching.
import t from 'tap';
import { rawRequest, request, type Response } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { startTestGateway, PASSWORDS } from '../helpers/gateway.js';
import { hasCode } from '../helpers/error-code.js';

const H = 'dashboard.acme.test';
const API = { host: H, accept: 'application/json' };
const BROWSER = { host: H, accept: 'text/html' };

const g = await startTestGateway();
t.teardown(g.stop);
const alice = (await login(g.url, { username: 'alice', password: PASSWORDS.alice })).jar;
const bob = (await login(g.url, { username: 'bob', password: PASSWORDS.bob })).jar;

/** Sends one request and reports whether the upstream saw anything because of it. */
async function probe(
  path: string,
  headers: Record<string, string>,
): Promise<{ res: Response; forwarded: { url: string; headers: Record<string, unknown> }[] }> {
  const before = g.upstream.seen.length;
  const res = await request(g.url, path, { headers });
  return { res, forwarded: g.upstream.seen.slice(before) };
}

const rawStatus = async (bytes: Buffer): Promise<number> => (await rawRequest(g.url, bytes)).status;

// Spellings of the admin area: [what is sent, what the upstream must receive].
const ADMIN_SPELLINGS: [string, string][] = [
  ['/admin', '/admin'],
  ['//admin', '/admin'],
  ['/./admin', '/admin'],
  ['/x/../admin', '/admin'],
  ['/x/%2e%2e/admin', '/admin'],
  ['/%61dmin', '/admin'],
  ['/admin;x', '/admin;x'],
  ['/admin/../admin/x', '/admin/x'],
  ['/public/../admin', '/admin'],
  ['/public/%2e%2e/admin', '/admin'],
];

t.test('every spelling of /admin is the /admin route', async (t) => {
  for (const [sent, normalised] of ADMIN_SPELLINGS) {
    t.test(sent, async (t) => {
      const api = await probe(sent, API);
      t.equal(api.res.status, 401, 'anonymous API request: 401');
      hasCode(t, api.res, 'ERR_GK_UNAUTHENTICATED');
      t.equal(api.res.json().error, 'invalid_token');
      t.equal(api.forwarded.length, 0, 'anonymous API request never reaches the upstream');

      const nav = await probe(sent, BROWSER);
      t.equal(nav.res.status, 302, 'anonymous browser: sent to login');
      t.match(nav.res.headers.location, /^\/t\/acme\/login\?rd=/);
      t.equal(nav.forwarded.length, 0, 'anonymous browser request never reaches the upstream');

      const asBob = await probe(sent, { ...API, cookie: bob.header() });
      t.equal(asBob.res.status, 403, 'bob (no admin role): 403');
      hasCode(t, asBob.res, 'ERR_GK_FORBIDDEN');
      t.equal(asBob.res.json().error, 'insufficient_scope');
      t.equal(asBob.forwarded.length, 0, "bob's request never reaches the upstream");

      const asAlice = await probe(sent, { ...API, cookie: alice.header() });
      t.equal(asAlice.res.status, 200, 'alice (admin): 200');
      t.equal(asAlice.forwarded.length, 1, 'forwarded exactly once');
      t.equal(asAlice.forwarded[0]?.url, normalised, `the upstream receives the normalised path ${normalised}`);
      t.equal(asAlice.forwarded[0]?.headers['x-auth-user'], 'u-alice');
    });
  }
});

t.test('/ADMIN is held to /admin/** as well (SPEC §2 case rule: apps like Express fold case)', async (t) => {
  const api = await probe('/ADMIN', API);
  t.equal(api.res.status, 401, 'still needs a login');
  t.equal(api.forwarded.length, 0);
  const nav = await probe('/ADMIN', BROWSER);
  t.equal(nav.res.status, 302);
  t.equal(nav.res.headers.location, `/t/acme/login?rd=${encodeURIComponent('http://dashboard.acme.test/ADMIN')}`);
  t.equal(nav.forwarded.length, 0);

  for (const spelling of ['/ADMIN', '/ADMIN/x', '/Admin/users', '/aDmIn', '/%41DMIN/x', '/x/../ADMIN']) {
    const asBob = await probe(spelling, { ...API, cookie: bob.header() });
    t.equal(asBob.res.status, 403, `bob (no admin role) is refused at ${spelling}`);
    hasCode(t, asBob.res, 'ERR_GK_FORBIDDEN', spelling);
    t.equal(asBob.forwarded.length, 0, `${spelling} never reaches the upstream for bob`);
  }

  const asAlice = await probe('/ADMIN/x', { ...API, cookie: alice.header() });
  t.equal(asAlice.res.status, 200, 'an admin passes');
  t.equal(asAlice.forwarded[0]?.url, '/ADMIN/x', 'the case is kept');
});

t.test('/PUBLIC/x is not made anonymous by /public/** (the stricter of both matches holds)', async (t) => {
  const anon = await probe('/PUBLIC/x', API);
  t.equal(anon.res.status, 401);
  t.equal(anon.forwarded.length, 0);
  const asBob = await probe('/PUBLIC/x', { ...API, cookie: bob.header() });
  t.equal(asBob.res.status, 200, 'with a login it is forwarded');
  t.equal(asBob.forwarded[0]?.headers['x-auth-user'], 'u-bob');
});

// Spellings whose meaning differs between servers: 400, never forwarded, for anyone.
const REJECTED = [
  '/public%2f..%2fadmin',
  '/public/..%2fadmin',
  '/a%2Fb',
  '/a%2fb',
  '/a\\b',
  '/public/..\\admin',
  '/a%5cb',
  '/a%5Cb',
  '/a%00b',
  '/public/x%00',
  '/a%zz',
  '/a%4',
  '/a%',
  '/..',
  '/../admin',
  '/public/../../admin',
  '/x/%2e%2e/%2e%2e/admin',
];

t.test('ambiguous spellings are 400 and never forwarded', async (t) => {
  for (const sent of REJECTED) {
    t.test(sent, async (t) => {
      const anon = await probe(sent, API);
      t.equal(anon.res.status, 400, 'anonymous: 400');
      t.equal(anon.res.json().error, 'invalid_request');
      hasCode(t, anon.res, 'ERR_GK_BAD_PATH');
      t.equal(anon.forwarded.length, 0, 'anonymous: not forwarded');
      const asAlice = await probe(sent, { ...API, cookie: alice.header() });
      t.equal(asAlice.res.status, 400, 'alice: 400 too');
      hasCode(t, asAlice.res, 'ERR_GK_BAD_PATH');
      t.equal(asAlice.forwarded.length, 0, 'alice: not forwarded');
    });
  }
});

t.test('a raw NUL in the request line is 400 and never forwarded', async (t) => {
  // node:http refuses to send it, so write the request line by hand.
  for (const path of ['/a\0b', '/public/\0', '/admin\0']) {
    const before = g.upstream.seen.length;
    const status = await rawStatus(
      Buffer.concat([
        Buffer.from('GET '),
        Buffer.from(path, 'latin1'),
        Buffer.from(` HTTP/1.1\r\nHost: ${H}\r\nCookie: ${alice.header()}\r\nConnection: close\r\n\r\n`),
      ]),
    );
    t.equal(status, 400, `${JSON.stringify(path)}: 400`);
    t.equal(g.upstream.seen.length, before, `${JSON.stringify(path)}: not forwarded`);
  }
  const ok = await request(g.url, '/public/still-up', { headers: API });
  t.equal(ok.status, 200, 'the gateway still answers afterwards');
});

t.test('anonymous routes are forwarded without a login', async (t) => {
  const pub = await probe('/public/x', API);
  t.equal(pub.res.status, 200);
  t.equal(pub.forwarded.length, 1);
  t.equal(pub.forwarded[0]?.url, '/public/x');
  t.equal(pub.forwarded[0]?.headers['x-auth-user'], undefined, 'no identity on an anonymous request');

  const dotted = await probe('/x/../public/%78', API);
  t.equal(dotted.res.status, 200, 'a normalised spelling of /public/x is anonymous too');
  t.equal(dotted.forwarded[0]?.url, '/public/x');

  const health = await probe('/healthz', API);
  t.equal(health.res.status, 200, '/healthz on an app host belongs to the app');
  t.equal(health.forwarded[0]?.url, '/healthz');
});

t.test('the query string never takes part in matching', async (t) => {
  const pub = await probe('/public/x?/admin', API);
  t.equal(pub.res.status, 200, '/public/x?/admin is still the anonymous /public/x');
  t.equal(pub.forwarded[0]?.url, '/public/x?/admin', 'the query is passed through untouched');

  const pubDots = await probe('/public/x?a=/../admin', API);
  t.equal(pubDots.res.status, 200);
  t.equal(pubDots.forwarded[0]?.url, '/public/x?a=/../admin', 'dot-segments in the query are not resolved');

  const anon = await probe('/admin?x=/public/', API);
  t.equal(anon.res.status, 401, '/admin?x=/public/ stays protected');
  t.equal(anon.forwarded.length, 0);

  const anon2 = await probe('/admin?/public/x', API);
  t.equal(anon2.res.status, 401);
  t.equal(anon2.forwarded.length, 0);

  const asBob = await probe('/admin?x=/public/', { ...API, cookie: bob.header() });
  t.equal(asBob.res.status, 403, 'and still needs the admin role');
  hasCode(t, asBob.res, 'ERR_GK_FORBIDDEN');
  t.equal(asBob.forwarded.length, 0);

  const asAlice = await probe('//admin?x=/public/', { ...API, cookie: alice.header() });
  t.equal(asAlice.res.status, 200);
  t.equal(asAlice.forwarded[0]?.url, '/admin?x=/public/', 'path normalised, query kept');
});

t.test('paths that only normalise to /t/{slug}/ never reach the app', async (t) => {
  const g = await startTestGateway();
  t.teardown(g.stop);
  const { jar } = await login(g.url, { username: 'bob', password: PASSWORDS.bob });
  for (const p of ['//t/acme/login', '/x/../t/acme/api/v1/session', '/%74/acme/login', '/t/./acme/login']) {
    const before = g.upstream.seen.length;
    const r = await request(g.url, p, {
      headers: { host: 'dashboard.acme.test', cookie: jar.header(), accept: 'application/json' },
    });
    t.equal(r.status, 400, `${p}: 400`);
    hasCode(t, r, 'ERR_GK_BAD_PATH', p);
    t.equal(g.upstream.seen.length, before, `${p}: the app never sees it`);
  }
  const other = await request(g.url, '//t/unknown-tenant/x', {
    headers: { host: 'dashboard.acme.test', cookie: jar.header() },
  });
  t.equal(other.status, 200, 'a /t/ path of no configured tenant is an ordinary app path');
});
