// A second step belongs to its tenant: the pending sign-in of one tenant, replayed to another
// tenant's second step under that tenant's cookie name with a valid code, creates nothing
// there (pending sign-ins, like challenges, are kept per tenant), and the sign-in still
// completes in its own tenant afterwards.
import t from 'tap';
import { startTestGateway, PASSWORDS } from '../helpers/gateway.js';
import { CookieJar, request } from '../helpers/http.js';
import { formToken, login } from '../helpers/login.js';
import { codeAt, field, totpSecretOf } from '../helpers/mfa.js';

const g = await startTestGateway();
t.teardown(() => g.stop());
const ACME = 'dashboard.acme.test';
const GLOBEX = 'portal.globex.test';
const page = (host: string, cookie: string) => ({ host, accept: 'text/html', cookie });

t.test("one tenant's pending sign-in means nothing to another tenant", async (t) => {
  // bob enrols an authenticator app in acme.
  const { jar } = await login(g.url, { username: 'bob', password: PASSWORDS.bob });
  const setup = await request(g.url, '/t/acme/account/security/totp', { headers: page(ACME, jar.header()) });
  const secret = totpSecretOf(setup.body);
  const enrolled = await request(g.url, '/t/acme/account/security/totp', {
    method: 'POST',
    form: {
      csrf_token: field(setup.body, 'csrf_token'),
      pending: field(setup.body, 'pending'),
      code: codeAt(secret, g.clock.now()),
    },
    headers: { ...page(ACME, jar.header()), origin: `http://${ACME}` },
  });
  t.equal(enrolled.status, 200, 'enrolled');
  g.clock.advance(60_000);

  // A new sign-in in acme stops at the second step with a pending cookie.
  const fresh = await login(g.url, { username: 'bob', password: PASSWORDS.bob, jar: new CookieJar() });
  const pending = fresh.jar.get('gk_acme_mfa');
  t.ok(pending, 'a pending sign-in in acme');

  // The same value under globex's names, with globex's own login-form token and a valid code.
  const globexForm = await request(g.url, '/t/globex/login', { headers: page(GLOBEX, '') });
  const globexJar = new CookieJar().take(globexForm);
  const cookie = `${globexJar.header()}; gk_globex_mfa=${pending}`;
  const asked = await request(g.url, '/t/globex/login/mfa', { headers: page(GLOBEX, cookie) });
  t.equal(asked.status, 302, 'no second step in globex for it');
  t.match(asked.headers.location, /^\/t\/globex\/login\?/, 'sent to sign in there');
  const posted = await request(g.url, '/t/globex/login/mfa', {
    method: 'POST',
    form: { csrf_token: formToken(globexForm.body), code: codeAt(secret, g.clock.now()) },
    headers: { ...page(GLOBEX, cookie), origin: `http://${GLOBEX}` },
  });
  t.equal(posted.status, 303, 'the post finds no sign-in in globex');
  t.notOk(
    posted.setCookies.some((c) => /^gk_globex=/.test(c) && !/Max-Age=0/i.test(c)),
    'and starts no globex session',
  );

  // The code was not spent there: the sign-in completes in acme.
  const step = await request(g.url, '/t/acme/login/mfa', { headers: page(ACME, fresh.jar.header()) });
  fresh.jar.take(step);
  const done = await request(g.url, '/t/acme/login/mfa', {
    method: 'POST',
    form: { csrf_token: formToken(step.body), code: codeAt(secret, g.clock.now()) },
    headers: { ...page(ACME, fresh.jar.header()), origin: `http://${ACME}` },
  });
  t.equal(done.status, 302, 'signed in to acme');
  t.ok(
    done.setCookies.some((c) => c.startsWith('gk_acme=')),
    'with an acme session cookie',
  );
});
