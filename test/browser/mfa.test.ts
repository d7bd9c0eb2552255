// In a real browser (SPEC §13): bob sets up an authenticator app and a passkey on his
// Security page (a DevTools virtual authenticator), then signs in with password + passkey,
// with the passkey alone, and steps up for an app route that needs a second factor within
// 10 minutes; on his phone he signs in with password + app code; the admin sees how each
// session signed in and bob's factors. Attacks made in the browser are refused without a
// session: an assertion for another RP ID, over a challenge the gateway never issued, a
// replayed second step and a replayed passkey sign-in, a cloned authenticator whose counter
// went back. Last, bob removes the passkey (confirming with the app first) and the passkey
// sign-in says it did not work. One test (BUG:) shows sign-ins on the gateway's own host
// that never reach an app-host rd (the pages' CSP blocks the redirect).
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page, Response } from 'playwright-core';
import t, { type Test } from 'tap';
import { freePort } from '../helpers/net.js';
import {
  ARTIFACTS,
  newContext,
  openSignedIn,
  PASSWORDS,
  screenshot,
  screenshotPhone,
  sessionIdOf,
  UA,
} from './helpers.js';
import {
  addVirtualAuthenticator,
  APP_HOST,
  GW_HOST,
  launchWebAuthnBrowser,
  sessionOf,
  signOut,
  startMfaGateway,
  STEP_UP_PATH,
  totpCode,
  type VirtualCredential,
} from './mfa-helpers.js';

const port = await freePort();
const browser = await launchWebAuthnBrowser(port);
t.teardown(() => browser.close());
const g = await startMfaGateway(port);
t.teardown(g.stop);

const SECURITY = '/t/acme/account/security';
const SECOND_STEP = '/t/acme/login/mfa';
const MFA_OPTIONS = '/t/acme/login/mfa/webauthn/options';
const PASSKEY_LOGIN = '/t/acme/login/passkey';
const FAILED = 'That did not work. Check the code (or use your security key) and try again.';
const PASSKEY_FAILED = 'That passkey could not sign you in. Use your password, or try the passkey again.';
const SCREENSHOTS = [
  'mfa-recovery-codes',
  'mfa-security-page',
  'mfa-security-page-phone',
  'mfa-second-step',
  'mfa-step-up',
  'mfa-admin-user',
];

// Bob's laptop: one browser context, one tab, its platform authenticator.
const bob = await newContext(browser, { userAgent: UA.windowsChrome });
t.teardown(() => bob.close());
const page = await bob.newPage();
const laptop = await addVirtualAuthenticator(bob, page);

/** What the security page printed as the authenticator app's secret. */
let totpSecret = '';
/** The form values of bob's successful second step and passkey sign-in, as posted. */
let postedSecondStep = '';
let postedPasskeyLogin = '';
/** The session bob's phone signed in (5b), for the admin's view. */
let phoneSessionId = '';

/** A 6-digit code the app shows at none of the steps the gateway accepts around `nowMs`. */
function wrongCode(secret: string, nowMs: number): string {
  const valid = new Set([-30_000, 0, 30_000].map((d) => totpCode(secret, nowMs + d)));
  let n = 0;
  while (valid.has(String(n).padStart(6, '0'))) n += 1;
  return String(n).padStart(6, '0');
}

const pathIs = (path: string) => (u: URL) => u.pathname === path;

/** The `webauthn_response` of the next POST to `path` on this page (the request goes on unchanged). */
async function captureResponseField(p: Page, path: string): Promise<() => string> {
  let value = '';
  await p.route(pathIs(path), async (route) => {
    const req = route.request();
    if (req.method() === 'POST') value = new URLSearchParams(req.postData() ?? '').get('webauthn_response') ?? '';
    await route.continue();
  });
  return () => value;
}

/** The response to the next POST to `path`. */
const nextPost = (p: Page, path: string): Promise<Response> =>
  p.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === path);

/** A fresh browser (someone who knows bob's password) at the second step of a sign-in. */
async function atSecondStep(t: Test): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newContext(browser, { userAgent: UA.linuxFirefox });
  t.teardown(() => context.close());
  const p = await context.newPage();
  await openSignedIn(p, g, '/projects', 'bob', PASSWORDS.bob);
  t.equal(new URL(p.url()).pathname, SECOND_STEP, 'the password leads to the second step');
  return { context, page: p };
}

/** Bob's laptop passkey, copied into another authenticator (its private key included). */
async function laptopPasskey(): Promise<VirtualCredential> {
  const [cred] = await laptop.credentials();
  if (!cred) throw new Error('the laptop holds no passkey');
  return cred;
}

/**
 * The laptop's passkey in another browser's authenticator (as a synced or copied passkey
 * would be), with `change` applied; the laptop then moves ahead of the copy's counter, since
 * the gateway keeps the highest counter it has seen.
 */
async function copyOfLaptopPasskey(
  p: Page,
  context: BrowserContext,
  change: Partial<VirtualCredential> = {},
): Promise<VirtualCredential> {
  const cred = await laptopPasskey();
  const auth = await addVirtualAuthenticator(context, p);
  await auth.add({ ...cred, signCount: cred.signCount + 100, ...change });
  await laptop.remove(cred.credentialId);
  await laptop.add({ ...cred, signCount: cred.signCount + 1000 });
  return cred;
}

/** The WebAuthn options the page fetches, changed on their way to the page script. */
async function tamperOptions(p: Page, change: (options: Record<string, unknown>) => void): Promise<void> {
  await p.route(pathIs(MFA_OPTIONS), async (route) => {
    // Fetched from Node, which does not resolve *.acme.test: to the gateway by address, same Host.
    const url = new URL(route.request().url());
    const res = await route.fetch({
      url: `http://127.0.0.1:${port}${url.pathname}${url.search}`,
      headers: { ...route.request().headers(), host: url.host },
    });
    const body = (await res.json()) as { options: Record<string, unknown> };
    change(body.options);
    await route.fulfill({ response: res, json: body });
  });
}

/**
 * Puts `value` into a form's hidden field and submits the form as the browser does, without
 * the page script (which would run a new ceremony): a captured response posted again.
 */
async function submitWith(p: Page, formId: string, field: string, value: string): Promise<void> {
  await p.locator(`form#${formId}`).evaluate(
    (form, [name, v]) => {
      const f = form as unknown as { elements: { namedItem(n: string): { value: string } | null }; submit(): void };
      f.elements.namedItem(name)!.value = v;
      f.submit();
    },
    [field, value] as const,
  );
}

/** The second step answered 401 with its message on the page, and the browser has no session. */
async function refusedWithoutSession(
  t: Test,
  p: Page,
  context: BrowserContext,
  res: Response,
  what: string,
): Promise<void> {
  t.equal(res.status(), 401, `${what}: 401`);
  await t.resolves(p.getByRole('alert').filter({ hasText: FAILED }).waitFor(), `${what}: the message on the page`);
  t.equal(new URL(p.url()).pathname, SECOND_STEP, `${what}: still at the second step`);
  t.notOk(
    (await context.cookies()).some((c) => c.name === 'gk_acme' && c.value !== ''),
    `${what}: no session cookie`,
  );
  t.equal(await sessionOf(context, g), null, `${what}: no session`);
}

t.test('1. an authenticator app: set up with a code at the gateway clock, ten recovery codes', async (t) => {
  await openSignedIn(page, g, SECURITY, 'bob', PASSWORDS.bob);
  t.equal(new URL(page.url()).pathname, SECURITY, 'back on the security page after the password');
  await t.resolves(page.getByRole('heading', { name: 'Security', exact: true }).waitFor());
  t.match(await page.getByRole('main').innerText(), /You have no second factor yet/);
  t.match(await sessionOf(bob, g), { authMethod: 'password', amr: ['pwd'], mfaVerified: false });

  await page.getByRole('link', { name: 'Set up an authenticator app' }).click();
  await t.resolves(page.getByRole('heading', { name: 'Set up an authenticator app' }).waitFor());
  t.equal(await page.locator('.qr svg').count(), 1, 'a QR code');
  totpSecret = await page.locator('#totp-secret').innerText();
  t.match(totpSecret, /^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/, 'the secret in groups of four');

  await page.getByLabel('Enter the 6-digit code the app shows').fill(wrongCode(totpSecret, g.clock.now()));
  const [wrong] = await Promise.all([
    nextPost(page, `${SECURITY}/totp`),
    page.getByRole('button', { name: 'Turn on' }).click(),
  ]);
  t.equal(wrong.status(), 401, 'a wrong code: 401');
  await t.resolves(page.getByRole('alert').filter({ hasText: 'That code is not right.' }).waitFor(), 'and a message');
  t.equal(await page.locator('#totp-secret').innerText(), totpSecret, 'the same secret to try again');

  await page.getByLabel('Enter the 6-digit code the app shows').fill(totpCode(totpSecret, g.clock.now()));
  await page.getByRole('button', { name: 'Turn on' }).click();
  await t.resolves(page.getByRole('heading', { name: 'Your recovery codes' }).waitFor(), 'the recovery codes');
  const codes = await page.locator('ol.codes li').allInnerTexts();
  t.equal(codes.length, 10, 'ten codes');
  t.equal(new Set(codes).size, 10, 'all different');
  t.match(await page.getByRole('note').innerText(), /shown only once/);
  await screenshot(page, 'mfa-recovery-codes');

  await page.getByRole('link', { name: 'Continue' }).click();
  await page.waitForURL(/done=totp-added/);
  await t.resolves(page.getByRole('status').filter({ hasText: 'Your authenticator app is set up' }).waitFor());
  const row = page.locator('table.factors tbody tr');
  t.equal(await row.count(), 1);
  t.match(await row.innerText(), /Authenticator app/);
  t.match(await page.getByRole('main').innerText(), /You have 10 recovery codes left/);
  const s = await sessionOf(bob, g);
  t.match(s, { authMethod: 'password', mfaVerified: true }, 'the enrolment counts as this session’s second factor');
  t.ok(s?.amr.includes('otp') && s.amr.includes('mfa'), `amr ${s?.amr.join(' ')}`);
  t.ok(
    g.logs.some((l) => l.includes('"audit":"mfa_enrolled"') && l.includes('"method":"totp"')),
    'audited',
  );
  await page.goto(g.at(SECURITY));
  t.notMatch(await page.content(), totpSecret.replace(/ /g, ''), 'the secret is not shown again');
});

t.test('2. a passkey registered with the virtual authenticator', async (t) => {
  g.clock.advance(60_000); // a minute after the app: the lists show the older factor first
  await page.getByLabel('Name').fill('Laptop passkey');
  await Promise.all([
    page.waitForURL(/done=webauthn-added/),
    page.getByRole('button', { name: 'Add security key or passkey' }).click(),
  ]);
  await t.resolves(page.getByRole('status').filter({ hasText: 'Your security key or passkey is added.' }).waitFor());
  const row = page.locator('table.factors tbody tr').filter({ hasText: 'Laptop passkey' });
  t.match(await row.locator('th').innerText(), /^Passkey/, 'listed as a Passkey');
  t.match(await row.locator('td[data-label="Last used"]').innerText(), 'Never');
  t.equal(await page.locator('table.factors tbody tr').count(), 2, 'beside the authenticator app');
  const cred = await laptopPasskey();
  t.match(cred, { rpId: 'acme.test', isResidentCredential: true }, 'a discoverable credential for RP ID acme.test');

  // The same authenticator again: the options exclude it, the browser refuses, the page says so.
  await page.getByLabel('Name').fill('Laptop passkey again');
  await page.getByRole('button', { name: 'Add security key or passkey' }).click();
  await t.resolves(
    page
      .locator('#webauthn-register')
      .getByRole('alert')
      .filter({ hasText: 'This security key or passkey is already registered.' })
      .waitFor(),
    'registering it twice is refused in the browser',
  );
  t.equal((await laptop.credentials()).length, 1, 'no second credential made');
  await page.goto(g.at(SECURITY));
  t.equal(Buffer.from(cred.userHandle ?? '', 'base64').toString('utf8'), 'u-bob', 'its user handle names bob');
  await screenshot(page, 'mfa-security-page');
  await screenshotPhone(page, 'mfa-security-page-phone');
});

t.test('3. password, then the passkey as the second step', async (t) => {
  await signOut(page, g);
  t.equal(await sessionOf(bob, g), null, 'signed out');
  await openSignedIn(page, g, '/projects', 'bob', PASSWORDS.bob);
  t.equal(new URL(page.url()).pathname, SECOND_STEP, 'the second step after the password');
  await t.resolves(page.getByRole('heading', { name: 'Two-step sign-in' }).waitFor());
  t.match(await page.getByRole('main').innerText(), /confirm with your second factor that you are bob/);
  t.equal(await sessionOf(bob, g), null, 'no session before the second step');
  await t.resolves(page.getByLabel('6-digit code').waitFor(), 'the app code is offered');
  t.equal(await page.getByText('Use a recovery code').count(), 1, 'and a recovery code, folded away');
  await screenshot(page, 'mfa-second-step');

  const posted = await captureResponseField(page, SECOND_STEP);
  await Promise.all([
    page.waitForURL(pathIs('/projects')),
    page.getByRole('button', { name: 'Use security key or passkey' }).click(),
  ]);
  await page.unroute(pathIs(SECOND_STEP));
  postedSecondStep = posted();
  t.match(postedSecondStep, /"type":"public-key"/, 'an assertion was posted');
  await t.resolves(page.getByRole('heading', { name: 'Hello, Bob Builder' }).waitFor(), 'signed in to the app');
  const s = await sessionOf(bob, g);
  t.match(s, { authMethod: 'password', mfaVerified: true });
  t.ok(s?.amr.includes('pwd'), 'amr pwd');
  t.ok(s?.amr.includes('hwk') || s?.amr.includes('swk'), `amr hwk or swk (${s?.amr.join(' ')})`);
  t.ok(s?.amr.includes('mfa'), 'amr mfa');
  t.equal(s?.mfaVerifiedAt, new Date(g.clock.now()).toISOString(), 'verified now');
});

t.test('4. a passkey alone: no username, no password', async (t) => {
  await signOut(page, g);
  await page.goto(g.at('/projects'));
  t.equal(new URL(page.url()).pathname, '/t/acme/login');
  const button = page.getByRole('button', { name: 'Sign in with a passkey' });
  await t.resolves(button.waitFor(), 'the script shows the passkey button');
  t.equal(await page.getByLabel('Username').inputValue(), '', 'no username typed');
  await page.getByLabel('Remember me on this device').check();
  const posted = await captureResponseField(page, PASSKEY_LOGIN);
  await Promise.all([page.waitForURL(pathIs('/projects')), button.click()]);
  await page.unroute(pathIs(PASSKEY_LOGIN));
  postedPasskeyLogin = posted();
  t.match(postedPasskeyLogin, /"userHandle":/, 'a discoverable credential answered with its user handle');
  await t.resolves(page.getByRole('heading', { name: 'Hello, Bob Builder' }).waitFor());
  const s = await sessionOf(bob, g);
  t.match(s, { authMethod: 'passkey', mfaVerified: true, rememberMe: true }, 'remembered, as the box said');
  t.ok(((await bob.cookies()).find((c) => c.name === 'gk_acme')?.expires ?? -1) > 0, 'a persistent cookie');
  t.ok(s?.amr.includes('mfa') && !s.amr.includes('pwd'), `amr without pwd, with mfa (${s?.amr.join(' ')})`);
  t.ok(
    g.logs.some((l) => l.includes('"audit":"login_succeeded"') && l.includes('"method":"passkey"')),
    'audited',
  );
});

t.test(
  "a sign-in on the gateway’s own host reaches an app-host rd: the CSP's form-action lets the redirect through (regression)",
  async (t) => {
    // rd may name an app host (safeRedirect allows them) and RP ID acme.test covers the
    // gateway host; the gateway signs the user in and answers 302 to the app host. A CSP
    // `form-action` also governs where a form post redirects to: with 'self' alone, Chromium
    // blocked that redirect and the browser stayed where it was, with nothing shown (the
    // password form too, the passkey sign-in and the second step alike).
    const gw = `http://${GW_HOST}:${port}`;
    const context = await newContext(browser, { userAgent: UA.linuxFirefox });
    t.teardown(() => context.close());
    const p = await context.newPage();
    await copyOfLaptopPasskey(p, context);
    const blocked: string[] = [];
    p.on('console', (m) => {
      if (m.text().includes('Content Security Policy')) blocked.push(m.text());
    });
    // The browser must get to the app host. There the host-only session cookie of the
    // gateway host is not sent (share it with cookie.domain), so the app host may ask for a
    // sign-in of its own: what matters here is that the redirect was not blocked.
    const onApp = (u: URL) => u.host === `${APP_HOST}:${port}`;
    /** Where the form post that `submit` makes ends: on the app, or why the browser stopped. */
    async function outcome(submit: () => Promise<void>): Promise<string> {
      blocked.length = 0;
      const [where] = await Promise.all([
        p.waitForURL(onApp).then(
          () => 'on the app',
          async (err: Error) => {
            // Chromium's console says why (it may come just after the aborted navigation).
            const why =
              blocked[0] ??
              (
                await p.waitForEvent('console', {
                  predicate: (m) => m.text().includes('Content Security Policy'),
                  timeout: 5000,
                })
              ).text();
            return `stopped: ${err.message.split('\n')[0]} ${why}`;
          },
        ),
        submit(),
      ]);
      return where;
    }
    const signedIn = () => g.logs.filter((l) => l.includes('"audit":"login_succeeded"')).length;
    /** The session the gateway did start (its cookie is on the gateway host) is ended again. */
    async function signOutThere(): Promise<void> {
      await p.goto(`${gw}/t/acme/logout`);
      await Promise.all([p.waitForURL(pathIs('/t/acme/login')), p.getByRole('button', { name: 'Sign out' }).click()]);
    }
    const login = `${gw}/t/acme/login?rd=${encodeURIComponent(g.at('/projects'))}`;

    await p.goto(login);
    let before = signedIn();
    const passkey = await outcome(() => p.getByRole('button', { name: 'Sign in with a passkey' }).click());
    t.equal(signedIn(), before + 1, 'passkey: the gateway did sign bob in');
    t.equal(passkey, 'on the app', `a passkey sign-in on ${GW_HOST} lands on the app`);
    await signOutThere();

    await p.goto(login);
    await p.getByLabel('Username').fill('bob');
    await p.getByLabel('Password').fill(PASSWORDS.bob);
    await Promise.all([
      p.waitForURL(pathIs(SECOND_STEP)),
      p.getByRole('button', { name: 'Sign in', exact: true }).click(),
    ]);
    before = signedIn();
    const second = await outcome(() => p.getByRole('button', { name: 'Use security key or passkey' }).click());
    t.equal(signedIn(), before + 1, 'second step: the gateway did sign bob in');
    t.equal(second, 'on the app', `the second step on ${GW_HOST} lands on the app`);
    await signOutThere();

    await p.goto(login);
    await p.getByLabel('Username').fill('alice');
    await p.getByLabel('Password').fill(PASSWORDS.alice);
    before = signedIn();
    const password = await outcome(() => p.getByRole('button', { name: 'Sign in', exact: true }).click());
    t.equal(signedIn(), before + 1, 'password alone: the gateway did sign alice in');
    t.equal(password, 'on the app', `a password sign-in on ${GW_HOST} lands on the app`);
  },
);

t.test('5. step-up: a route that needs a second factor within 10 minutes', async (t) => {
  const first = await page.goto(g.at(STEP_UP_PATH));
  t.equal(first?.status(), 200, 'the passkey sign-in just now is fresh enough');
  const before = await sessionOf(bob, g);

  g.clock.advance(11 * 60_000);
  await page.goto(g.at(STEP_UP_PATH));
  const at = new URL(page.url());
  t.equal(at.host, `${APP_HOST}:${port}`, 'on the app host');
  t.equal(at.pathname, SECOND_STEP, '11 minutes later: the second step again');
  t.equal(at.searchParams.get('max_age'), '600', 'asking for 10 minutes');
  t.equal(new URL(at.searchParams.get('rd') ?? '', g.app).pathname, STEP_UP_PATH, 'and coming back');
  await t.resolves(page.getByRole('heading', { name: 'Confirm it’s you' }).waitFor(), 'the step-up page');
  await screenshot(page, 'mfa-step-up');

  await Promise.all([
    page.waitForURL(pathIs(STEP_UP_PATH)),
    page.getByRole('button', { name: 'Use security key or passkey' }).click(),
  ]);
  await t.resolves(page.getByRole('heading', { name: 'Hello, Bob Builder' }).waitFor(), 'the app page loads');
  t.match(await page.locator('table').innerText(), /x-auth-user\s+u-bob/, 'with bob’s identity headers');
  t.match(await page.getByRole('main').innerText(), `GET ${STEP_UP_PATH}`, 'at the route');
  const after = await sessionOf(bob, g);
  t.equal(after?.id, before?.id, 'the same session');
  t.equal(after?.mfaVerifiedAt, new Date(g.clock.now()).toISOString(), 'its second factor is now');
});

t.test('5b. on the phone: password, then a code from the authenticator app', async (t) => {
  const phone = await newContext(browser, { userAgent: UA.iphone, phone: true });
  t.teardown(() => phone.close());
  const p = await phone.newPage();
  await openSignedIn(p, g, '/', 'bob', PASSWORDS.bob);
  t.equal(new URL(p.url()).pathname, SECOND_STEP);
  await p.getByLabel('6-digit code').fill(totpCode(totpSecret, g.clock.now()));
  await Promise.all([p.waitForURL(pathIs('/')), p.getByRole('button', { name: 'Verify' }).click()]);
  const s = await sessionOf(phone, g);
  t.match(s, { authMethod: 'password', mfaVerified: true });
  t.ok(s?.amr.includes('otp') && s.amr.includes('mfa'), `amr otp mfa (${s?.amr.join(' ')})`);
  phoneSessionId = s?.id ?? '';
});

t.test('6. the admin sees how each session signed in, and bob’s second factors', async (t) => {
  const admin = await newContext(browser, { userAgent: UA.macSafari });
  t.teardown(() => admin.close());
  const p = await admin.newPage();
  const userPage = '/t/acme/portal/access-management/users/u-bob';
  await openSignedIn(p, g, userPage, 'alice', PASSWORDS.alice);
  t.equal(new URL(p.url()).pathname, userPage);
  await t.resolves(p.getByRole('heading', { name: 'Bob Builder' }).waitFor());
  t.match(await p.locator('table.sessions thead').innerText(), /How/, 'a How column');
  const how = p.locator('table.sessions tbody td[data-label="How"]');
  t.equal(await how.count(), 2, 'the laptop and the phone');
  const laptopHow = p.locator(`tr[data-session-id="${await sessionIdOf(bob)}"] td[data-label="How"]`);
  t.match(await laptopHow.innerText(), /^Passkey\b/, 'the laptop signed in with a passkey');
  t.match(await laptopHow.innerText(), /2-step/, 'with the 2-step badge');
  const phoneHow = p.locator(`tr[data-session-id="${phoneSessionId}"] td[data-label="How"]`);
  t.match(await phoneHow.innerText(), /^Password \+ authenticator app\b/, 'the phone with password + app');
  t.match(await phoneHow.innerText(), /2-step/);
  const factors = p.locator('table.factors tbody tr');
  t.equal(await factors.count(), 2, 'two second factors, oldest first');
  t.match(await factors.nth(0).innerText(), /Authenticator app/);
  t.match(await factors.nth(1).innerText(), /Passkey[\s\S]*Laptop passkey/);
  t.match(await p.getByRole('main').innerText(), /Recovery codes left: 10\./);
  await screenshot(p, 'mfa-admin-user');
});

t.test('8. control: an untampered copy of the laptop’s passkey does sign in', async (t) => {
  // The attacks below use copies of this key; this shows a copy is accepted when nothing is
  // wrong with it, so each refusal comes from the one thing the attack changes.
  const { context, page: p } = await atSecondStep(t);
  await copyOfLaptopPasskey(p, context);
  await Promise.all([
    p.waitForURL(pathIs('/projects')),
    p.getByRole('button', { name: 'Use security key or passkey' }).click(),
  ]);
  t.match(await sessionOf(context, g), { authMethod: 'password', mfaVerified: true }, 'signed in');
});

t.test('8a. an assertion made for another RP ID is refused', async (t) => {
  const { context, page: p } = await atSecondStep(t);
  // The same key, registered for the app host (an RP ID the browser accepts on this page).
  await copyOfLaptopPasskey(p, context, { rpId: APP_HOST });
  await tamperOptions(p, (o) => {
    o.rpId = APP_HOST;
  });
  const failures = g.logs.filter((l) => l.includes('"audit":"mfa_failed"')).length;
  const [res] = await Promise.all([
    nextPost(p, SECOND_STEP),
    p.getByRole('button', { name: 'Use security key or passkey' }).click(),
  ]);
  await refusedWithoutSession(t, p, context, res, 'RP ID dashboard.acme.test');
  t.equal(g.logs.filter((l) => l.includes('"audit":"mfa_failed"')).length, failures + 1, 'audited mfa_failed');
});

t.test('8b. an assertion over a challenge the gateway did not issue is refused', async (t) => {
  const { context, page: p } = await atSecondStep(t);
  await copyOfLaptopPasskey(p, context);
  await tamperOptions(p, (o) => {
    o.challenge = randomBytes(32).toString('base64url');
  });
  const [res] = await Promise.all([
    nextPost(p, SECOND_STEP),
    p.getByRole('button', { name: 'Use security key or passkey' }).click(),
  ]);
  await refusedWithoutSession(t, p, context, res, 'another challenge');
});

t.test('8c. a replayed second step is refused', async (t) => {
  t.not(postedSecondStep, '', 'captured in step 3');
  const { context, page: p } = await atSecondStep(t);
  const [res] = await Promise.all([
    nextPost(p, SECOND_STEP),
    submitWith(p, 'webauthn-assert', 'webauthn_response', postedSecondStep),
  ]);
  await refusedWithoutSession(t, p, context, res, 'the assertion of step 3 again');
});

t.test('8d. a replayed passkey sign-in is refused', async (t) => {
  t.not(postedPasskeyLogin, '', 'captured in step 4');
  const context = await newContext(browser, { userAgent: UA.linuxFirefox });
  t.teardown(() => context.close());
  const p = await context.newPage();
  await p.goto(g.at('/projects'));
  await p.getByRole('button', { name: 'Sign in with a passkey' }).waitFor();
  const [res] = await Promise.all([
    nextPost(p, PASSKEY_LOGIN),
    submitWith(p, 'passkey-login', 'webauthn_response', postedPasskeyLogin),
  ]);
  t.equal(res.status(), 303, 'sent back');
  await t.resolves(
    p.getByRole('alert').filter({ hasText: PASSKEY_FAILED }).waitFor(),
    'to the login page, with a message',
  );
  t.equal(new URL(p.url()).pathname, '/t/acme/login');
  t.equal(await sessionOf(context, g), null, 'no session');
});

t.test('8e. a cloned authenticator whose counter went back is refused', async (t) => {
  const cred = await laptopPasskey();
  t.ok(cred.signCount >= 3, `the laptop's passkey was used (counter ${cred.signCount})`);
  const { context, page: p } = await atSecondStep(t);
  await copyOfLaptopPasskey(p, context, { signCount: 0 });
  const [res] = await Promise.all([
    nextPost(p, SECOND_STEP),
    p.getByRole('button', { name: 'Use security key or passkey' }).click(),
  ]);
  await refusedWithoutSession(t, p, context, res, 'counter 1 after ' + String(cred.signCount));
});

t.test('7. removing the passkey asks for a second factor; then it no longer signs in', async (t) => {
  g.clock.advance(11 * 60_000);
  await page.goto(g.at(SECURITY));
  const remove = page.getByRole('button', { name: 'Remove passkey “Laptop passkey”' });
  await Promise.all([page.waitForURL(pathIs(SECOND_STEP)), remove.click()]);
  await t.resolves(page.getByRole('heading', { name: 'Confirm it’s you' }).waitFor(), 'a second factor first');
  t.equal(new URL(page.url()).searchParams.get('max_age'), '600');
  await page.getByLabel('6-digit code').fill(totpCode(totpSecret, g.clock.now()));
  await Promise.all([page.waitForURL(pathIs(SECURITY)), page.getByRole('button', { name: 'Verify' }).click()]);
  t.equal(await page.locator('table.factors tbody tr').count(), 2, 'nothing removed by the confirmation alone');

  await Promise.all([page.waitForURL(/done=removed/), remove.click()]);
  await t.resolves(page.getByRole('status').filter({ hasText: 'The second factor was removed.' }).waitFor());
  t.equal(await page.locator('table.factors tbody tr').count(), 1, 'one factor left');
  t.equal(await page.getByText('Laptop passkey').count(), 0, 'the passkey is gone from the list');
  t.ok(
    g.logs.some((l) => l.includes('"audit":"mfa_removed"') && l.includes('"method":"webauthn"')),
    'audited mfa_removed',
  );

  await signOut(page, g);
  t.equal((await laptop.credentials()).length, 1, 'the laptop still offers it');
  const [res] = await Promise.all([
    nextPost(page, PASSKEY_LOGIN),
    page.getByRole('button', { name: 'Sign in with a passkey' }).click(),
  ]);
  t.equal(res.status(), 303);
  await t.resolves(
    page.getByRole('alert').filter({ hasText: PASSKEY_FAILED }).waitFor(),
    'the login page says it did not work',
  );
  t.equal(await sessionOf(bob, g), null, 'no session');
});

t.test('the screenshots are in test/artifacts', async (t) => {
  for (const name of SCREENSHOTS) t.ok(existsSync(join(ARTIFACTS, `${name}.png`)), `${name}.png`);
});
