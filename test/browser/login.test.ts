// In a real browser: the app sends us to the login form; a wrong password shows one
// generic error; signing in lands on the demo app with our identity; a stale login asks
// for the password again; remember me keeps the cookie; sign out ends it; too many
// failures lock sign-in with the wait shown.
import t from 'tap';
import {
  launchBrowser,
  newContext,
  PASSWORDS,
  screenshot,
  screenshotPhone,
  signIn,
  startBrowserGateway,
  UA,
} from './helpers.js';

const browser = await launchBrowser();
t.teardown(() => browser.close());
const g = await startBrowserGateway({ settings: 'loginThrottle: { maxFailures: 3, window: 15m, lockout: 30m }' });
t.teardown(g.stop);

t.test('log in through the form, see the demo app, log out', async (t) => {
  const context = await newContext(browser, { userAgent: UA.macSafari });
  t.teardown(() => context.close());
  const page = await context.newPage();

  const first = await page.goto(g.at('/reports?from=login-test'));
  t.match(page.url(), /\/t\/acme\/login\?rd=/, 'the app sends a signed-out browser to the login page');
  t.match(first?.headers()['content-security-policy'] ?? '', /default-src 'none'/, 'the login page has a strict CSP');
  t.equal(first?.headers()['x-frame-options'], 'DENY');
  await t.resolves(page.getByRole('heading', { name: 'Sign in to Acme Inc' }).waitFor(), 'the login heading');
  t.equal(await page.locator('meta[name="csrf-token"]').count(), 1, 'the CSRF token is published in a meta tag');
  await screenshot(page, 'login-desktop');
  await screenshotPhone(page, 'login-phone');

  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill('not-her-password');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await t.resolves(
    page.getByRole('alert').filter({ hasText: 'Invalid username or password.' }).waitFor(),
    'one generic error',
  );
  t.equal(await page.getByLabel('Username').inputValue(), 'alice', 'the username is kept');
  t.equal(await page.getByLabel('Password').getAttribute('aria-invalid'), 'true', 'the fields are marked invalid');
  await screenshot(page, 'login-error');

  await signIn(page, 'alice', PASSWORDS.alice);
  t.equal(new URL(page.url()).pathname, '/reports', 'back where the browser was going');
  t.equal(new URL(page.url()).search, '?from=login-test', 'with its query');
  await t.resolves(page.getByRole('heading', { name: 'Hello, Alice Admin' }).waitFor(), 'the demo app greets the user');
  t.match(
    await page.locator('table').innerText(),
    /x-auth-user\s+u-alice/,
    'and shows the identity headers it received',
  );
  const cookie = (await context.cookies()).find((c) => c.name === 'gk_acme');
  t.equal(cookie?.httpOnly, true, 'the session cookie is HttpOnly');
  t.equal(cookie?.expires, -1, 'a browser-session cookie without remember me');
  await screenshot(page, 'demo-app-signed-in');

  // Twenty minutes later the admin area (freshAuth: 15m) asks for the password again.
  g.clock.advance(20 * 60_000);
  await page.goto(g.at('/admin/'));
  t.match(page.url(), /prompt=login/, 'a stale login is sent to re-authenticate');
  await t.resolves(
    page.getByRole('heading', { name: 'Confirm your password to continue' }).waitFor(),
    're-auth heading',
  );
  t.equal(await page.getByLabel('Username').getAttribute('readonly'), '', 'the username cannot be changed');
  await screenshot(page, 'reauth');
  await page.getByLabel('Password').fill(PASSWORDS.alice);
  await Promise.all([page.waitForURL(g.at('/admin/')), page.getByRole('button', { name: 'Continue' }).click()]);
  await t.resolves(
    page.getByRole('heading', { name: 'Hello, Alice Admin' }).waitFor(),
    'the admin page after re-authentication',
  );

  await page.goto(g.at('/t/acme/logout'));
  await screenshot(page, 'logout-confirm');
  await Promise.all([
    page.waitForURL(/\/t\/acme\/login$/),
    page.getByRole('main').getByRole('button', { name: 'Sign out' }).click(),
  ]);
  t.notOk(
    (await context.cookies()).some((c) => c.name === 'gk_acme'),
    'the cookie is cleared',
  );
  await page.goto(g.at('/reports'));
  t.match(page.url(), /\/t\/acme\/login\?rd=/, 'signed out: the app asks for a login again');
});

t.test('remember me gives a persistent cookie', async (t) => {
  const context = await newContext(browser, { userAgent: UA.linuxFirefox });
  t.teardown(() => context.close());
  const page = await context.newPage();
  await page.goto(g.at('/'));
  await signIn(page, 'bob', PASSWORDS.bob, { rememberMe: true });
  await t.resolves(page.getByRole('heading', { name: 'Hello, Bob Builder' }).waitFor());
  const cookie = (await context.cookies()).find((c) => c.name === 'gk_acme');
  const days = ((cookie?.expires ?? 0) * 1000 - Date.now()) / 86_400_000;
  t.ok(days > 29 && days <= 30, `the cookie lasts the remember-me duration (30d), got ${days.toFixed(2)} days`);
  await page.goto(g.at('/t/acme/account/sessions'));
  await t.resolves(page.getByText('Remembered').first().waitFor(), 'the session is shown as remembered');
});

t.test('too many failures lock sign-in and say how long to wait', async (t) => {
  const context = await newContext(browser, { phone: true, userAgent: UA.iphone });
  t.teardown(() => context.close());
  const page = await context.newPage();
  await page.goto(g.at('/t/acme/login'));
  for (let i = 0; i < 3; i++) {
    await page.getByLabel('Username').fill('bob');
    await page.getByLabel('Password').fill(`wrong-${i}`);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('alert').waitFor();
  }
  await page.getByLabel('Username').fill('bob');
  await page.getByLabel('Password').fill(PASSWORDS.bob);
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Sign in', exact: true }).click(),
  ]);
  t.equal(res.status(), 429, 'locked: 429 even with the right password');
  t.ok(Number(res.headers()['retry-after']) > 0, 'with Retry-After');
  await t.resolves(
    page.getByRole('alert').filter({ hasText: 'Try again in 30 minutes' }).waitFor(),
    'the lockout message gives the wait',
  );
  await screenshot(page, 'login-locked-phone');
});
