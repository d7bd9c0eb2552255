// WebAuthn end to end over HTTP (SPEC §13) with a software authenticator (real ES256 keys
// and signatures): a security key (no discoverable credential) and a passkey (discoverable,
// user verification) registered on the security page, a second step with an assertion, a
// passkey sign-in without a password. Then the attacks, each refused without a session or
// a factor coming of it: no user verification at a passkey sign-in, an assertion for another
// RP ID or from another origin, a replay, an unknown challenge, another sign-in's or
// another user's challenge, a counter going back, another user's credential, a removed
// credential, a registration posted twice, garbage and huge responses (4xx, never 5xx).
import t, { type Test } from 'tap';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { startTestGateway, PASSWORDS } from '../helpers/gateway.js';
import { CookieJar, request, type Response } from '../helpers/http.js';
import { formToken, login } from '../helpers/login.js';
import { createSoftAuthenticator, type SoftAuthenticator, type SoftCredential } from '../helpers/soft-authenticator.js';

const gw = await startTestGateway();
t.teardown(() => gw.stop());
// The gateway's own host: the RP ID (gw.acme.test) and origin of the publicUrl.
const HOST = 'gw.acme.test';
const ORIGIN = `http://${HOST}`;
const RD = 'http://dashboard.acme.test/reports';

const headers = (jar: CookieJar, extra: Record<string, string> = {}) => ({
  host: HOST,
  accept: 'text/html',
  cookie: jar.header(),
  origin: ORIGIN,
  ...extra,
});

async function get(jar: CookieJar, path: string): Promise<Response> {
  const res = await request(gw.url, path, { headers: headers(jar) });
  jar.take(res);
  return res;
}

async function post(jar: CookieJar, path: string, form: Record<string, string>, cookie?: string): Promise<Response> {
  const res = await request(gw.url, path, {
    method: 'POST',
    form,
    headers: headers(jar, cookie !== undefined ? { cookie } : {}),
  });
  jar.take(res);
  return res;
}

async function postJson<T>(jar: CookieJar, path: string, csrf: string): Promise<{ res: Response; options: T }> {
  const res = await request(gw.url, path, {
    method: 'POST',
    headers: headers(jar, { 'x-csrf-token': csrf, accept: 'application/json' }),
  });
  jar.take(res);
  return { res, options: res.status === 200 ? res.json<{ options: T }>().options : (undefined as T) };
}

const meta = (body: string): string => {
  const m = /<meta name="csrf-token" content="([^"]+)"/.exec(body);
  if (!m) throw new Error('no csrf-token meta');
  return m[1]!;
};

async function signedIn(username: 'alice' | 'bob'): Promise<CookieJar> {
  const { jar, res } = await login(gw.url, { host: HOST, username, password: PASSWORDS[username] });
  if (res.status !== 302 || !jar.get('gk_acme')) throw new Error(`login of ${username}: ${res.status}`);
  return jar;
}

/** Registration options for a signed-in jar, and the CSRF token of its security page. */
async function registrationOptions(
  jar: CookieJar,
): Promise<{ options: PublicKeyCredentialCreationOptionsJSON; csrf: string }> {
  const page = await get(jar, '/t/acme/account/security');
  if (page.status !== 200) throw new Error(`security page: ${page.status}`);
  const csrf = meta(page.body);
  const { res, options } = await postJson<PublicKeyCredentialCreationOptionsJSON>(
    jar,
    '/t/acme/account/security/webauthn/options',
    csrf,
  );
  if (res.status !== 200) throw new Error(`registration options: ${res.status} ${res.body}`);
  return { options, csrf };
}

function postRegistration(jar: CookieJar, csrf: string, name: string, response: RegistrationResponseJSON | string) {
  return post(jar, '/t/acme/account/security/webauthn', {
    csrf_token: csrf,
    name,
    response: typeof response === 'string' ? response : JSON.stringify(response),
  });
}

const factorsOf = (userId: string) => gw.gw.deps.factors.listFactors('acme', userId);
const sessionsOf = async (userId: string) =>
  (await gw.gw.deps.store.listUserSessions('acme', userId, gw.clock.now())).length;

/** A sign-in after the password, at its second step: the jar, the step page's token. */
async function pendingSignIn(username: 'alice' | 'bob'): Promise<{ jar: CookieJar; csrf: string }> {
  const { jar, res } = await login(gw.url, { host: HOST, username, password: PASSWORDS[username], rd: RD });
  if (res.status !== 302 || !/^\/t\/acme\/login\/mfa\?/.test(String(res.headers.location)))
    throw new Error(`first step of ${username}: ${res.status} ${res.headers.location}`);
  const page = await get(jar, String(res.headers.location));
  if (page.status !== 200) throw new Error(`second step page: ${page.status}`);
  return { jar, csrf: formToken(page.body) };
}

async function assertionOptions(jar: CookieJar, csrf: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const { res, options } = await postJson<PublicKeyCredentialRequestOptionsJSON>(
    jar,
    '/t/acme/login/mfa/webauthn/options',
    csrf,
  );
  if (res.status !== 200) throw new Error(`assertion options: ${res.status} ${res.body}`);
  return options;
}

function postSecondStep(jar: CookieJar, csrf: string, response: AuthenticationResponseJSON | string, cookie?: string) {
  return post(
    jar,
    '/t/acme/login/mfa',
    { csrf_token: csrf, rd: RD, webauthn_response: typeof response === 'string' ? response : JSON.stringify(response) },
    cookie,
  );
}

/** The login page's token and passkey options (a discoverable-credential sign-in). */
async function passkeyStart(
  jar = new CookieJar(),
): Promise<{ jar: CookieJar; csrf: string; options: PublicKeyCredentialRequestOptionsJSON }> {
  const page = await get(jar, `/t/acme/login?rd=${encodeURIComponent(RD)}`);
  const csrf = formToken(page.body);
  const { res, options } = await postJson<PublicKeyCredentialRequestOptionsJSON>(
    jar,
    '/t/acme/login/passkey/options',
    csrf,
  );
  if (res.status !== 200) throw new Error(`passkey options: ${res.status} ${res.body}`);
  return { jar, csrf, options };
}

function postPasskey(jar: CookieJar, csrf: string, response: AuthenticationResponseJSON | string, cookie?: string) {
  return post(
    jar,
    '/t/acme/login/passkey',
    { csrf_token: csrf, rd: RD, webauthn_response: typeof response === 'string' ? response : JSON.stringify(response) },
    cookie,
  );
}

/** The same key pair in an authenticator bound to another RP ID or origin (a phishing page's). */
function elsewhere(cred: SoftCredential, where: { rpId: string; origin: string }): SoftAuthenticator {
  const other = createSoftAuthenticator(where);
  other.credentials.push({ ...cred });
  return other;
}

/** Refused: no session cookie set, a 4xx, and no new session for the user. */
async function refusedSignIn(t: Test, res: Response, userId: string, before: number, what: string): Promise<void> {
  t.ok(res.status >= 300 && res.status < 500, `${what}: refused (${res.status})`);
  // Refused for what it is, not for a missing token: a failed step or back to the login page.
  if (res.status === 401) t.equal(res.headers['x-auth-error-code'], 'ERR_GK_MFA_FAILED', `${what}: ERR_GK_MFA_FAILED`);
  else t.match(res.headers.location, /^\/t\/acme\/login\?/, `${what}: back to the login page`);
  t.notOk(
    res.setCookies.some((c) => c.startsWith('gk_acme=') && !/gk_acme=;/.test(c)),
    `${what}: no session cookie`,
  );
  t.equal(await sessionsOf(userId), before, `${what}: no new session`);
}

// Two devices: a security key, and a phone holding a passkey (one device never holds two
// credentials of one user: the second registration excludes the first).
const bobKey = createSoftAuthenticator({ rpId: HOST, origin: ORIGIN });
const bobPhone = createSoftAuthenticator({ rpId: HOST, origin: ORIGIN });
const aliceKeys = createSoftAuthenticator({ rpId: HOST, origin: ORIGIN });
let securityKey: SoftCredential;
let passkey: SoftCredential;

t.test('bob registers a security key and a passkey on the security page', async (t) => {
  const jar = await signedIn('bob');
  const first = await registrationOptions(jar);
  t.equal(first.options.rp.id, HOST, 'the RP ID is the publicUrl host');
  t.equal(Buffer.from(first.options.user.id, 'base64url').toString('utf8'), 'u-bob', 'the user handle names the user');
  t.same(first.options.excludeCredentials, [], 'nothing to exclude yet');
  const keyReg = bobKey.register(first.options, { uv: false, rk: false });
  securityKey = bobKey.credentials[0]!;
  const added = await postRegistration(jar, first.csrf, 'YubiKey', keyReg);
  t.equal(added.status, 200, 'the first factor: recovery codes shown once');
  t.match(added.body, /<code>[a-z2-7]{5}-[a-z2-7]{5}<\/code>/);

  // The first enrolment counted as a second factor: a second key may be added at once.
  const second = await registrationOptions(jar);
  t.same(
    second.options.excludeCredentials?.map((c) => c.id),
    [securityKey.id],
    'the key already enrolled is excluded',
  );
  const passReg = bobPhone.register(second.options, { uv: true, rk: true, synced: true });
  passkey = bobPhone.credentials[0]!;
  const addedPasskey = await postRegistration(jar, second.csrf, 'Phone', passReg);
  t.equal(addedPasskey.status, 303, 'recovery codes exist: back to the security page');
  t.match(addedPasskey.headers.location, /^\/t\/acme\/account\/security\?done=webauthn-added/);

  const factors = await factorsOf('u-bob');
  t.same(
    factors
      .map((f) => [f.kind, f.name, f.kind === 'webauthn' ? f.discoverable : null])
      .sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
    [
      ['webauthn', 'Phone', true],
      ['webauthn', 'YubiKey', false],
    ],
  );
});

t.test('the second step with a security key assertion', async (t) => {
  const { jar, csrf } = await pendingSignIn('bob');
  const options = await assertionOptions(jar, csrf);
  t.same(
    options.allowCredentials?.map((c) => c.id).sort(),
    [securityKey.id, passkey.id].sort(),
    "the options name bob's credentials",
  );
  const res = await postSecondStep(jar, csrf, bobKey.assert(options, { credentialId: securityKey.id, uv: false }));
  t.equal(res.status, 302);
  t.equal(res.headers.location, RD);
  t.ok(jar.get('gk_acme'), 'a session after the second step');
  const s = await request(gw.url, '/t/acme/api/v1/session', { headers: headers(jar) });
  const session = s.json<{ session: { authMethod: string; amr: string[]; mfaVerified: boolean } }>().session;
  t.equal(session.authMethod, 'password');
  t.same(session.amr, ['pwd', 'hwk', 'mfa']);
  t.equal(session.mfaVerified, true);
  const key = (await factorsOf('u-bob')).find((f) => f.kind === 'webauthn' && f.credentialId === securityKey.id);
  t.equal(key?.kind === 'webauthn' ? key.counter : -1, securityKey.counter, 'the counter moved on');
  t.ok(key?.lastUsedAt, 'last used recorded');
});

t.test('a passkey signs in without a password', async (t) => {
  const { jar, csrf, options } = await passkeyStart();
  t.same(options.allowCredentials ?? [], [], 'no credential named: the authenticator offers its passkeys');
  t.equal(options.rpId, HOST);
  const res = await postPasskey(jar, csrf, bobPhone.assert(options, { credentialId: passkey.id }));
  t.equal(res.status, 302);
  t.equal(res.headers.location, RD);
  t.ok(jar.get('gk_acme'));
  const s = await request(gw.url, '/t/acme/api/v1/session', { headers: headers(jar) });
  const session = s.json<{ session: { authMethod: string; amr: string[]; mfaVerified: boolean; userId: string } }>()
    .session;
  t.equal(session.userId, 'u-bob', 'the user handle named bob');
  t.equal(session.authMethod, 'passkey');
  t.ok(session.amr.includes('mfa'), `amr ${session.amr.join(' ')} includes mfa`);
  t.ok(session.amr.includes('swk') && session.amr.includes('user'), 'a synced passkey with user verification');
  t.equal(session.mfaVerified, true);
  const mfaRoute = await request(gw.url, '/mfa-any/x', {
    headers: { host: 'dashboard.acme.test', accept: 'application/json', cookie: jar.header() },
  });
  t.equal(mfaRoute.status, 200, 'a passkey session passes an mfa route');
});

t.test('refused: a passkey without user verification at sign-in', async (t) => {
  const before = await sessionsOf('u-bob');
  const { jar, csrf, options } = await passkeyStart();
  const res = await postPasskey(jar, csrf, bobPhone.assert(options, { credentialId: passkey.id, uv: false }));
  t.equal(res.status, 303);
  t.match(res.headers.location, /error=passkey/);
  await refusedSignIn(t, res, 'u-bob', before, 'no UV');
  t.notOk(jar.get('gk_acme'));
});

t.test('refused: an assertion signed for another RP ID, or from another origin', async (t) => {
  const before = await sessionsOf('u-bob');
  for (const where of [
    { rpId: 'evil.test', origin: 'http://evil.test' },
    { rpId: 'acme.test', origin: ORIGIN },
    { rpId: HOST, origin: 'http://evil.test' },
    { rpId: HOST, origin: 'http://dashboard.acme.test' },
    { rpId: HOST, origin: 'https://gw.acme.test' },
  ]) {
    const what = `rpId ${where.rpId}, origin ${where.origin}`;
    const phish = elsewhere(passkey, where);
    const p = await passkeyStart();
    const res = await postPasskey(p.jar, p.csrf, phish.assert(p.options, { credentialId: passkey.id }));
    await refusedSignIn(t, res, 'u-bob', before, `passkey sign-in, ${what}`);

    const step = await pendingSignIn('bob');
    const options = await assertionOptions(step.jar, step.csrf);
    const phishKey = elsewhere(securityKey, where);
    const res2 = await postSecondStep(step.jar, step.csrf, phishKey.assert(options, { credentialId: securityKey.id }));
    t.equal(res2.status, 401, `second step, ${what}: 401`);
    await refusedSignIn(t, res2, 'u-bob', before, `second step, ${what}`);
  }
});

t.test('refused: a replayed assertion (the same response posted twice)', async (t) => {
  // At a passkey sign-in: the first use signs in, the second (same cookies) does not.
  const p = await passkeyStart();
  const cookie = p.jar.header();
  const response = bobPhone.assert(p.options, { credentialId: passkey.id });
  const ok = await postPasskey(p.jar, p.csrf, response, cookie);
  t.equal(ok.status, 302);
  const before = await sessionsOf('u-bob');
  const again = await postPasskey(new CookieJar(), p.csrf, response, cookie);
  await refusedSignIn(t, again, 'u-bob', before, 'passkey replay');

  // At the second step: the same response in the same pending sign-in, twice.
  const step = await pendingSignIn('bob');
  const stepCookie = step.jar.header();
  const options = await assertionOptions(step.jar, step.csrf);
  const assertion = bobKey.assert(options, { credentialId: securityKey.id });
  // Posted once, then replayed with the same cookies, and in another pending sign-in of bob's.
  const first = await postSecondStep(step.jar, step.csrf, assertion, step.jar.header());
  t.equal(first.status, 302);
  const afterFirst = await sessionsOf('u-bob');
  const replay = await postSecondStep(new CookieJar(), step.csrf, assertion, stepCookie);
  await refusedSignIn(t, replay, 'u-bob', afterFirst, 'second-step replay with the same cookies');
  const other = await pendingSignIn('bob');
  const replay2 = await postSecondStep(other.jar, other.csrf, assertion);
  t.equal(replay2.status, 401);
  await refusedSignIn(t, replay2, 'u-bob', afterFirst, 'second-step replay in another sign-in');
});

t.test('refused: a response to a challenge never issued', async (t) => {
  const before = await sessionsOf('u-bob');
  const made = (allow: string | null): PublicKeyCredentialRequestOptionsJSON => ({
    challenge: Buffer.from('a challenge the gateway never issued!').toString('base64url'),
    rpId: HOST,
    ...(allow ? { allowCredentials: [{ id: allow, type: 'public-key' as const }] } : {}),
    userVerification: 'preferred',
  });
  const p = await passkeyStart();
  await refusedSignIn(
    t,
    await postPasskey(p.jar, p.csrf, bobPhone.assert(made(null), { credentialId: passkey.id })),
    'u-bob',
    before,
    'passkey, unknown challenge',
  );
  const step = await pendingSignIn('bob');
  await assertionOptions(step.jar, step.csrf);
  const res = await postSecondStep(step.jar, step.csrf, bobKey.assert(made(securityKey.id)));
  t.equal(res.status, 401);
  await refusedSignIn(t, res, 'u-bob', before, 'second step, unknown challenge');
});

t.test("refused: a challenge issued to another sign-in or another user's sign-in", async (t) => {
  const aliceJar = await signedIn('alice');
  const reg = await registrationOptions(aliceJar);
  const added = await postRegistration(aliceJar, reg.csrf, 'Alice key', aliceKeys.register(reg.options));
  t.equal(added.status, 200, 'alice has a key');
  const before = await sessionsOf('u-bob');

  // Bob's pending sign-in A asks for options; the assertion is posted in bob's pending sign-in B.
  const a = await pendingSignIn('bob');
  const b = await pendingSignIn('bob');
  const optionsA = await assertionOptions(a.jar, a.csrf);
  const res = await postSecondStep(b.jar, b.csrf, bobKey.assert(optionsA, { credentialId: securityKey.id }));
  t.equal(res.status, 401);
  await refusedSignIn(t, res, 'u-bob', before, "another sign-in's challenge");

  // Alice's pending sign-in asks; bob's sign-in answers that challenge with bob's own key.
  const al = await pendingSignIn('alice');
  const optionsAlice = await assertionOptions(al.jar, al.csrf);
  const c = await pendingSignIn('bob');
  const res2 = await postSecondStep(
    c.jar,
    c.csrf,
    bobKey.assert({ ...optionsAlice, allowCredentials: [] }, { credentialId: securityKey.id }),
  );
  t.equal(res2.status, 401);
  await refusedSignIn(t, res2, 'u-bob', before, "another user's challenge");

  // A signed-in session's registration challenge is no sign-in challenge.
  const bobSession = await signedIn('bob').catch(() => null);
  t.equal(bobSession, null, 'bob has factors: the password alone gives no session');
  const p = await passkeyStart();
  const regOfAlice = await registrationOptions(aliceJar);
  const res3 = await postPasskey(
    p.jar,
    p.csrf,
    bobPhone.assert({ challenge: regOfAlice.options.challenge, rpId: HOST }, { credentialId: passkey.id }),
  );
  await refusedSignIn(t, res3, 'u-bob', before, 'a registration challenge used to sign in');
});

t.test('refused: a counter that goes backwards', async (t) => {
  const before = await sessionsOf('u-bob');
  const stored = (await factorsOf('u-bob')).find((f) => f.kind === 'webauthn' && f.credentialId === securityKey.id);
  const counter = stored?.kind === 'webauthn' ? stored.counter : 0;
  t.ok(counter > 0, 'the key has a counter');
  const step = await pendingSignIn('bob');
  const options = await assertionOptions(step.jar, step.csrf);
  const res = await postSecondStep(
    step.jar,
    step.csrf,
    bobKey.assert(options, { credentialId: securityKey.id, counter: counter - 1 }),
  );
  t.equal(res.status, 401);
  await refusedSignIn(t, res, 'u-bob', before, 'counter backwards (a cloned key)');
  const step2 = await pendingSignIn('bob');
  const options2 = await assertionOptions(step2.jar, step2.csrf);
  const same = await postSecondStep(
    step2.jar,
    step2.csrf,
    bobKey.assert(options2, { credentialId: securityKey.id, counter }),
  );
  t.equal(same.status, 401, 'the same counter again is refused too');
  await refusedSignIn(t, same, 'u-bob', before, 'counter not moving');
});

t.test("refused: another user's credential", async (t) => {
  const aliceKey = aliceKeys.credentials[0]!;
  const before = await sessionsOf('u-bob');
  // In bob's second step, with alice's key (on bob's own challenge).
  const step = await pendingSignIn('bob');
  const options = await assertionOptions(step.jar, step.csrf);
  const withAlice = elsewhere(aliceKey, { rpId: HOST, origin: ORIGIN });
  const res = await postSecondStep(
    step.jar,
    step.csrf,
    withAlice.assert(options, { credentialId: aliceKey.id, noUserHandle: true }),
  );
  t.equal(res.status, 401);
  await refusedSignIn(t, res, 'u-bob', before, "bob's second step with alice's key");

  // A passkey sign-in where alice's key claims to be bob's (bob's user handle).
  const p = await passkeyStart();
  const claimsBob = createSoftAuthenticator({ rpId: HOST, origin: ORIGIN });
  claimsBob.credentials.push({ ...aliceKey, userHandle: passkey.userHandle });
  await refusedSignIn(
    t,
    await postPasskey(p.jar, p.csrf, claimsBob.assert(p.options, { credentialId: aliceKey.id })),
    'u-bob',
    before,
    "alice's key with bob's user handle",
  );
  // And bob's credential id with alice's key pair (a forged signature).
  const forged = createSoftAuthenticator({ rpId: HOST, origin: ORIGIN });
  forged.credentials.push({ ...aliceKey, id: passkey.id, userHandle: passkey.userHandle, counter: 1000 });
  const p2 = await passkeyStart();
  await refusedSignIn(
    t,
    await postPasskey(p2.jar, p2.csrf, forged.assert(p2.options, { credentialId: passkey.id })),
    'u-bob',
    before,
    "bob's credential id signed with another key",
  );
});

t.test('refused: a registration response replayed to add the key twice', async (t) => {
  const jar = await signedIn('alice').catch(() => null);
  t.equal(jar, null, 'alice has a factor now');
  // Bob signs in with his passkey (a fresh second factor), then registers a new key.
  const p = await passkeyStart();
  const signed = await postPasskey(p.jar, p.csrf, bobPhone.assert(p.options, { credentialId: passkey.id }));
  t.equal(signed.status, 302);
  const bob = p.jar;
  const countBefore = (await factorsOf('u-bob')).length;
  const { options, csrf } = await registrationOptions(bob);
  const extra = createSoftAuthenticator({ rpId: HOST, origin: ORIGIN });
  const response = extra.register(options);
  const cookie = bob.header();
  const first = await postRegistration(bob, csrf, 'Extra', response);
  t.equal(first.status, 303);
  t.match(first.headers.location, /done=webauthn-added/);
  const again = await post(
    new CookieJar(),
    '/t/acme/account/security/webauthn',
    { csrf_token: csrf, name: 'Extra again', response: JSON.stringify(response) },
    cookie,
  );
  t.equal(again.status, 303);
  t.match(again.headers.location, /error=webauthn-failed/);
  t.equal((await factorsOf('u-bob')).length, countBefore + 1, 'the key was added once');
});

t.test('refused: a removed credential', async (t) => {
  const p = await passkeyStart();
  t.equal((await postPasskey(p.jar, p.csrf, bobPhone.assert(p.options, { credentialId: passkey.id }))).status, 302);
  const bob = p.jar;
  const page = await get(bob, '/t/acme/account/security');
  const key = (await factorsOf('u-bob')).find((f) => f.kind === 'webauthn' && f.credentialId === securityKey.id)!;
  const removed = await post(bob, `/t/acme/account/security/factors/${encodeURIComponent(key.id)}/remove`, {
    csrf_token: meta(page.body),
  });
  t.equal(removed.status, 303);
  t.match(removed.headers.location, /done=removed/);
  t.notOk(
    (await factorsOf('u-bob')).some((f) => f.id === key.id),
    'the key is gone',
  );
  const before = await sessionsOf('u-bob');
  const step = await pendingSignIn('bob');
  const options = await assertionOptions(step.jar, step.csrf);
  t.notOk(
    options.allowCredentials?.some((c) => c.id === securityKey.id),
    'no longer offered',
  );
  const res = await postSecondStep(
    step.jar,
    step.csrf,
    bobKey.assert({ ...options, allowCredentials: [] }, { credentialId: securityKey.id }),
  );
  t.equal(res.status, 401);
  await refusedSignIn(t, res, 'u-bob', before, 'a removed key');
});

t.test("refused: a registration answering another session's or user's challenge", async (t) => {
  const p = await passkeyStart();
  t.equal((await postPasskey(p.jar, p.csrf, bobPhone.assert(p.options, { credentialId: passkey.id }))).status, 302);
  const bob = p.jar;
  const q = await passkeyStart();
  t.equal((await postPasskey(q.jar, q.csrf, bobPhone.assert(q.options, { credentialId: passkey.id }))).status, 302);
  const bobElsewhere = q.jar;
  const countBefore = (await factorsOf('u-bob')).length;
  const aliceStep = await pendingSignIn('alice');
  const aliceOptions = await assertionOptions(aliceStep.jar, aliceStep.csrf);
  t.ok(aliceOptions.challenge, "alice's sign-in has a challenge");
  // Options asked in bob's other session (same user, another browser), answered here.
  const other = await registrationOptions(bobElsewhere);
  const mine = await registrationOptions(bob);
  const dev = createSoftAuthenticator({ rpId: HOST, origin: ORIGIN });
  const res = await postRegistration(bob, mine.csrf, 'Other session', dev.register(other.options));
  t.equal(res.status, 303);
  t.match(res.headers.location, /error=webauthn-failed/, "another session's challenge");
  // A sign-in challenge (not a registration one) answered as a registration.
  const res2 = await postRegistration(
    bob,
    mine.csrf,
    'Sign-in challenge',
    createSoftAuthenticator({ rpId: HOST, origin: ORIGIN }).register({
      ...mine.options,
      challenge: aliceOptions.challenge,
    }),
  );
  t.match(res2.headers.location, /error=webauthn-failed/, 'a sign-in challenge');
  t.equal((await factorsOf('u-bob')).length, countBefore, 'no factor added');
});

t.test('passkey sign-in switched off: no options, no sign-in', async (t) => {
  const off = await startTestGateway({ settings: 'mfa: { passkeyLogin: false }' });
  t.teardown(() => off.stop());
  const jar = new CookieJar();
  const pageRes = await request(off.url, '/t/acme/login', { headers: headers(jar) });
  jar.take(pageRes);
  t.notMatch(pageRes.body, /passkey-login/, 'no passkey form');
  const csrf = formToken(pageRes.body);
  const opts = await request(off.url, '/t/acme/login/passkey/options', {
    method: 'POST',
    headers: headers(jar, { 'x-csrf-token': csrf, accept: 'application/json' }),
  });
  t.equal(opts.status, 404);
  const res = await request(off.url, '/t/acme/login/passkey', {
    method: 'POST',
    form: { csrf_token: csrf, webauthn_response: '{}' },
    headers: headers(jar),
  });
  t.equal(res.status, 404);
  t.notOk(res.setCookies.some((c) => /^gk_acme=[^;]/.test(c)));
});

t.test('garbage and huge responses: 4xx, never 5xx, nothing created', async (t) => {
  const before = await sessionsOf('u-bob');
  const factorsBefore = (await factorsOf('u-bob')).length;
  const huge = JSON.stringify({
    id: 'A'.repeat(40_000),
    rawId: 'A'.repeat(40_000),
    type: 'public-key',
    response: { clientDataJSON: 'B'.repeat(20_000) },
  });
  const garbage = [
    'garbage',
    '{}',
    'null',
    '[]',
    '"x"',
    '{"id":1,"rawId":1,"type":"public-key","response":{}}',
    JSON.stringify({
      id: 'x',
      rawId: 'x',
      type: 'public-key',
      response: { clientDataJSON: '%%%', authenticatorData: 'a', signature: 'b' },
    }),
    JSON.stringify({
      id: 'x',
      rawId: 'x',
      type: 'public-key',
      response: {
        clientDataJSON: Buffer.from('{"challenge":{"a":1}}').toString('base64url'),
        authenticatorData: 'AA',
        signature: 'AA',
        userHandle: 'dS1ib2I',
      },
    }),
    huge,
    JSON.stringify({
      id: 'AAAA',
      rawId: 'AAAA',
      type: 'public-key',
      response: {
        clientDataJSON: 'e30',
        attestationObject: 'A'.repeat(50_000),
        authenticatorData: 'A'.repeat(9_000),
        signature: 'A'.repeat(3_000),
      },
    }),
    'x'.repeat(70_000),
  ];
  for (const [i, body] of garbage.entries()) {
    const p = await passkeyStart();
    const res = await postPasskey(p.jar, p.csrf, body);
    t.ok(res.status >= 300 && res.status < 500, `passkey sign-in, garbage ${i}: ${res.status}`);
    const step = await pendingSignIn('bob');
    await assertionOptions(step.jar, step.csrf);
    const res2 = await postSecondStep(step.jar, step.csrf, body);
    t.ok(res2.status >= 400 && res2.status < 500, `second step, garbage ${i}: ${res2.status}`);
  }
  const p = await passkeyStart();
  t.equal((await postPasskey(p.jar, p.csrf, bobPhone.assert(p.options, { credentialId: passkey.id }))).status, 302);
  const bob = p.jar;
  for (const [i, body] of garbage.entries()) {
    const { csrf } = await registrationOptions(bob);
    const res = await postRegistration(bob, csrf, 'junk', body);
    t.ok(res.status >= 300 && res.status < 500, `registration, garbage ${i}: ${res.status}`);
  }
  const tooBig = await request(gw.url, '/t/acme/login/mfa', {
    method: 'POST',
    body: `csrf_token=x&webauthn_response=${'x'.repeat(200_000)}`,
    headers: { ...headers(new CookieJar()), 'content-type': 'application/x-www-form-urlencoded' },
  });
  t.ok(tooBig.status >= 400 && tooBig.status < 500, `a body over the limit: ${tooBig.status}`);
  t.equal(await sessionsOf('u-bob'), before + 1, 'only the real passkey sign-in made a session');
  t.equal((await factorsOf('u-bob')).length, factorsBefore, 'no factor from garbage');
});
