// WebAuthn with a software authenticator (real keys, authenticator data and signatures):
// registration with 'none' attestation, then assertions — a valid one is accepted; one for
// another RP ID, from another origin, for another challenge, with a counter that does not
// go up, with a tampered signature or data, or with another user's credential or handle is
// refused (null, never an exception). Untrusted JSON is read defensively.
import t from 'tap';
import {
  authenticationOptions,
  challengeOf,
  credentialIdOf,
  registrationOptions,
  relyingParty,
  userHandleOf,
  verifyAssertion,
  verifyRegistration,
  WEBAUTHN_TIMEOUT_MS,
  type RegisteredCredential,
  type RelyingParty,
} from '../../src/mfa/webauthn.js';
import type { WebAuthnFactor } from '../../src/store/factors.js';
import { createSoftAuthenticator, type SoftAuthenticator } from '../helpers/soft-authenticator.js';

const RP: RelyingParty = relyingParty('https://gw.example.com/base', null, 'Acme');
const ALICE = { id: 'u-alice', username: 'alice', name: 'Alice A.' };
const BOB = { id: 'u-bob', username: 'bob', name: '' };

function factorOf(user: { id: string }, reg: RegisteredCredential, id = 'fac_1'): WebAuthnFactor {
  return {
    id,
    tenant: 'acme',
    userId: user.id,
    name: 'Key',
    createdAt: 0,
    lastUsedAt: null,
    kind: 'webauthn',
    credentialId: reg.credentialId,
    publicKey: reg.publicKey,
    counter: reg.counter,
    transports: reg.transports,
    discoverable: reg.discoverable,
    deviceType: reg.deviceType,
    backedUp: reg.backedUp,
  };
}

async function enrol(
  auth: SoftAuthenticator,
  user = ALICE,
  opts: Parameters<SoftAuthenticator['register']>[1] = {},
): Promise<WebAuthnFactor> {
  const options = await registrationOptions(RP, user, []);
  const reg = await verifyRegistration(RP, auth.register(options, opts), options.challenge);
  if (!reg) throw new Error('registration failed');
  return factorOf(user, reg);
}

const genuine = () => createSoftAuthenticator({ rpId: RP.rpId, origin: RP.origin });

t.test('relyingParty: RP ID and origin of a tenant', async (t) => {
  t.same(RP, { rpId: 'gw.example.com', rpName: 'Acme', origin: 'https://gw.example.com' });
  t.same(relyingParty('https://GW.Example.com:8443/x', 'example.com', 'A'), {
    rpId: 'example.com',
    rpName: 'A',
    origin: 'https://gw.example.com:8443',
  });
  t.equal(relyingParty('http://localhost:8080', null, 'A').rpId, 'localhost');
  t.throws(() => relyingParty('https://gw.example.com', 'other.com', 'A'), /not gw\.example\.com or a parent/);
  t.throws(() => relyingParty('https://gw.example.com', 'ample.com', 'A'), /parent/, 'a suffix but not a domain');
  t.throws(() => relyingParty('https://gw.example.com', 'sub.gw.example.com', 'A'), /parent/);
});

t.test('registrationOptions: the gateway choices', async (t) => {
  const auth = genuine();
  const existing = await enrol(auth);
  const options = await registrationOptions(RP, ALICE, [existing]);
  t.same(options.rp, { name: 'Acme', id: 'gw.example.com' });
  t.equal(options.user.id, Buffer.from('u-alice').toString('base64url'), 'user handle = UTF-8 of the user id');
  t.equal(options.user.name, 'alice');
  t.equal(options.user.displayName, 'Alice A.');
  t.equal((await registrationOptions(RP, BOB, [])).user.displayName, 'bob', 'no name: the username');
  t.same(
    options.pubKeyCredParams.map((p) => p.alg),
    [-7, -257, -8],
    'ES256, RS256, EdDSA',
  );
  t.equal(options.attestation, 'none');
  t.match(options.authenticatorSelection, { residentKey: 'preferred', userVerification: 'preferred' });
  t.equal(options.timeout, WEBAUTHN_TIMEOUT_MS);
  t.same(
    options.excludeCredentials?.map((c) => c.id),
    [existing.credentialId],
  );
  t.match(options.challenge, /^[A-Za-z0-9_-]{43}$/, '32 random bytes');
  t.not((await registrationOptions(RP, ALICE, [])).challenge, options.challenge);
  // The authenticator that holds an excluded credential is not enrolled twice.
  t.throws(() => auth.register(options), /excluded/);
});

t.test('verifyRegistration: a valid response yields the factor fields', async (t) => {
  const auth = genuine();
  const options = await registrationOptions(RP, ALICE, []);
  const response = auth.register(options);
  const reg = await verifyRegistration(RP, JSON.stringify(response), options.challenge);
  t.ok(reg, 'accepted (as the JSON text of a form field)');
  t.equal(reg!.credentialId, response.id);
  t.equal(reg!.counter, 0);
  t.same(reg!.transports, ['usb']);
  t.equal(reg!.discoverable, true, 'credProps rk');
  t.equal(reg!.deviceType, 'singleDevice');
  t.equal(reg!.backedUp, false);
  t.equal(reg!.userVerified, true);
  t.match(reg!.publicKey, /^[A-Za-z0-9_-]+$/);
  t.ok(await verifyRegistration(RP, response, options.challenge), 'as a parsed object too');
});

t.test('verifyRegistration: the discoverable rule', async (t) => {
  const reg = async (opts: Parameters<SoftAuthenticator['register']>[1]) => {
    const options = await registrationOptions(RP, ALICE, []);
    return verifyRegistration(RP, genuine().register(options, opts), options.challenge);
  };
  t.equal((await reg({ rk: false }))!.discoverable, false, 'credProps rk false');
  t.equal((await reg({ rk: undefined }))!.discoverable, false, 'no credProps, device-bound: not discoverable');
  const synced = await reg({ rk: undefined, synced: true });
  t.equal(synced!.discoverable, true, 'no credProps, synced passkey: discoverable');
  t.equal(synced!.deviceType, 'multiDevice');
  t.equal(synced!.backedUp, true);
  t.equal((await reg({ uv: false }))!.userVerified, false, 'no UV: still a valid registration');
});

t.test('verifyRegistration refuses forged and misdirected responses', async (t) => {
  const options = await registrationOptions(RP, ALICE, []);
  const good = genuine().register(options);
  t.equal(await verifyRegistration(RP, good, 'another-challenge'), null, 'another challenge');
  const phish = createSoftAuthenticator({ rpId: 'evil.example', origin: RP.origin }).register(options);
  t.equal(await verifyRegistration(RP, phish, options.challenge), null, 'another RP ID');
  const elsewhere = createSoftAuthenticator({ rpId: RP.rpId, origin: 'https://evil.example' }).register(options);
  t.equal(await verifyRegistration(RP, elsewhere, options.challenge), null, 'another origin');
  const asGet = { ...good, response: { ...good.response, clientDataJSON: swapType(good.response.clientDataJSON) } };
  t.equal(await verifyRegistration(RP, asGet, options.challenge), null, 'clientData type webauthn.get');
  const att = Buffer.from(good.response.attestationObject, 'base64url');
  att[att.length - 70]! ^= 1; // inside the COSE key
  const tampered = { ...good, response: { ...good.response, attestationObject: att.toString('base64url') } };
  t.equal(await verifyRegistration(RP, tampered, options.challenge), null, 'tampered attestation object');
  t.equal(await verifyRegistration(RP, { ...good, rawId: 'AAAA' }, options.challenge), null, 'id and rawId differ');
  for (const bad of junk()) t.equal(await verifyRegistration(RP, bad, options.challenge), null);
});

t.test('authenticationOptions: the user credentials, or none for a passkey sign-in', async (t) => {
  const auth = genuine();
  const f1 = await enrol(auth);
  const options = await authenticationOptions(RP, [f1]);
  t.equal(options.rpId, RP.rpId);
  t.equal(options.userVerification, 'preferred');
  t.same(
    options.allowCredentials?.map((c) => c.id),
    [f1.credentialId],
  );
  t.same(options.allowCredentials?.[0]?.transports, ['usb']);
  const discoverable = await authenticationOptions(RP, null);
  t.equal(discoverable.allowCredentials, undefined, 'no allowCredentials');
  t.not(discoverable.challenge, options.challenge);
});

t.test('verifyAssertion: a valid assertion is accepted with its counter', async (t) => {
  const auth = genuine();
  const factor = await enrol(auth);
  const options = await authenticationOptions(RP, [factor]);
  const response = auth.assert(options);
  t.same(await verifyAssertion(RP, JSON.stringify(response), options.challenge, factor), {
    counter: 1,
    userVerified: true,
  });
  // Without UV (a security key without a PIN): valid, and says so.
  const o2 = await authenticationOptions(RP, [factor]);
  t.same(await verifyAssertion(RP, auth.assert(o2, { uv: false }), o2.challenge, { ...factor, counter: 1 }), {
    counter: 2,
    userVerified: false,
  });
  // An authenticator without a counter (always 0) is accepted while the stored one is 0.
  const o3 = await authenticationOptions(RP, [factor]);
  t.same(await verifyAssertion(RP, auth.assert(o3, { counter: 0 }), o3.challenge, factor), {
    counter: 0,
    userVerified: true,
  });
  // A discoverable sign-in: the user handle names the user.
  const o4 = await authenticationOptions(RP, null);
  const passkey = auth.assert(o4, { counter: 10 });
  t.equal(userHandleOf(passkey), ALICE.id);
  t.equal(credentialIdOf(passkey), factor.credentialId);
  t.equal(challengeOf(passkey), o4.challenge);
  t.same(await verifyAssertion(RP, passkey, o4.challenge, factor), { counter: 10, userVerified: true });
  // No user handle (a non-discoverable key) is fine as a second factor.
  const o5 = await authenticationOptions(RP, [factor]);
  t.ok(await verifyAssertion(RP, auth.assert(o5, { noUserHandle: true }), o5.challenge, factor));
});

t.test('verifyAssertion refuses another RP ID, another origin, another challenge', async (t) => {
  const auth = genuine();
  const factor = await enrol(auth);
  const options = await authenticationOptions(RP, [factor]);
  // A phishing site relays our options; the authenticator signs for the RP ID it is on.
  const phish = createSoftAuthenticator({ rpId: 'gw.example.com.evil.example', origin: RP.origin });
  phish.credentials.push(auth.credentials[0]!);
  t.equal(await verifyAssertion(RP, phish.assert(options), options.challenge, factor), null, 'another RP ID');
  const elsewhere = createSoftAuthenticator({ rpId: RP.rpId, origin: 'https://evil.example' });
  elsewhere.credentials.push(auth.credentials[0]!);
  t.equal(await verifyAssertion(RP, elsewhere.assert(options), options.challenge, factor), null, 'another origin');
  const http = createSoftAuthenticator({ rpId: RP.rpId, origin: 'http://gw.example.com' });
  http.credentials.push(auth.credentials[0]!);
  t.equal(await verifyAssertion(RP, http.assert(options), options.challenge, factor), null, 'http, not https');
  const other = await authenticationOptions(RP, [factor]);
  t.equal(await verifyAssertion(RP, auth.assert(options), other.challenge, factor), null, 'another challenge');
  // Under the genuine RP the very same credential still works.
  t.ok(await verifyAssertion(RP, auth.assert(options), options.challenge, { ...factor, counter: 4 }));
});

t.test('verifyAssertion refuses a counter that does not go up (replay, clone)', async (t) => {
  const auth = genuine();
  const factor = await enrol(auth);
  const options = await authenticationOptions(RP, [factor]);
  const first = auth.assert(options, { counter: 5 });
  const ok = await verifyAssertion(RP, first, options.challenge, factor);
  t.same(ok, { counter: 5, userVerified: true });
  const stored = { ...factor, counter: 5 };
  t.equal(await verifyAssertion(RP, first, options.challenge, stored), null, 'the same assertion again');
  t.equal(await verifyAssertion(RP, auth.assert(options, { counter: 5 }), options.challenge, stored), null, 'equal');
  t.equal(await verifyAssertion(RP, auth.assert(options, { counter: 3 }), options.challenge, stored), null, 'back');
  t.equal(await verifyAssertion(RP, auth.assert(options, { counter: 0 }), options.challenge, stored), null, 'to 0');
  t.ok(await verifyAssertion(RP, auth.assert(options, { counter: 6 }), options.challenge, stored), 'up again');
});

t.test('verifyAssertion refuses tampered assertions', async (t) => {
  const auth = genuine();
  const factor = await enrol(auth);
  const options = await authenticationOptions(RP, [factor]);
  const good = auth.assert(options);
  const flipLast = (b64: string) => {
    const b = Buffer.from(b64, 'base64url');
    b[b.length - 1]! ^= 1;
    return b.toString('base64url');
  };
  const sig = { ...good, response: { ...good.response, signature: flipLast(good.response.signature) } };
  t.equal(await verifyAssertion(RP, sig, options.challenge, factor), null, 'a signature bit flipped');
  // Raise the counter in the signed data: the signature no longer covers it.
  const data = {
    ...good,
    response: { ...good.response, authenticatorData: flipLast(good.response.authenticatorData) },
  };
  t.equal(await verifyAssertion(RP, data, options.challenge, factor), null, 'authenticator data changed');
  const origin = {
    ...good,
    response: { ...good.response, clientDataJSON: editClientData(good.response.clientDataJSON, { hacked: true }) },
  };
  t.equal(await verifyAssertion(RP, origin, options.challenge, factor), null, 'client data changed');
  const noSig = { ...good, response: { ...good.response, signature: 'AAAA' } };
  t.equal(await verifyAssertion(RP, noSig, options.challenge, factor), null, 'a junk signature');
  const asCreate = { ...good, response: { ...good.response, clientDataJSON: swapType(good.response.clientDataJSON) } };
  t.equal(await verifyAssertion(RP, asCreate, options.challenge, factor), null, 'clientData type webauthn.create');
  t.ok(await verifyAssertion(RP, good, options.challenge, factor), 'the untouched one passes');
});

t.test("verifyAssertion refuses another user's credential or handle", async (t) => {
  const aliceKey = genuine();
  const bobKey = genuine();
  const alice = await enrol(aliceKey, ALICE);
  const bob = await enrol(bobKey, BOB);
  const options = await authenticationOptions(RP, null);
  // Bob's passkey presented against Alice's factor (the caller looked up the wrong one, or
  // an attacker names Alice's credential id while signing with Bob's key).
  t.equal(await verifyAssertion(RP, bobKey.assert(options), options.challenge, alice), null, "Bob's credential");
  const bobAssert = bobKey.assert(options);
  const renamed = { ...bobAssert, id: alice.credentialId, rawId: alice.credentialId };
  t.equal(await verifyAssertion(RP, renamed, options.challenge, alice), null, "Alice's id on Bob's signature");
  // Alice's assertion with Bob's user handle: the handle does not fit the factor's user.
  const aliceAssert = aliceKey.assert(options);
  const handle = { ...aliceAssert, response: { ...aliceAssert.response, userHandle: bobAssert.response.userHandle } };
  t.equal(userHandleOf(handle), BOB.id);
  t.equal(await verifyAssertion(RP, handle, options.challenge, alice), null, "Bob's handle on Alice's assertion");
  t.ok(await verifyAssertion(RP, bobAssert, options.challenge, bob), "Bob's own factor");
});

t.test('long user ids: a digest handle that names nobody', async (t) => {
  const user = { id: `u-${'x'.repeat(100)}`, username: 'long', name: 'Long' };
  const options = await registrationOptions(RP, user, []);
  const handle = Buffer.from(options.user.id, 'base64url');
  t.ok(handle.length <= 64, 'within the WebAuthn limit');
  t.equal(handle[0], 0);
  const auth = genuine();
  const reg = await verifyRegistration(RP, auth.register(options), options.challenge);
  const factor = factorOf(user, reg!);
  const o = await authenticationOptions(RP, null);
  const a = auth.assert(o);
  t.equal(userHandleOf(a), null, 'no passkey sign-in by handle');
  t.ok(await verifyAssertion(RP, a, o.challenge, factor), 'still a second factor');
  // A user id of 64 bytes is its own handle.
  const edge = { id: 'e'.repeat(64), username: 'e', name: 'e' };
  const eo = await registrationOptions(RP, edge, []);
  t.equal(Buffer.from(eo.user.id, 'base64url').toString(), edge.id);
});

t.test('reading untrusted responses: bounded, never throws', async (t) => {
  const auth = genuine();
  const factor = await enrol(auth);
  const options = await authenticationOptions(RP, [factor]);
  const good = auth.assert(options);
  t.equal(challengeOf(JSON.stringify(good)), options.challenge, 'from the JSON text');
  t.equal(credentialIdOf(JSON.stringify(good)), factor.credentialId);
  t.equal(userHandleOf(JSON.stringify(good)), ALICE.id);
  for (const bad of junk()) {
    t.equal(challengeOf(bad), null);
    // An envelope with a well-formed id still names it (a lookup key, nothing more).
    const id = credentialIdOf(bad);
    t.ok(id === null || id === 'abc', `credential id: ${String(id).slice(0, 20)}`);
    t.equal(userHandleOf(bad), null);
    t.equal(await verifyAssertion(RP, bad, options.challenge, factor), null);
  }
  const withHandle = (userHandle: unknown) => ({ ...good, response: { ...good.response, userHandle } });
  t.equal(userHandleOf(withHandle(Buffer.from('a\u0000b').toString('base64url'))), null, 'a control character');
  t.equal(userHandleOf(withHandle(Buffer.from([0xff, 0xfe]).toString('base64url'))), null, 'not UTF-8');
  t.equal(userHandleOf(withHandle(Buffer.alloc(65, 97).toString('base64url'))), null, 'over 64 bytes');
  t.equal(userHandleOf(withHandle(null)), null, 'null');
  t.equal(userHandleOf(withHandle('')), null, 'empty');
  t.equal(userHandleOf(withHandle(42)), null, 'a number');
  t.equal(
    await verifyAssertion(RP, withHandle(42), options.challenge, factor),
    null,
    'a bad handle fails the assertion',
  );
  t.ok(await verifyAssertion(RP, withHandle(null), options.challenge, factor), 'a null handle is no handle');
  const hugeChallenge = {
    ...good,
    response: {
      ...good.response,
      clientDataJSON: editClientData(good.response.clientDataJSON, { challenge: 'A'.repeat(300) }),
    },
  };
  t.equal(challengeOf(hugeChallenge), null, 'an oversized challenge');
  const badChallenge = {
    ...good,
    response: {
      ...good.response,
      clientDataJSON: editClientData(good.response.clientDataJSON, { challenge: 'a+b/c=' }),
    },
  };
  t.equal(challengeOf(badChallenge), null, 'not base64url');
  const notJson = {
    ...good,
    response: { ...good.response, clientDataJSON: Buffer.from('{nope').toString('base64url') },
  };
  t.equal(challengeOf(notJson), null, 'client data not JSON');
  t.equal(await verifyAssertion(RP, notJson, options.challenge, factor), null);
});

// ---- helpers ----

function editClientData(b64: string, patch: Record<string, unknown>): string {
  const data = JSON.parse(Buffer.from(b64, 'base64url').toString('utf8')) as Record<string, unknown>;
  return Buffer.from(JSON.stringify({ ...data, ...patch })).toString('base64url');
}

function swapType(b64: string): string {
  const data = JSON.parse(Buffer.from(b64, 'base64url').toString('utf8')) as { type: string };
  return editClientData(b64, { type: data.type === 'webauthn.get' ? 'webauthn.create' : 'webauthn.get' });
}

/** Inputs that are not a credential response at all, or barely. */
function junk(): unknown[] {
  const deep: Record<string, unknown> = {};
  let cur = deep;
  for (let i = 0; i < 1000; i++) cur = (cur.a = {}) as Record<string, unknown>;
  return [
    undefined,
    null,
    42,
    true,
    '',
    'null',
    '{',
    '[]',
    '"x"',
    'x'.repeat(200_000),
    `{"id":"${'A'.repeat(100_000)}"}`,
    [],
    {},
    deep,
    { id: 'abc', rawId: 'abc', type: 'public-key' },
    { id: 'abc', rawId: 'abc', type: 'public-key', response: null },
    { id: 'abc', rawId: 'abc', type: 'public-key', response: [] },
    { id: 'abc', rawId: 'abc', type: 'other', response: { clientDataJSON: 'e30' } },
    { id: 'a b', rawId: 'a b', type: 'public-key', response: { clientDataJSON: 'e30' } },
    { id: 'A'.repeat(2000), rawId: 'A'.repeat(2000), type: 'public-key', response: { clientDataJSON: 'e30' } },
    { id: 'abc', rawId: 'abc', type: 'public-key', response: { clientDataJSON: 42, signature: {} } },
    {
      id: 'abc',
      rawId: 'abc',
      type: 'public-key',
      response: { clientDataJSON: 'e30', authenticatorData: 'e30', signature: 'e30', userHandle: [] },
    },
    JSON.parse('{"__proto__":{"id":"x"},"type":"public-key"}') as unknown,
  ];
}
