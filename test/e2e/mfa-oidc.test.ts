// A second factor after an identity provider (SPEC §12 + §13), through a real OpenID
// Provider: a user signed in at the IdP enrols TOTP; the next sign-in at the IdP goes on to
// the second step (no session before it, the callback not replayable into one), and the
// session then records authMethod `oidc:corp` and amr [fed, otp, mfa].
import t from 'tap';
import { CookieJar, request, type Response } from '../helpers/http.js';
import { formToken } from '../helpers/login.js';
import { codeAt, field } from '../helpers/mfa.js';
import { callbackAt, oidcSignIn, startOidc } from '../helpers/oidc.js';

const s = await startOidc();
t.teardown(s.stop);
const g = s.g;

const page = (jar: CookieJar, accept = 'text/html') => ({
  host: s.appHost,
  accept,
  cookie: jar.header(),
  origin: `http://${s.appHost}`,
});

async function get(jar: CookieJar, path: string): Promise<Response> {
  const res = await request(g.url, path, { headers: page(jar) });
  jar.take(res);
  return res;
}

async function post(jar: CookieJar, path: string, form: Record<string, string>): Promise<Response> {
  const res = await request(g.url, path, { method: 'POST', form, headers: page(jar) });
  jar.take(res);
  return res;
}

type SessionJson = { userId: string; authMethod: string; amr: string[]; mfaVerified: boolean };
const sessionOf = async (jar: CookieJar): Promise<Response> =>
  request(g.url, '/t/acme/api/v1/session', { headers: page(jar, 'application/json') });

t.test('an IdP user with TOTP goes through the second step after the IdP', async (t) => {
  // First sign-in: no factor yet, a session at once; TOTP enrolled on the security page.
  const first = await oidcSignIn(s, 'dave');
  t.equal(first.res.status, 302);
  t.ok(first.jar.get('gk_acme'), 'signed in through the IdP');
  const one = (await sessionOf(first.jar)).json<{ session: SessionJson }>().session;
  t.match(one, { authMethod: 'oidc:corp', amr: ['fed'], mfaVerified: false });
  const userId = one.userId;
  t.match(userId, /^corp:/);

  const setup = await get(first.jar, '/t/acme/account/security/totp');
  t.equal(setup.status, 200, 'the setup page for an IdP user');
  const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(setup.body)![1]!.replace(/ /g, '');
  const enrolled = await post(first.jar, '/t/acme/account/security/totp', {
    csrf_token: field(setup.body, 'csrf_token'),
    pending: field(setup.body, 'pending'),
    code: codeAt(secret, g.clock.now()),
  });
  t.equal(enrolled.status, 200, 'enrolled: the recovery codes');
  t.same(
    (await g.gw.deps.factors.listFactors('acme', userId)).map((f) => f.kind),
    ['totp'],
  );

  // The next sign-in (a new browser, the IdP asks again): the IdP, then the second step.
  g.clock.advance(60_000);
  const before = (await g.gw.deps.store.listUserSessions('acme', userId, g.clock.now())).length;
  const second = await oidcSignIn(s, 'dave');
  t.equal(second.res.status, 302);
  t.match(second.res.headers.location, /^\/t\/acme\/login\/mfa\?/, 'after the IdP: the second step');
  t.notOk(second.jar.get('gk_acme'), 'no session yet');
  t.ok(second.jar.get('gk_acme_mfa'), 'a pending sign-in');
  t.equal(
    (await request(g.url, '/reports', { headers: page(second.jar, 'application/json') })).status,
    401,
    'the pending sign-in opens no app',
  );
  // The callback again (a replay) makes no session either.
  const replay = await callbackAt(g, second.callback, new CookieJar());
  t.notOk(
    replay.setCookies.some((c) => /^gk_acme=[^;]/.test(c)),
    'a replayed callback: no session',
  );
  t.equal((await g.gw.deps.store.listUserSessions('acme', userId, g.clock.now())).length, before);

  const step = await get(second.jar, String(second.res.headers.location));
  t.equal(step.status, 200);
  const wrong = await post(second.jar, '/t/acme/login/mfa', {
    csrf_token: formToken(step.body),
    code: codeAt(secret, g.clock.now() + 600_000),
  });
  t.equal(wrong.status, 401, 'a wrong code');
  t.notOk(second.jar.get('gk_acme'));
  const ok = await post(second.jar, '/t/acme/login/mfa', {
    csrf_token: formToken(wrong.body),
    code: codeAt(secret, g.clock.now()),
  });
  t.equal(ok.status, 302);
  t.equal(ok.headers.location, `http://${s.appHost}/reports`, 'on to where the sign-in started');
  t.ok(second.jar.get('gk_acme'), 'the session');
  const two = (await sessionOf(second.jar)).json<{ session: SessionJson }>().session;
  t.equal(two.userId, userId);
  t.equal(two.authMethod, 'oidc:corp');
  t.same(two.amr, ['fed', 'otp', 'mfa']);
  t.equal(two.mfaVerified, true);
  const app = await request(g.url, '/mfa-any/x', { headers: page(second.jar, 'application/json') });
  t.equal(app.status, 200, 'an mfa route');
  t.equal(g.upstream.seen.at(-1)?.headers['x-auth-user'], userId, 'the upstream sees the IdP user');
});
