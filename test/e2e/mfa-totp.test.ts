// TOTP end to end over HTTP (SPEC §13): enrolment on the security page (the code computed
// here from the secret the page shows, at the gateway's clock), recovery codes shown once,
// step-up for `require: { mfa: true, freshAuth: 10m }` routes, the second step of a sign-in,
// a replayed code and a used recovery code refused.
import t from 'tap';
import { startTestGateway, PASSWORDS } from '../helpers/gateway.js';
import { CookieJar, request, type Response } from '../helpers/http.js';
import { codeAt, field } from '../helpers/mfa.js';
import { formToken, login } from '../helpers/login.js';

const gw = await startTestGateway();
t.teardown(() => gw.stop());
const HOST = 'dashboard.acme.test';
const html = (jar: CookieJar, extra: Record<string, string> = {}) => ({
  host: HOST,
  accept: 'text/html',
  cookie: jar.header(),
  ...extra,
});

async function get(jar: CookieJar, path: string): Promise<Response> {
  const res = await request(gw.url, path, { headers: html(jar) });
  jar.take(res);
  return res;
}

async function post(jar: CookieJar, path: string, form: Record<string, string>): Promise<Response> {
  const res = await request(gw.url, path, {
    method: 'POST',
    form,
    headers: html(jar, { origin: `http://${HOST}` }),
  });
  jar.take(res);
  return res;
}

/** Enrols TOTP for a signed-in jar; returns the secret and the recovery codes shown. */
async function enrolTotp(jar: CookieJar): Promise<{ secret: string; codes: string[]; page: Response }> {
  const setup = await get(jar, '/t/acme/account/security/totp');
  t.equal(setup.status, 200, 'the setup page');
  t.match(setup.body, /<svg/, 'with a QR code');
  const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(setup.body)![1]!.replace(/ /g, '');
  const page = await post(jar, '/t/acme/account/security/totp', {
    csrf_token: field(setup.body, 'csrf_token'),
    pending: field(setup.body, 'pending'),
    code: codeAt(secret, gw.clock.now()),
  });
  const codes = [...page.body.matchAll(/<code>([a-z2-7]{5}-[a-z2-7]{5})<\/code>/g)].map((m) => m[1]!);
  return { secret, codes, page };
}

t.test('bob enrols TOTP, steps up on an mfa route, and signs in with two steps', async (t) => {
  const { jar } = await login(gw.url, { username: 'bob', password: PASSWORDS.bob });

  // Without a second factor: browsers go to the second step, APIs get the RFC 9470 challenge.
  const nav = await request(gw.url, '/secure/report', { headers: html(jar) });
  t.equal(nav.status, 302);
  t.match(nav.headers.location, /^\/t\/acme\/login\/mfa\?/);
  const api = await request(gw.url, '/secure/report', { headers: { host: HOST, cookie: jar.header() } });
  t.equal(api.status, 401);
  t.match(api.headers['www-authenticate'], /error="insufficient_user_authentication"/);
  t.match(api.headers['www-authenticate'], /acr_values="mfa"/);
  t.equal(api.json().acr_values, 'mfa');
  t.equal(api.headers['x-auth-error-code'], 'ERR_GK_MFA_REQUIRED');

  // The second step sends a user without factors to enrolment.
  const step = await get(jar, nav.headers.location!);
  t.equal(step.status, 302);
  t.match(step.headers.location, /^\/t\/acme\/account\/security\?rd=/);

  const { secret, codes, page } = await enrolTotp(jar);
  t.equal(page.status, 200, 'recovery codes shown once');
  t.equal(codes.length, 10);
  t.ok(
    page.setCookies.some((c) => c.startsWith('gk_acme=')),
    'the first enrolment rotates the session cookie',
  );

  const ok = await request(gw.url, '/secure/report', { headers: html(jar) });
  t.equal(ok.status, 200, 'the first enrolment counts as the second factor');
  const sessionJson = await request(gw.url, '/t/acme/api/v1/session', { headers: html(jar) });
  t.same(sessionJson.json<{ session: { mfaVerified: boolean; amr: string[] } }>().session.amr, ['pwd', 'otp', 'mfa']);

  // Ten minutes later the route asks again: a step-up that keeps the session.
  gw.clock.advance(11 * 60_000);
  const again = await request(gw.url, '/secure/report', { headers: html(jar) });
  t.equal(again.status, 302);
  t.match(again.headers.location, /max_age=600/);
  const form = await get(jar, again.headers.location!);
  t.equal(form.status, 200);
  const code = codeAt(secret, gw.clock.now());
  const stepped = await post(jar, '/t/acme/login/mfa', {
    csrf_token: formToken(form.body),
    rd: 'http://dashboard.acme.test/secure/report',
    code,
  });
  t.equal(stepped.status, 302);
  t.equal(stepped.headers.location, 'http://dashboard.acme.test/secure/report');
  t.equal((await request(gw.url, '/secure/report', { headers: html(jar) })).status, 200);

  // The same code again (a replay) is refused, even in a new sign-in.
  const fresh = new CookieJar();
  const first = await login(gw.url, { username: 'bob', password: PASSWORDS.bob, jar: fresh });
  t.equal(first.res.status, 302);
  t.match(first.res.headers.location, /^\/t\/acme\/login\/mfa\?/, 'a user with a factor goes to the second step');
  t.notOk(fresh.get('gk_acme'), 'and has no session yet');
  t.equal((await request(gw.url, '/secure/report', { headers: html(fresh) })).status, 302);
  const second = await get(fresh, first.res.headers.location!);
  t.equal(second.status, 200);
  const replay = await post(fresh, '/t/acme/login/mfa', { csrf_token: formToken(second.body), code });
  t.equal(replay.status, 401, 'a used code is refused');
  t.equal(replay.headers['x-auth-error-code'], 'ERR_GK_MFA_FAILED');
  t.notOk(fresh.get('gk_acme'));

  // A recovery code works once.
  const withCode = await post(fresh, '/t/acme/login/mfa', {
    csrf_token: formToken(replay.body),
    recovery_code: codes[0]!,
  });
  t.equal(withCode.status, 302);
  t.ok(fresh.get('gk_acme'), 'signed in with the recovery code');
  const other = new CookieJar();
  const again2 = await login(gw.url, { username: 'bob', password: PASSWORDS.bob, jar: other });
  const page2 = await get(other, again2.res.headers.location!);
  const reused = await post(other, '/t/acme/login/mfa', {
    csrf_token: formToken(page2.body),
    recovery_code: codes[0]!,
  });
  t.equal(reused.status, 401, 'a used recovery code is refused');
});
