// In a real browser: bob signs in on a desktop (context A) and, minutes later, on a phone
// (context B). From the phone he opens "my sessions", sees this device marked, and revokes
// the desktop's session with its button; the desktop is signed out on its next request.
// Then "sign out everywhere else" ends a third session.
import t from 'tap';
import {
  launchBrowser,
  newContext,
  openSignedIn,
  PASSWORDS,
  screenshot,
  screenshotPhone,
  sessionIdOf,
  startBrowserGateway,
  UA,
} from './helpers.js';

const browser = await launchBrowser();
t.teardown(() => browser.close());
const g = await startBrowserGateway();
t.teardown(g.stop);

t.test('revoke another device from "my sessions"', async (t) => {
  const a = await newContext(browser, { userAgent: UA.windowsChrome });
  const b = await newContext(browser, { userAgent: UA.iphone, phone: true });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  const pageA = await a.newPage();
  await openSignedIn(pageA, g, '/projects', 'bob', PASSWORDS.bob);
  await t.resolves(pageA.getByRole('heading', { name: 'Hello, Bob Builder' }).waitFor(), 'A is signed in to the app');
  const idA = await sessionIdOf(a);

  g.clock.advance(7 * 60_000);
  const pageB = await b.newPage();
  await openSignedIn(pageB, g, '/t/acme/account/sessions', 'bob', PASSWORDS.bob);
  const idB = await sessionIdOf(b);
  t.not(idA, idB, 'two sessions');
  t.equal(new URL(pageB.url()).pathname, '/t/acme/account/sessions', 'B lands on my sessions after login');
  await t.resolves(pageB.getByRole('heading', { name: 'My sessions' }).waitFor());

  const rowA = pageB.locator(`tr[data-session-id="${idA}"]`);
  const rowB = pageB.locator(`tr[data-session-id="${idB}"]`);
  t.match(await rowB.innerText(), /This device/, "B's own session is marked as this device");
  t.match(await rowB.innerText(), /Safari 17 on iOS 17\.5 \(mobile\)/, 'device and browser from the User-Agent');
  t.notMatch(await rowA.innerText(), /This device/, "A's is not");
  t.match(await rowA.innerText(), /Chrome 140 on Windows 10/, "A's device");
  t.match(await rowA.innerText(), /203\.0\.113\.24/, 'the IP address');
  t.match(await rowA.innerText(), /Sydney, AU/, 'the location');
  const created = rowA.locator('td[data-label="Signed in"] time');
  t.equal(await created.innerText(), '7 minutes ago', 'created, relative');
  t.match(
    await created.getAttribute('datetime'),
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z$/,
    'and exact, as ISO in datetime',
  );
  t.equal(await created.getAttribute('title'), await created.getAttribute('datetime'), 'the exact time as a title too');
  t.equal(await rowB.getByRole('button', { name: /Revoke/ }).count(), 0, 'no revoke button for this device');
  await screenshot(pageB, 'my-sessions-phone');

  // The same page as A sees it on the desktop, before the revocation.
  await pageA.goto(g.at('/t/acme/account/sessions'));
  await screenshot(pageA, 'my-sessions-desktop');

  await Promise.all([pageB.waitForURL(/done=revoked/), rowA.getByRole('button', { name: /Revoke/ }).click()]);
  await t.resolves(
    pageB.getByRole('status').filter({ hasText: 'The session was revoked' }).waitFor(),
    'a flash message after the redirect',
  );
  t.equal(await pageB.locator(`tr[data-session-id="${idA}"]`).count(), 0, "A's session is gone from the list");
  await screenshot(pageB, 'my-sessions-revoked-phone');

  await pageA.goto(g.at('/projects'));
  t.match(pageA.url(), /\/t\/acme\/login\?rd=/, 'A is signed out on its next request');
  await pageB.goto(g.at('/projects'));
  await t.resolves(pageB.getByRole('heading', { name: 'Hello, Bob Builder' }).waitFor(), 'B is still signed in');
});

t.test('sign out everywhere else', async (t) => {
  const c = await newContext(browser, { userAgent: UA.linuxFirefox });
  const d = await newContext(browser, { userAgent: UA.macSafari });
  t.teardown(async () => {
    await c.close();
    await d.close();
  });
  const pageC = await c.newPage();
  await openSignedIn(pageC, g, '/', 'bob', PASSWORDS.bob);
  const pageD = await d.newPage();
  await openSignedIn(pageD, g, '/t/acme/account/sessions', 'bob', PASSWORDS.bob);
  await Promise.all([
    pageD.waitForURL(/done=revoked-others/),
    pageD.getByRole('button', { name: 'Sign out everywhere else' }).click(),
  ]);
  await t.resolves(
    pageD
      .getByRole('status')
      .filter({ hasText: /Signed out \d+ other sessions?\./ })
      .waitFor(),
    'how many were signed out',
  );
  t.equal(await pageD.locator('tbody tr').count(), 1, 'only this device is left');
  await screenshotPhone(pageD, 'my-sessions-only-this-device-phone');
  await pageC.goto(g.at('/'));
  t.match(pageC.url(), /\/t\/acme\/login\?rd=/, 'the other browser is signed out');
});
