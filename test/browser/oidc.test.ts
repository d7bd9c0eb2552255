// In a real browser: signing in through an OpenID Provider (SPEC §12). The app sends us to
// the gateway's login page, whose "Sign in with Corp SSO" button leads to the OP's own
// login and consent pages (panva's oidc-provider), and back to the app with the identity
// the OP vouched for: user corp:carol, her name, and her group mapped to the admin role.
import t from 'tap';
import { corpProviderYaml } from '../helpers/oidc.js';
import { freePort } from '../helpers/net.js';
import { startOp } from '../helpers/op.js';
import { launchBrowser, newContext, screenshot, startBrowserGateway } from './helpers.js';

const browser = await launchBrowser();
t.teardown(() => browser.close());
const port = await freePort();
const op = await startOp({
  gatewayOrigins: [`http://gw.acme.test:${port}`, `http://dashboard.acme.test:${port}`],
  // The OP calls the gateway from Node, where only the loopback address resolves.
  backchannelLogoutUri: `http://127.0.0.1:${port}/t/acme/oidc/corp/backchannel-logout`,
});
t.teardown(() => op.stop());
const g = await startBrowserGateway({ port, identityProviders: corpProviderYaml(op.issuer) });
t.teardown(g.stop);

t.test("sign in at the company IdP: the button, the OP's login and consent pages, back on the app", async (t) => {
  const context = await newContext(browser);
  t.teardown(() => context.close());
  // The OP's dev pages import a web font: nothing leaves the machine.
  await context.route(
    (url) => !/^(127\.0\.0\.1|[a-z0-9.-]+\.acme\.test)$/.test(url.hostname),
    (route) => route.abort(),
  );
  const page = await context.newPage();

  await page.goto(g.at('/reports?from=oidc-test'));
  t.match(page.url(), /\/t\/acme\/login\?rd=/, 'the app sends a signed-out browser to the login page');
  const button = page.getByRole('link', { name: 'Sign in with Corp SSO' });
  await t.resolves(button.waitFor(), 'the provider button');
  t.equal(await page.getByLabel('Password').count(), 1, 'beside the password form');
  await screenshot(page, 'oidc-login-page');

  await Promise.all([page.waitForURL((u) => u.origin === op.issuer), button.click()]);
  t.match(new URL(page.url()).pathname, /^\/interaction\//, "on the OP's own login page");
  const login = page.locator('input[name="login"]');
  await t.resolves(login.waitFor(), 'its login field');
  await login.fill('carol');
  await page.locator('input[name="password"]').fill('carols-password');
  await screenshot(page, 'oidc-op-login');
  await page.getByRole('button', { name: 'Sign-in' }).click();

  const consent = page.getByRole('button', { name: 'Continue' });
  await t.resolves(consent.waitFor(), "the OP's consent page");
  await Promise.all([page.waitForURL(g.at('/reports?from=oidc-test')), consent.click()]);
  t.pass('back where the browser was going, on the app host');
  await t.resolves(
    page.getByRole('heading', { name: 'Hello, Carol Corp' }).waitFor(),
    'the demo app greets the IdP user',
  );
  const headers = await page.locator('table').innerText();
  t.match(headers, /x-auth-user\s+corp:carol/, 'the user is corp:{sub}');
  t.match(headers, /x-auth-email\s+carol@corp\.test/);
  t.match(headers, /x-auth-roles\s+admin,staff/, 'corp-admins became admin');
  const cookies = await context.cookies();
  t.equal(
    cookies.find((c) => c.name === 'gk_acme')?.domain,
    'dashboard.acme.test',
    'the session cookie is on the app host',
  );
  t.notOk(
    cookies.some((c) => c.name === 'gk_acme_oidc'),
    'the flow cookie is gone',
  );
  await screenshot(page, 'oidc-signed-in');

  await page.goto(g.at('/admin/'));
  await t.resolves(
    page.getByRole('heading', { name: 'Hello, Carol Corp' }).waitFor(),
    'the admin area opens for the mapped role',
  );
});
