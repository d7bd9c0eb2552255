// In a real browser: users whose name and username are HTML/script payloads are shown as
// text on every page where they appear — login, re-auth, logout, my sessions, the demo
// app, the portal's users list, search, user page and confirmation, the 403 page. No
// dialog ever opens, no element is injected, and every gateway page carries the CSP.
import t, { type Test } from 'tap';
import type { Page, Response } from 'playwright-core';
import { launchBrowser, newContext, PASSWORDS, screenshot, signIn, startBrowserGateway, UA } from './helpers.js';

const SCRIPT = '<script>alert(1)</script>';
const IMG = '"><img src=x onerror=alert(1)>';
const SCRIPT2 = '<script>alert(2)</script>';
const IMG2 = '"><img src=x onerror=alert(2)>';
const yaml = (s: string): string => JSON.stringify(s); // a JSON string is a YAML double-quoted scalar

const browser = await launchBrowser();
t.teardown(() => browser.close());
const g = await startBrowserGateway({
  extraUsers: [
    `{ id: u-xss1, username: ${yaml(SCRIPT)}, email: xss1@acme.test, name: ${yaml(IMG)}, passwordHash: "$HASH" }`,
    `{ id: u-xss2, username: ${yaml(IMG2)}, email: xss2@acme.test, name: ${yaml(SCRIPT2)}, roles: [admin], passwordHash: "$HASH" }`,
  ],
});
t.teardown(g.stop);

const dialogs: string[] = [];
function watch(page: Page): Page {
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  return page;
}

/** The page shows `texts` literally, holds no script or img element, and (for gateway pages) has the CSP. */
async function rendersAsText(
  t: Test,
  page: Page,
  res: Response | null,
  what: string,
  texts: readonly string[],
  gatewayPage = true,
): Promise<void> {
  const body = await page.locator('body').innerText();
  for (const s of texts) t.ok(body.includes(s), `${what}: shows ${JSON.stringify(s)} as text`);
  t.equal(await page.locator('script:not([src])').count(), 0, `${what}: no inline script element`);
  t.equal(await page.locator('img').count(), 0, `${what}: no img element`);
  if (gatewayPage) {
    const csp = res ? await res.headerValue('content-security-policy') : null;
    t.match(csp ?? '', /default-src 'none'/, `${what}: CSP`);
    t.notMatch(csp ?? '', /unsafe-inline/, `${what}: no unsafe-inline`);
  }
}

t.test('a user named with script payloads, and an admin likewise', async (t) => {
  const user = await newContext(browser, { userAgent: UA.linuxFirefox });
  const adm = await newContext(browser, { userAgent: UA.macSafari });
  t.teardown(async () => {
    await user.close();
    await adm.close();
  });
  const p = watch(await user.newPage());

  // Login: a failed attempt echoes the username into the form.
  await p.goto(g.at('/t/acme/login'));
  let res: Response | null;
  await p.getByLabel('Username').fill(SCRIPT);
  await p.getByLabel('Password').fill('wrong');
  [res] = await Promise.all([
    p.waitForResponse((r) => r.request().method() === 'POST'),
    p.getByRole('button', { name: 'Sign in', exact: true }).click(),
  ]);
  t.equal(await p.getByLabel('Username').inputValue(), SCRIPT, 'login: the username comes back as the field value');
  await rendersAsText(t, p, res, 'login error', []);

  await signIn(p, SCRIPT, PASSWORDS.other);
  await rendersAsText(t, p, null, 'demo app', [`Hello, ${IMG}`], false);

  res = await p.goto(g.at('/t/acme/account/sessions'));
  await rendersAsText(t, p, res, 'my sessions', [SCRIPT, IMG]);
  await screenshot(p, 'xss-my-sessions');

  res = await p.goto(g.at('/t/acme/login?prompt=login'));
  t.equal(await p.getByLabel('Username').inputValue(), SCRIPT, 're-auth: the fixed username');
  await rendersAsText(t, p, res, 're-auth', [SCRIPT]);

  res = await p.goto(g.at('/t/acme/logout'));
  await rendersAsText(t, p, res, 'logout', [SCRIPT]);

  res = await p.goto(g.at('/t/acme/portal/access-management/users'));
  t.equal(res?.status(), 403);
  await rendersAsText(t, p, res, '403 page', [SCRIPT]);

  // Flash codes and tabs come from the query but only select fixed wording.
  res = await p.goto(
    g.at(
      `/t/acme/account/sessions?done=${encodeURIComponent(SCRIPT)}&error=${encodeURIComponent(IMG)}&n=${encodeURIComponent(IMG)}`,
    ),
  );
  t.equal(
    await p.locator('main .flash, main .error').count(),
    0,
    'unknown flash codes show nothing: query values are never reflected',
  );
  await rendersAsText(t, p, res, 'my sessions with a hostile query', []);

  // An admin whose own name is a payload looks at the payload user.
  const a = watch(await adm.newPage());
  await a.goto(g.at('/t/acme/portal/access-management/users'));
  await signIn(a, IMG2, PASSWORDS.other);
  res = await a.reload();
  await rendersAsText(t, a, res, 'users list', [SCRIPT, IMG, SCRIPT2, IMG2]);
  await screenshot(a, 'xss-portal-users');

  res = await a.goto(g.at(`/t/acme/portal/access-management/users?q=${encodeURIComponent(SCRIPT)}`));
  t.equal(await a.getByLabel('Search users').inputValue(), SCRIPT, 'the search term is kept in the field');
  t.equal(await a.locator('table.users tbody tr').count(), 1, 'and finds the user');
  await rendersAsText(t, a, res, 'search', [`matching “${SCRIPT}”`]);

  res = await a.goto(g.at('/t/acme/portal/access-management/users/u-xss1'));
  await rendersAsText(t, a, res, 'user page', [IMG, SCRIPT]);
  await screenshot(a, 'xss-portal-user');
  res = await a.goto(g.at(`/t/acme/portal/access-management/users/u-xss1?tab=${encodeURIComponent(SCRIPT)}`));
  await rendersAsText(t, a, res, 'user page, hostile tab', [IMG]);
  res = await a.goto(g.at('/t/acme/portal/access-management/users/u-xss1?tab=profile'));
  await rendersAsText(t, a, res, 'profile tab', [IMG, SCRIPT]);
  res = await a.goto(g.at('/t/acme/portal/access-management/users/u-xss1/revoke-all'));
  await rendersAsText(t, a, res, 'revoke-all confirmation', [IMG, SCRIPT]);

  t.same(dialogs, [], 'no dialog ever opened');
});
