// The catalogue code of an error answer where the other e2e tests do not look: the access-log
// and refusal log lines, the generic error page and the portal's pages, the settings API's 422,
// a refused WebSocket upgrade (no body: the header only), an unreachable app and /readyz.
import t from 'tap';
import { hasCode, rawCode } from '../helpers/error-code.js';
import { startTestGateway, PASSWORDS, SECRETS } from '../helpers/gateway.js';
import { rawRequest, request } from '../helpers/http.js';
import { login } from '../helpers/login.js';
import { freePort } from '../helpers/net.js';

const H = 'dashboard.acme.test';
const GW = 'gw.acme.test';

const g = await startTestGateway();
t.teardown(g.stop);
const alice = (await login(g.url, { username: 'alice', password: PASSWORDS.alice })).jar;
const bob = (await login(g.url, { username: 'bob', password: PASSWORDS.bob })).jar;

/** The JSON log lines written so far with this request id. */
function logLines(reqId: string): Record<string, unknown>[] {
  return g.logs.flatMap((l) => {
    const o = JSON.parse(l) as Record<string, unknown>;
    return o.reqId === reqId ? [o] : [];
  });
}

t.test('log lines carry the code: the access line of an error answer, and the refusal line', async (t) => {
  const missing = await request(g.url, '/t/acme/nope', {
    headers: { host: H, accept: 'application/json', 'x-request-id': 'h4-missing' },
  });
  hasCode(t, missing, 'ERR_GK_NOT_FOUND');
  t.match(logLines('h4-missing'), [{ msg: 'request', status: 404, code: 'ERR_GK_NOT_FOUND' }], 'access line');

  const forbidden = await request(g.url, '/admin/x', {
    headers: { host: H, accept: 'application/json', cookie: bob.header(), 'x-request-id': 'h4-forbidden' },
  });
  t.equal(forbidden.status, 403);
  hasCode(t, forbidden, 'ERR_GK_FORBIDDEN');
  const lines = logLines('h4-forbidden');
  t.match(
    lines.find((l) => l.msg === 'request refused'),
    { code: 'ERR_GK_FORBIDDEN', reason: 'missing_role' },
    'the refusal line names the code and the reason',
  );
  t.match(
    lines.find((l) => l.msg === 'request'),
    { status: 403, code: 'ERR_GK_FORBIDDEN' },
    'access line',
  );

  const fine = await request(g.url, '/x', {
    headers: { host: H, accept: 'application/json', cookie: alice.header(), 'x-request-id': 'h4-fine' },
  });
  t.equal(fine.status, 200);
  t.equal(fine.headers['x-auth-error-code'], undefined, 'no code on a success');
  const access = logLines('h4-fine').find((l) => l.msg === 'request');
  t.ok(access && !('code' in access), 'no code in the access line of a success');
});

t.test('HTML error pages show the code in small print', async (t) => {
  const generic = await request(g.url, '/t/acme/nope', { headers: { host: H, accept: 'text/html' } });
  t.equal(generic.status, 404);
  hasCode(t, generic, 'ERR_GK_NOT_FOUND', 'generic page');

  const portal = await request(g.url, '/t/acme/portal/access-management/users', {
    headers: { host: GW, accept: 'text/html', cookie: bob.header() },
  });
  t.equal(portal.status, 403, 'the portal for a non-admin');
  hasCode(t, portal, 'ERR_GK_FORBIDDEN', 'forbidden page');

  const nobody = await request(g.url, '/t/acme/portal/access-management/users/u-nobody', {
    headers: { host: GW, accept: 'text/html', cookie: alice.header() },
  });
  t.equal(nobody.status, 404, 'an unknown user');
  hasCode(t, nobody, 'ERR_GK_NOT_FOUND', 'not-found page');

  const wrong = await login(g.url, { username: 'alice', password: 'not-her-password' });
  t.equal(wrong.res.status, 401);
  hasCode(t, wrong.res, 'ERR_GK_LOGIN_FAILED', 'login form');
});

t.test('the settings API: 422 keeps its errors list and adds the code', async (t) => {
  const session = await request(g.url, '/t/acme/api/v1/session', { headers: { host: GW, cookie: alice.header() } });
  const csrf = session.json<{ csrfToken: string }>().csrfToken;
  const res = await request(g.url, '/t/acme/api/v1/configuration/auth-settings', {
    method: 'PATCH',
    body: JSON.stringify({ idleTimeout: 'soon' }),
    headers: { host: GW, cookie: alice.header(), 'x-csrf-token': csrf, 'content-type': 'application/json' },
  });
  t.equal(res.status, 422);
  hasCode(t, res, 'ERR_GK_SETTINGS_INVALID');
  t.match(res.json(), { errors: [{ path: 'idleTimeout' }] }, 'every problem at its path, as before');
});

t.test('a refused WebSocket upgrade has no body: the header carries the code', async (t) => {
  const res = await rawRequest(
    g.url,
    `GET /ws HTTP/1.1\r\nHost: ${H}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: https://evil.test\r\nCookie: ${alice.header()}\r\n\r\n`,
  );
  t.equal(res.status, 403, 'a cookie upgrade from another origin');
  t.equal(rawCode(res), 'ERR_GK_CROSS_ORIGIN');
  t.equal(res.body, '', 'no body');
});

t.test('an unreachable app: 502 ERR_GK_UPSTREAM_UNREACHABLE', async (t) => {
  const down = await startTestGateway({ upstreamUrl: `http://127.0.0.1:${await freePort()}` });
  t.teardown(down.stop);
  const res = await request(down.url, '/public/x', { headers: { host: H, accept: 'application/json' } });
  t.equal(res.status, 502);
  hasCode(t, res, 'ERR_GK_UPSTREAM_UNREACHABLE');
  t.match(
    down.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'upstream error'),
    { code: 'ERR_GK_UPSTREAM_UNREACHABLE' },
    'logged with its code',
  );
});

t.test('an app that does not answer in time: 504 ERR_GK_UPSTREAM_TIMEOUT', async (t) => {
  // The dashboard's timeout is 1 s; the test upstream never answers /hang.
  const res = await request(g.url, '/hang', {
    headers: { host: H, accept: 'application/json', cookie: alice.header() },
  });
  t.equal(res.status, 504);
  hasCode(t, res, 'ERR_GK_UPSTREAM_TIMEOUT');
});

t.test('a request that cannot be forwarded as one: 400 ERR_GK_BAD_FRAMING', async (t) => {
  const res = await rawRequest(
    g.url,
    `GET /public/x HTTP/1.1\r\nHost: ${H}\r\nAccept: application/json\r\nConnection: close, X-Auth-User\r\n\r\n`,
  );
  t.equal(res.status, 400, 'Connection naming an identity header');
  t.equal(rawCode(res), 'ERR_GK_BAD_FRAMING');
  t.match(JSON.parse(res.body), { error: 'invalid_request', code: 'ERR_GK_BAD_FRAMING' });
});

t.test('the token endpoint: an unknown grant type is ERR_GK_OAUTH_UNSUPPORTED_GRANT_TYPE', async (t) => {
  const res = await request(g.url, '/t/acme/api/v1/oauth/token', {
    method: 'POST',
    form: { grant_type: 'password', username: 'alice', password: PASSWORDS.alice },
    headers: {
      host: GW,
      authorization: `Basic ${Buffer.from(`billing-service:${SECRETS.billing}`).toString('base64')}`,
    },
  });
  t.equal(res.status, 400);
  t.match(res.json(), { error: 'unsupported_grant_type' }, 'the RFC 6749 error as before');
  hasCode(t, res, 'ERR_GK_OAUTH_UNSUPPORTED_GRANT_TYPE');
});

// Last: it marks the gateway as stopping.
t.test('/readyz while shutting down: 503 ERR_GK_SHUTTING_DOWN', async (t) => {
  g.gw.deps.shuttingDown = true;
  const res = await request(g.url, '/readyz', { headers: { host: 'localhost' } });
  t.equal(res.status, 503);
  t.match(res.json(), { status: 'shutting_down' });
  hasCode(t, res, 'ERR_GK_SHUTTING_DOWN');
});
