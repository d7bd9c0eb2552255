// The authenticate step on its own: the first authenticator that is responsible decides;
// what it found goes on the scope; no credential and a bad one are both "unauthenticated",
// a bad bearer token with the RFC 6750 flag. The proxy asks the cookie first, the
// gateway's own endpoints (`any`) the Authorization header first.
import t from 'tap';
import { bearerJwt } from '../../../src/authn/bearer-jwt.js';
import { cookieSession } from '../../../src/authn/cookie-session.js';
import { AUTHENTICATORS, authenticate, authenticateWith } from '../../../src/pipeline/steps/authenticate.js';
import { accessToken, saveSession, scopeFor, stepFixture } from '../../helpers/step-deps.js';

t.test('the proxy asks the session cookie, then the bearer token', async (t) => {
  t.same(
    AUTHENTICATORS.map((a) => a.name),
    ['cookie-session', 'bearer-jwt'],
  );
});

t.test('a valid cookie: session, user and credential on the scope', async (t) => {
  const f = await stepFixture(t);
  const s = await saveSession(f);
  const scope = scopeFor({ headers: { cookie: `gk_acme=${s.cookie}` } }, { tenant: f.acme });
  t.equal(await authenticate.run(scope, f.deps), undefined, 'goes on');
  t.equal(scope.session?.id, s.session.id);
  t.equal(scope.user?.id, 'u-bob');
  t.equal(scope.credential, 'cookie');
  t.equal(scope.token, undefined);
});

t.test('a client_credentials token: the token and credential, no session or user', async (t) => {
  const f = await stepFixture(t);
  const { token } = await accessToken(f, { subject: 'billing-service', clientId: 'billing-service' });
  const scope = scopeFor({ headers: { authorization: `Bearer ${token}` } }, { tenant: f.acme });
  t.equal(await authenticate.run(scope, f.deps), undefined);
  t.equal(scope.credential, 'bearer');
  t.equal(scope.token?.client_id, 'billing-service');
  t.equal(scope.session, undefined);
  t.equal(scope.user, undefined);
});

t.test('no credential at all is unauthenticated', async (t) => {
  const f = await stepFixture(t);
  t.same(await authenticate.run(scopeFor({}, { tenant: f.acme }), f.deps), {
    kind: 'deny',
    code: 'ERR_GK_UNAUTHENTICATED',
    reason: 'no_credential',
  });
});

t.test('a bad credential is unauthenticated with its reason; a bearer one carries the flag', async (t) => {
  const f = await stepFixture(t);
  const forged = scopeFor({ headers: { cookie: 'gk_acme=forged' } }, { tenant: f.acme });
  t.same(await authenticate.run(forged, f.deps), {
    kind: 'deny',
    code: 'ERR_GK_UNAUTHENTICATED',
    reason: 'invalid_session_cookie',
    bearer: false,
  });
  t.equal(forged.credential, undefined, 'nothing on the scope');
  const bad = scopeFor({ headers: { authorization: 'Bearer a.b.c' } }, { tenant: f.acme });
  t.match(await authenticate.run(bad, f.deps), { kind: 'deny', code: 'ERR_GK_UNAUTHENTICATED', bearer: true });
});

t.test('the first responsible authenticator decides; the next is not asked', async (t) => {
  const f = await stepFixture(t);
  const s = await saveSession(f);
  const { token } = await accessToken(f, { subject: 'billing-service', clientId: 'billing-service' });
  const both = { cookie: `gk_acme=${s.cookie}`, authorization: 'Bearer forged.token.here' };
  const proxy = scopeFor({ headers: both }, { tenant: f.acme });
  t.equal(await authenticate.run(proxy, f.deps), undefined, 'proxy: the valid cookie decides');
  t.equal(proxy.credential, 'cookie');
  const endpoint = authenticateWith([bearerJwt, cookieSession]);
  t.match(
    await endpoint.run(scopeFor({ headers: both }, { tenant: f.acme }), f.deps),
    { kind: 'deny', bearer: true },
    'endpoint (any): the bad bearer decides, the valid cookie does not rescue it',
  );
  const badCookie = { cookie: 'gk_acme=forged', authorization: `Bearer ${token}` };
  t.match(
    await authenticate.run(scopeFor({ headers: badCookie }, { tenant: f.acme }), f.deps),
    { kind: 'deny', reason: 'invalid_session_cookie' },
    'proxy: a bad cookie is not rescued by a valid token',
  );
  const cookieOnly = authenticateWith([cookieSession]);
  t.same(
    await cookieOnly.run(scopeFor({ headers: { authorization: `Bearer ${token}` } }, { tenant: f.acme }), f.deps),
    { kind: 'deny', code: 'ERR_GK_UNAUTHENTICATED', reason: 'no_credential' },
    'session-cookie endpoints never read the header',
  );
});
