// In a real browser, the admin portal: alice pages through and searches the users, opens
// bob, revokes one of his sessions and then all of them through the confirmation page (his
// browsers are signed out); bob himself gets a 403 page; the auth-settings form shows
// inline errors for a bad duration, then saves idleTimeout 5m, which the next login gets.
import t from 'tap';
import type { BrowserContext } from 'playwright-core';
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
const g = await startBrowserGateway({ fillerUsers: 25 });
t.teardown(g.stop);
const USERS = '/t/acme/portal/access-management/users';
const SETTINGS = '/t/acme/portal/configuration/auth-settings';

const admin = await newContext(browser, { userAgent: UA.macSafari });
t.teardown(() => admin.close());
const page = await admin.newPage();

async function bobSignedIn(userAgent: string, phone = false): Promise<BrowserContext> {
  const c = await newContext(browser, { userAgent, phone });
  t.teardown(() => c.close());
  const p = await c.newPage();
  await openSignedIn(p, g, '/', 'bob', PASSWORDS.bob);
  return c;
}

async function signedOut(c: BrowserContext): Promise<boolean> {
  const p = c.pages()[0]!;
  await p.goto(g.at('/'));
  return new URL(p.url()).pathname === '/t/acme/login';
}

/** A gateway JSON API read by the browser itself (its cookies, its host resolution). */
async function getJson<T>(c: BrowserContext, path: string): Promise<T> {
  const p = await c.newPage();
  try {
    const res = await p.goto(g.at(path));
    return (await res!.json()) as T;
  } finally {
    await p.close();
  }
}

t.test('users list: paging and search', async (t) => {
  await openSignedIn(page, g, USERS, 'alice', PASSWORDS.alice);
  t.equal(new URL(page.url()).pathname, USERS, 'the admin lands on the users list after login');
  await t.resolves(page.getByRole('heading', { name: 'Users', exact: true }).waitFor());
  t.equal(await page.locator('table.users tbody tr').count(), 20, '20 users per page');
  t.match(await page.getByRole('status').innerText(), /Showing 1–20 of 27 users/);
  await screenshot(page, 'portal-users-desktop');
  await screenshotPhone(page, 'portal-users-phone');
  await page.getByRole('link', { name: 'Next →' }).click();
  t.equal(new URL(page.url()).searchParams.get('page'), '2');
  t.equal(await page.locator('table.users tbody tr').count(), 7, 'the rest on page 2');

  await page.getByLabel('Search users').fill('bob');
  await page.getByRole('button', { name: 'Search' }).click();
  t.equal(new URL(page.url()).searchParams.get('q'), 'bob', 'search is a GET form');
  t.equal(await page.locator('table.users tbody tr').count(), 1, 'one match');
  t.match(
    await page.locator('table.users tbody tr').innerText(),
    /Bob Builder[\s\S]*bob@acme\.test[\s\S]*0/,
    'name, email, no sessions yet',
  );
});

t.test("bob's sessions: revoke one, then all with a confirmation", async (t) => {
  const b1 = await bobSignedIn(UA.linuxFirefox);
  const b2 = await bobSignedIn(UA.iphone, true);
  g.clock.advance(3 * 60_000);
  const b3 = await bobSignedIn(UA.windowsChrome);
  const id3 = await sessionIdOf(b3);

  await page.goto(g.at(`${USERS}?q=bob`));
  t.match(await page.locator('table.users tbody tr').innerText(), /\b3$/m, 'three active sessions in the list');
  await page.getByRole('link', { name: 'Bob Builder' }).click();
  t.equal(new URL(page.url()).pathname, `${USERS}/u-bob`);
  await t.resolves(page.getByRole('heading', { name: 'Bob Builder' }).waitFor());
  t.equal(
    await page.getByRole('link', { name: 'Sessions (3)' }).getAttribute('aria-current'),
    'page',
    'the Sessions tab is open',
  );
  const rows = page.locator('table.sessions tbody tr');
  t.equal(await rows.count(), 3);
  const head = await page.locator('table.sessions thead').innerText();
  for (const col of ['Device', 'IP address', 'Location', 'Last activity', 'Signed in'])
    t.match(head, col, `column ${col}`);
  const row1 = page.locator(`tr[data-session-id="${await sessionIdOf(b1)}"]`);
  t.match(
    await row1.innerText(),
    /Firefox 128 on Linux[\s\S]*2001:db8::42[\s\S]*Tokyo, JP[\s\S]*3 minutes ago/,
    'device, IP, location, times',
  );
  await screenshot(page, 'portal-user-sessions-desktop');
  await screenshotPhone(page, 'portal-user-sessions-phone');

  await Promise.all([
    page.waitForURL(/done=revoked/),
    page
      .locator(`tr[data-session-id="${id3}"]`)
      .getByRole('button', { name: /Revoke/ })
      .click(),
  ]);
  await t.resolves(page.getByRole('status').filter({ hasText: 'The session was revoked.' }).waitFor());
  t.equal(await rows.count(), 2, 'two left');
  t.ok(await signedOut(b3), 'that browser is signed out');

  await page.getByRole('link', { name: 'Revoke all sessions' }).click();
  t.equal(new URL(page.url()).pathname, `${USERS}/u-bob/revoke-all`);
  await t.resolves(page.getByRole('heading', { name: 'Are you sure?' }).waitFor(), 'a confirmation page first');
  t.match(await page.getByRole('main').innerText(), /2 active sessions of Bob Builder/);
  t.notOk(await signedOut(b1), 'nothing is revoked by showing the confirmation');
  await screenshot(page, 'portal-revoke-all-confirm');
  await Promise.all([
    page.waitForURL(/done=revoked-all/),
    page.getByRole('button', { name: 'Yes, revoke all sessions' }).click(),
  ]);
  t.equal(new URL(page.url()).pathname, `${USERS}/u-bob`, 'back on the user page');
  await t.resolves(page.getByRole('status').filter({ hasText: 'Revoked 2 sessions.' }).waitFor());
  t.match(await page.getByRole('main').innerText(), /No active sessions/);
  await screenshot(page, 'portal-user-revoked-all');
  t.ok(await signedOut(b1), "bob's desktop is signed out");
  t.ok(await signedOut(b2), "bob's phone is signed out");
});

t.test('a non-admin gets a 403 page', async (t) => {
  const c = await bobSignedIn(UA.linuxFirefox);
  const p = c.pages()[0]!;
  for (const path of [USERS, `${USERS}/u-alice`, SETTINGS]) {
    const res = await p.goto(g.at(path));
    t.equal(res?.status(), 403, path);
  }
  await t.resolves(p.getByRole('heading', { name: 'Access denied' }).waitFor());
  t.equal(await p.getByRole('link', { name: 'Users' }).count(), 0, 'no portal links in his navigation');
  await screenshot(p, 'portal-forbidden');
});

t.test('auth settings: inline errors, then a saved idleTimeout applies to the next login', async (t) => {
  await page.goto(g.at(SETTINGS));
  const idle = page.getByLabel('Idle timeout');
  t.equal(await idle.inputValue(), '30m', 'durations as written in YAML');
  t.equal(await page.getByLabel('Session lifetime').inputValue(), '24h');
  t.equal(await page.getByLabel('Offer “Remember me” on the login page').isChecked(), true);
  await screenshot(page, 'auth-settings-desktop');

  await idle.fill('5 minutes');
  await page.getByLabel('Concurrent sessions per user').fill('-1');
  const [bad] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Save settings' }).click(),
  ]);
  t.equal(bad.status(), 422, 'invalid input: 422');
  t.equal(await idle.inputValue(), '5 minutes', 'the submitted value is kept');
  t.equal(await idle.getAttribute('aria-invalid'), 'true');
  const idleError = page.locator('#f-idleTimeout-error');
  t.match(await idleError.innerText(), /invalid duration "5 minutes"/, 'the error next to the field');
  t.match(await idle.getAttribute('aria-describedby'), 'f-idleTimeout-error', 'and tied to it');
  t.match(await page.locator('#f-maxConcurrentSessions-error').innerText(), /whole number/);
  t.match(await page.getByRole('alert').innerText(), /Nothing was saved: 2 settings need fixing/, 'a summary');
  await screenshot(page, 'auth-settings-errors-desktop');
  await screenshotPhone(page, 'auth-settings-errors-phone');
  t.equal(
    (await getJson<{ settings: { idleTimeout: string } }>(admin, '/t/acme/api/v1/configuration/auth-settings')).settings
      .idleTimeout,
    '30m',
    'nothing was saved',
  );

  await idle.fill('5m');
  await page.getByLabel('Concurrent sessions per user').fill('0');
  await Promise.all([page.waitForURL(/done=saved/), page.getByRole('button', { name: 'Save settings' }).click()]);
  await t.resolves(page.getByRole('status').filter({ hasText: 'Saved: 1 setting changed.' }).waitFor(), '"Saved"');
  t.equal(await page.getByLabel('Idle timeout').inputValue(), '5m', 'the saved value is shown');
  await screenshot(page, 'auth-settings-saved');
  t.ok(
    g.logs.some((l) => l.includes('"audit":"settings_changed"') && l.includes('"changed":["idleTimeout"]')),
    'audited as settings_changed',
  );

  const c = await bobSignedIn(UA.linuxFirefox);
  const { session } = await getJson<{ session: { lastActiveAt: string; idleExpiresAt: string } }>(
    c,
    '/t/acme/api/v1/session',
  );
  t.equal(
    Date.parse(session.idleExpiresAt) - Date.parse(session.lastActiveAt),
    5 * 60_000,
    'the next login idles out after 5 minutes',
  );
});
