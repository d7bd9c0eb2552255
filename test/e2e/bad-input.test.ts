// SPEC §10: every malformed request gets a clear 4xx, never a 5xx, a crash or a leaked
// stack trace, and the gateway keeps serving afterwards.
import t, { type Test } from 'tap';
import { CookieJar, rawRequest, request, type RawResponse, type Response } from '../helpers/http.js';
import { formToken, login } from '../helpers/login.js';
import { startTestGateway, PASSWORDS } from '../helpers/gateway.js';
import { hasCode, rawCode } from '../helpers/error-code.js';

const H = 'dashboard.acme.test';
const API = { host: H, accept: 'application/json' };

const g = await startTestGateway();
t.teardown(g.stop);
const alice = (await login(g.url, { username: 'alice', password: PASSWORDS.alice })).jar;

const raw = (bytes: string | Buffer): Promise<RawResponse> => rawRequest(g.url, bytes);

/** After each bad request: the gateway still proxies, authenticates and serves its pages. */
async function stillWorks(t: Test): Promise<void> {
  const pub = await request(g.url, '/public/ok', { headers: API });
  t.equal(pub.status, 200, 'still proxies anonymous traffic');
  const authed = await request(g.url, '/x', { headers: { ...API, cookie: alice.header() } });
  t.equal(authed.status, 200, 'still authenticates');
  t.equal(authed.json<{ headers: Record<string, string> }>().headers['x-auth-user'], 'u-alice');
}

function noLeak(t: Test, res: { body: string }): void {
  t.notMatch(res.body, /\bat [^\n]+\.(?:ts|js):\d+/, 'no stack trace in the body');
}

async function loginForm(): Promise<{ jar: CookieJar; token: string }> {
  const jar = new CookieJar();
  const form = await request(g.url, '/t/acme/login', { headers: { host: H, accept: 'text/html' } });
  jar.take(form);
  return { jar, token: formToken(form.body) };
}

t.test('headers over maxHeaderBytes: 431', async (t) => {
  const res = await request(g.url, '/x', { headers: { ...API, 'x-big': 'a'.repeat(17 * 1024) } });
  t.equal(res.status, 431);
  hasCode(t, res, 'ERR_GK_HEADERS_TOO_LARGE', 'no body: the header carries the code');
  const many: Record<string, string> = { ...API };
  for (let i = 0; i < 40; i++) many[`x-h${i}`] = 'b'.repeat(500);
  t.equal((await request(g.url, '/x', { headers: many })).status, 431, 'many smaller headers adding up: 431 too');
  const cookie = await request(g.url, '/x', { headers: { ...API, cookie: `gk_acme=${'c'.repeat(17 * 1024)}` } });
  t.equal(cookie.status, 431, 'an oversized cookie: 431');
  hasCode(t, cookie, 'ERR_GK_HEADERS_TOO_LARGE');
  await stillWorks(t);
});

t.test('Host problems', async (t) => {
  const unknown = await request(g.url, '/x', { headers: { host: 'unknown.example', accept: 'application/json' } });
  t.equal(unknown.status, 404, 'unknown Host: 404');
  hasCode(t, unknown, 'ERR_GK_UNKNOWN_HOST');
  t.equal(unknown.json().error, 'not_found');
  const wildcardTooDeep = await request(g.url, '/x', {
    headers: { host: 'a.b.dash.acme.test', accept: 'application/json' },
  });
  t.equal(wildcardTooDeep.status, 404, '*.dash.acme.test matches exactly one label');
  const trailingDot = await request(g.url, '/x', {
    headers: { host: 'dashboard.acme.test.', accept: 'application/json' },
  });
  t.equal(trailingDot.status, 404, 'a trailing-dot host is not the app host');

  for (const bad of ['dashboard.acme.test:abc', 'dashboard.acme.test:80:80']) {
    const res = await request(g.url, '/x', {
      headers: { host: bad, accept: 'application/json', cookie: alice.header() },
    });
    t.ok(res.status < 500, `Host ${bad}: no 5xx`);
    t.equal(res.status, 400, `Host ${bad} (invalid port): 400, not routed to the app`);
    hasCode(t, res, 'ERR_GK_BAD_REQUEST');
  }
  const missing11 = await raw('GET /x HTTP/1.1\r\nAccept: application/json\r\nConnection: close\r\n\r\n');
  t.equal(missing11.status, 400, 'HTTP/1.1 without Host: 400');
  t.equal(rawCode(missing11), 'ERR_GK_BAD_REQUEST');
  // Refused for its Host, the connection closes: a request pipelined behind it is never read.
  const missingThenNext = await raw(
    `GET /x HTTP/1.1\r\nAccept: application/json\r\n\r\nGET /x HTTP/1.1\r\nHost: ${H}\r\nCookie: ${alice.header()}\r\nConnection: close\r\n\r\n`,
  );
  t.equal(missingThenNext.status, 400, 'HTTP/1.1 without Host, then a pipelined request: 400');
  t.match(missingThenNext.head, /\r\nconnection: close(?:\r\n|$)/i, 'the refusal says it closes');
  t.equal((missingThenNext.body.match(/HTTP\/1\.1 \d{3}/g) ?? []).length, 0, 'no second answer');
  const twoHostsThenNext = await raw(
    `GET /x HTTP/1.1\r\nHost: ${H}\r\nHost: unknown.example\r\nAccept: application/json\r\n\r\nGET /x HTTP/1.1\r\nHost: ${H}\r\nCookie: ${alice.header()}\r\nConnection: close\r\n\r\n`,
  );
  t.equal(twoHostsThenNext.status, 400, 'two Host headers, then a pipelined request: 400');
  t.equal((twoHostsThenNext.body.match(/HTTP\/1\.1 \d{3}/g) ?? []).length, 0, 'no second answer after two Hosts');
  const missing10 = await raw('GET /x HTTP/1.0\r\nAccept: application/json\r\n\r\n');
  t.equal(missing10.status, 404, 'HTTP/1.0 without Host: no app, 404');
  t.equal(rawCode(missing10), 'ERR_GK_UNKNOWN_HOST');
  t.match(missing10.body, /"error":"not_found"/);
  const empty = await raw('GET /x HTTP/1.1\r\nHost: \r\nAccept: application/json\r\nConnection: close\r\n\r\n');
  t.equal(empty.status, 400, 'an empty Host: 400 (RFC 9112 §3.2: invalid for an origin-form target)');
  t.equal(rawCode(empty), 'ERR_GK_BAD_REQUEST');
  const twoHosts = await raw(
    `GET /x HTTP/1.1\r\nHost: ${H}\r\nHost: unknown.example\r\nAccept: application/json\r\nConnection: close\r\n\r\n`,
  );
  t.equal(twoHosts.status, 400, 'two Host headers: 400 (RFC 9112 §3.2: MUST)');
  t.equal(rawCode(twoHosts), 'ERR_GK_BAD_REQUEST');
  const seenBefore = g.upstream.seen.length;
  const twoHostsAuthed = await raw(
    `GET /x HTTP/1.1\r\nHost: ${H}\r\nHost: unknown.example\r\nAccept: application/json\r\nCookie: ${alice.header()}\r\nConnection: close\r\n\r\n`,
  );
  t.equal(twoHostsAuthed.status, 400, 'two Host headers with a session: 400');
  t.equal(rawCode(twoHostsAuthed), 'ERR_GK_BAD_REQUEST');
  t.equal(g.upstream.seen.length, seenBefore, 'two Host headers with a session: never forwarded');
  await stillWorks(t);
});

t.test('unknown tenant and gateway routes', async (t) => {
  const before = g.upstream.seen.length;
  const anon = await request(g.url, '/t/nosuch/login', { headers: API });
  t.equal(anon.status, 401, "/t/nosuch/login on an app host is the app's path: /** needs a login");
  hasCode(t, anon, 'ERR_GK_UNAUTHENTICATED');
  const nav = await request(g.url, '/t/nosuch/login', { headers: { host: H, accept: 'text/html' } });
  t.equal(nav.status, 302);
  t.equal(nav.headers['x-auth-error-code'], 'ERR_GK_UNAUTHENTICATED', 'the redirect to login names why');
  t.equal(
    nav.headers.location,
    `/t/acme/login?rd=${encodeURIComponent('http://dashboard.acme.test/t/nosuch/login')}`,
    "sent to the app tenant's login",
  );
  t.equal(g.upstream.seen.length, before, 'not forwarded without a login');
  const authed = await request(g.url, '/t/nosuch/login', { headers: { ...API, cookie: alice.header() } });
  t.equal(authed.status, 200, 'with a login it is forwarded to the app');
  t.equal(authed.json().url, '/t/nosuch/login');

  const noApp = await request(g.url, '/t/nosuch/login', {
    headers: { host: 'gw.acme.test', accept: 'application/json' },
  });
  t.equal(noApp.status, 404, 'on a host that is no app: 404');
  hasCode(t, noApp, 'ERR_GK_UNKNOWN_HOST');
  const badSlug = await request(g.url, '/t/NOSUCH!/login', {
    headers: { host: 'gw.acme.test', accept: 'application/json' },
  });
  t.equal(badSlug.status, 404, 'an impossible slug: 404');
  hasCode(t, badSlug, 'ERR_GK_UNKNOWN_HOST');

  const nope = await request(g.url, '/t/acme/nope', { headers: API });
  t.equal(nope.status, 404, '/t/acme/nope: 404');
  hasCode(t, nope, 'ERR_GK_NOT_FOUND');
  t.equal(nope.json().error, 'not_found');
  const nested = await request(g.url, '/t/acme/login/extra', { headers: API });
  t.equal(nested.status, 404, '/t/acme/login/extra: 404');
  hasCode(t, nested, 'ERR_GK_NOT_FOUND');
  const del = await request(g.url, '/t/acme/login', { method: 'DELETE', headers: API });
  t.equal(del.status, 405, 'DELETE /t/acme/login: 405');
  hasCode(t, del, 'ERR_GK_METHOD_NOT_ALLOWED');
  const put = await request(g.url, '/t/acme/api/v1/session', { method: 'PUT', headers: API });
  t.equal(put.status, 405, 'PUT /t/acme/api/v1/session: 405');
  hasCode(t, put, 'ERR_GK_METHOD_NOT_ALLOWED');
  const sessionNoCookie = await request(g.url, '/t/acme/api/v1/session', { headers: API });
  t.equal(sessionNoCookie.status, 401, 'GET /t/acme/api/v1/session without a cookie: 401');
  hasCode(t, sessionNoCookie, 'ERR_GK_UNAUTHENTICATED');
  t.match(sessionNoCookie.headers['content-type'], /^application\/json/);
  t.equal(sessionNoCookie.json().error, 'invalid_token');
  t.equal(sessionNoCookie.headers['www-authenticate'], 'Bearer realm="acme"');
  await stillWorks(t);
});

t.test('bad login posts', async (t) => {
  const json = await request(g.url, '/t/acme/login', {
    method: 'POST',
    body: JSON.stringify({ username: 'alice', password: PASSWORDS.alice }),
    headers: { ...API, 'content-type': 'application/json' },
  });
  t.equal(json.status, 415, 'JSON content-type: 415');
  hasCode(t, json, 'ERR_GK_UNSUPPORTED_MEDIA_TYPE');
  noLeak(t, json);
  const noType = await request(g.url, '/t/acme/login', { method: 'POST', body: 'username=alice', headers: API });
  t.equal(noType.status, 415, 'no content-type: 415');
  hasCode(t, noType, 'ERR_GK_UNSUPPORTED_MEDIA_TYPE');

  const f = await loginForm();
  const big = await request(g.url, '/t/acme/login', {
    method: 'POST',
    body: `csrf_token=${f.token}&username=alice&password=${'p'.repeat(100 * 1024)}`,
    headers: { ...API, 'content-type': 'application/x-www-form-urlencoded', cookie: f.jar.header() },
  });
  t.equal(big.status, 413, 'a 100 KB body: 413');
  hasCode(t, big, 'ERR_GK_PAYLOAD_TOO_LARGE');
  t.notOk(
    big.setCookies.some((c) => c.startsWith('gk_acme=') && !c.startsWith('gk_acme=;')),
    'no session',
  );

  const chunked = await raw(
    `POST /t/acme/login HTTP/1.1\r\nHost: ${H}\r\nAccept: application/json\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nCookie: ${f.jar.header()}\r\nConnection: close\r\n\r\n` +
      `19000\r\n${'x'.repeat(0x19000)}\r\n0\r\n\r\n`,
  );
  t.equal(chunked.status, 413, 'a 100 KB chunked body without Content-Length: 413');
  t.equal(rawCode(chunked), 'ERR_GK_PAYLOAD_TOO_LARGE');

  const f2 = await loginForm();
  const twice = await request(g.url, '/t/acme/login', {
    method: 'POST',
    body: `csrf_token=${encodeURIComponent(f2.token)}&username=bob&username=alice&password=${encodeURIComponent(PASSWORDS.alice)}`,
    headers: { ...API, 'content-type': 'application/x-www-form-urlencoded', cookie: f2.jar.header() },
  });
  t.equal(twice.status, 400, 'repeated username: 400');
  hasCode(t, twice, 'ERR_GK_BAD_REQUEST');
  t.equal(twice.json().error, 'invalid_request');
  t.notOk(
    twice.setCookies.some((c) => /^gk_acme=[^;]/.test(c)),
    'no session',
  );

  const f3 = await loginForm();
  const badPct = await request(g.url, '/t/acme/login', {
    method: 'POST',
    body: `csrf_token=${encodeURIComponent(f3.token)}&username=al%zzice%&password=%E0%A4%A&rd=%`,
    headers: {
      host: H,
      accept: 'text/html',
      'content-type': 'application/x-www-form-urlencoded',
      cookie: f3.jar.header(),
    },
  });
  t.equal(
    badPct.status,
    401,
    'invalid percent-encoding in the form body: read leniently, a failed login (401 with the form)',
  );
  t.match(badPct.body, /Invalid username or password\./);
  hasCode(t, badPct, 'ERR_GK_LOGIN_FAILED');
  noLeak(t, badPct);

  const f4 = await loginForm();
  const badToken = await request(g.url, '/t/acme/login', {
    method: 'POST',
    body: `csrf_token=%zz&username=alice&password=${encodeURIComponent(PASSWORDS.alice)}`,
    headers: { ...API, 'content-type': 'application/x-www-form-urlencoded', cookie: f4.jar.header() },
  });
  t.equal(badToken.status, 403, 'an undecodable csrf_token: 403');
  hasCode(t, badToken, 'ERR_GK_CSRF');

  const f5 = await loginForm();
  const binary = await request(g.url, '/t/acme/login', {
    method: 'POST',
    body: Buffer.from([0xff, 0xfe, 0x00, 0x3d, 0x26, 0x80]).toString('latin1'),
    headers: { ...API, 'content-type': 'application/x-www-form-urlencoded', cookie: f5.jar.header() },
  });
  t.equal(binary.status, 403, 'a binary body (no csrf_token in it): 403');
  hasCode(t, binary, 'ERR_GK_CSRF');

  const f6 = await loginForm();
  const longName = await request(g.url, '/t/acme/login', {
    method: 'POST',
    form: { csrf_token: f6.token, username: 'a'.repeat(300), password: 'x' },
    headers: { ...API, cookie: f6.jar.header() },
  });
  t.ok(longName.status >= 400 && longName.status < 500, `an over-long username: 4xx (got ${longName.status})`);

  const wrongMethodBody = await request(g.url, '/t/acme/login', {
    method: 'POST',
    body: '{',
    headers: { ...API, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
  });
  t.equal(wrongMethodBody.status, 403, 'no nonce cookie, no token: 403');
  hasCode(t, wrongMethodBody, 'ERR_GK_CSRF');
  await stillWorks(t);
});

t.test('malformed request lines', async (t) => {
  const before = g.upstream.seen.length;
  const abs = await raw(
    `GET http://evil/ HTTP/1.1\r\nHost: ${H}\r\nAccept: application/json\r\nCookie: ${alice.header()}\r\nConnection: close\r\n\r\n`,
  );
  t.equal(abs.status, 400, 'absolute-form request target: 400');
  t.equal(rawCode(abs), 'ERR_GK_BAD_PATH');
  const absSame = await raw(
    `GET http://${H}/x HTTP/1.1\r\nHost: ${H}\r\nAccept: application/json\r\nCookie: ${alice.header()}\r\nConnection: close\r\n\r\n`,
  );
  t.equal(absSame.status, 400, 'absolute-form even for the same host: 400');
  t.equal(rawCode(absSame), 'ERR_GK_BAD_PATH');
  const asterisk = await raw(
    `OPTIONS * HTTP/1.1\r\nHost: ${H}\r\nAccept: application/json\r\nCookie: ${alice.header()}\r\nConnection: close\r\n\r\n`,
  );
  t.equal(asterisk.status, 400, 'asterisk-form: 400');
  t.equal(rawCode(asterisk), 'ERR_GK_BAD_PATH');
  const garbage = await raw('THIS IS NOT HTTP\r\n\r\n');
  t.equal(garbage.status, 400, 'garbage: 400');
  t.equal(rawCode(garbage), 'ERR_GK_BAD_REQUEST');
  const fragment = await raw(
    `GET /x#frag HTTP/1.1\r\nHost: ${H}\r\nCookie: ${alice.header()}\r\nConnection: close\r\n\r\n`,
  );
  t.equal(fragment.status, 400, 'a raw # in the target: 400');
  t.equal(rawCode(fragment), 'ERR_GK_BAD_PATH');
  const space = await raw(`GET /a b HTTP/1.1\r\nHost: ${H}\r\nConnection: close\r\n\r\n`);
  t.equal(space.status, 400, 'a space in the target: 400');
  t.equal(rawCode(space), 'ERR_GK_BAD_REQUEST');
  const badHeader = await raw(`GET /x HTTP/1.1\r\nHost: ${H}\r\nBad Header: x\r\nConnection: close\r\n\r\n`);
  t.equal(badHeader.status, 400, 'an invalid header name: 400');
  t.equal(rawCode(badHeader), 'ERR_GK_BAD_REQUEST');
  const cl = await raw(
    `POST /x HTTP/1.1\r\nHost: ${H}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n`,
  );
  t.equal(cl.status, 400, 'Content-Length with Transfer-Encoding (smuggling shape): 400');
  t.equal(rawCode(cl), 'ERR_GK_BAD_REQUEST');
  t.equal(g.upstream.seen.length, before, 'none of them reached the upstream');
  for (const r of [abs, absSame, asterisk, fragment]) noLeak(t, r);
  await stillWorks(t);
});

t.test('bad bearer and odd credentials are 401, not 5xx', async (t) => {
  const cases: Record<string, string>[] = [
    { authorization: 'Bearer not-a-jwt' },
    { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1LWFsaWNlIn0.' },
    { authorization: 'Bearer' },
    { authorization: 'Basic YWxpY2U6YWxpY2UtcGFzc3dvcmQ=' },
    { authorization: `Bearer ${'a'.repeat(8000)}` },
  ];
  for (const h of cases) {
    const res: Response = await request(g.url, '/x', { headers: { ...API, ...h } });
    t.equal(res.status, 401, `${h.authorization!.slice(0, 30)}: 401`);
    hasCode(t, res, 'ERR_GK_UNAUTHENTICATED');
    noLeak(t, res);
  }
  const inQuery = await request(g.url, '/x?access_token=eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1LWFsaWNlIn0.', {
    headers: API,
  });
  t.equal(inQuery.status, 401, '?access_token= is never read');
  hasCode(t, inQuery, 'ERR_GK_UNAUTHENTICATED');
  await stillWorks(t);
});
