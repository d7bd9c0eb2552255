// The X-Auth-Jwt key (issue 16 item 5): an ES256 key of its own derived from keys.file, the
// same on every instance, published in the JWKS with its kid and alg, following rotation;
// assertions signed with it verify against the JWKS with `aud` = the app and a 60 s `exp`,
// and a token signed with it is never an access token, whatever the configured algorithm.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { AssertionSigner } from '../../src/tokens/assertion.js';
import { verifyAccessToken } from '../../src/tokens/access-token.js';
import { ASSERTION_ALG, generateJwks, keySetFromFile, keySetFromJwks, type KeySet } from '../../src/tokens/keys.js';
import type { Identity } from '../../src/authn/identity.js';
import type { Algorithm } from '../../src/config/types.js';

const NOW = Date.UTC(2026, 10, 26, 12);
const ISSUER = 'https://gw/t/acme';
const alice: Identity = {
  tenant: 'acme',
  userId: 'u-alice',
  email: 'alice@acme.test',
  name: 'Alice Admin',
  roles: ['admin'],
  sessionId: 'sess-1',
  clientId: null,
  scope: null,
  authTime: NOW - 60_000,
};

const verifyAssertion = (keys: Pick<KeySet, 'jwks'>, jwt: string, audience = 'dashboard', now = NOW) =>
  jwtVerify(jwt, createLocalJWKSet(keys.jwks as Parameters<typeof createLocalJWKSet>[0]), {
    issuer: ISSUER,
    audience,
    typ: 'gk-assertion+jwt',
    currentDate: new Date(now),
  });

/** A valid access token's claims and header, signed with whatever key the attack has. */
function forgedAccessToken(key: { alg: string; kid: string; key: KeySet['assertion']['key'] }): Promise<string> {
  const iat = Math.floor(NOW / 1000);
  return new SignJWT({ client_id: 'billing-service', scope: '', tid: 'acme', roles: ['admin'] } as JWTPayload)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
    .setIssuer(ISSUER)
    .setSubject('u-alice')
    .setAudience(ISSUER)
    .setIssuedAt(iat)
    .setExpirationTime(iat + 600)
    .setJti(randomBytes(16).toString('base64url'))
    .sign(key.key);
}
const verifyAccess = (keys: KeySet, token: string) =>
  verifyAccessToken(keys, token, { issuer: ISSUER, audience: ISSUER, tenant: 'acme', now: NOW });

for (const alg of ['RS256', 'ES256', 'EdDSA'] as Algorithm[]) {
  t.test(
    `${alg} keys file: the assertion key is ${ASSERTION_ALG}, its own kid, in the JWKS, never an access-token key`,
    async (t) => {
      const keys = await keySetFromJwks(await generateJwks(alg), alg, NOW / 1000);
      t.equal(keys.assertion.alg, 'ES256');
      t.not(keys.assertion.kid, keys.signing.kid, 'its own kid');
      t.notOk(keys.verification.has(keys.assertion.kid), 'not among the keys that verify tokens');
      const published = keys.jwks.keys.find((k) => k.kid === keys.assertion.kid);
      t.match(published, { kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' }, 'published with its alg and use: sig');
      t.equal(published?.d, undefined, 'no private part published');
      t.ok(
        keys.jwks.keys.some((k) => k.kid === keys.signing.kid && k.alg === alg),
        'the access-token key is still published',
      );

      const jwt = await new AssertionSigner(keys).assertion(alice, 'dashboard', ISSUER, NOW);
      t.match(decodeProtectedHeader(jwt), { alg: 'ES256', kid: keys.assertion.kid, typ: 'gk-assertion+jwt' });
      const { payload } = await verifyAssertion(keys, jwt);
      t.match(payload, { sub: 'u-alice', aud: 'dashboard', iss: ISSUER, tid: 'acme', sid: 'sess-1', roles: ['admin'] });
      t.equal(payload.exp, Math.floor(NOW / 1000) + 60, 'exp: 60 s');
      await t.rejects(
        verifyAssertion(keys, jwt, 'billing'),
        { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' },
        'another app: wrong aud',
      );
      await t.rejects(
        verifyAssertion(keys, jwt, 'dashboard', NOW + 61_000),
        { code: 'ERR_JWT_EXPIRED' },
        'after 60 s: expired',
      );

      // The attack: an access token's claims, signed with the assertion key.
      const forged = await forgedAccessToken(keys.assertion);
      t.match(
        await verifyAccess(keys, forged),
        { ok: false },
        'an access token signed with the assertion key is refused',
      );
      t.match(await verifyAccess(keys, jwt), { ok: false }, 'an X-Auth-Jwt replayed as a bearer token is refused');
      const control = await forgedAccessToken({ alg, kid: keys.signing.kid, key: keys.signing.key });
      t.match(
        await verifyAccess(keys, control),
        { ok: true },
        'control: the same token signed with the access key passes',
      );
    },
  );
}

t.test('the same keys file gives the same assertion key on every instance; another file another key', async (t) => {
  const dir = t.testdir({});
  const file = join(dir, 'keys.json');
  await writeFile(file, JSON.stringify(await generateJwks('RS256')));
  const a = await keySetFromFile(file, 'RS256', NOW / 1000);
  const b = await keySetFromFile(file, 'RS256', NOW / 1000);
  t.equal(a.assertion.kid, b.assertion.kid, 'same kid');
  t.same(a.jwks, b.jwks, 'same JWKS');
  const fromA = await new AssertionSigner(a).assertion(alice, 'dashboard', ISSUER, NOW);
  t.ok((await verifyAssertion(b, fromA)).payload, "one instance's assertion verifies against the other's JWKS");
  const other = await keySetFromJwks(await generateJwks('RS256'), 'RS256', NOW / 1000);
  t.not(other.assertion.kid, a.assertion.kid, 'another keys file: another assertion key');
  await t.rejects(verifyAssertion(other, fromA), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
});

t.test('rotation: the assertion key follows the signing key; the previous one stays published', async (t) => {
  const old = (await generateJwks('ES256')).keys[0]!;
  const next = (await generateJwks('ES256')).keys[0]!;
  const before = await keySetFromJwks({ keys: [old] }, 'ES256', NOW / 1000);
  const oldAssertion = await new AssertionSigner(before).assertion(alice, 'dashboard', ISSUER, NOW);
  // The new key signs (the old one expired, still in the file).
  const rotated = await keySetFromJwks({ keys: [{ ...old, exp: NOW / 1000 - 1 }, next] }, 'ES256', NOW / 1000);
  t.not(rotated.assertion.kid, before.assertion.kid, 'a new signing key: a new assertion key');
  const fresh = await new AssertionSigner(rotated).assertion(alice, 'dashboard', ISSUER, NOW);
  t.equal(decodeProtectedHeader(fresh).kid, rotated.assertion.kid);
  t.ok((await verifyAssertion(rotated, fresh)).payload, 'the new assertion verifies');
  t.ok((await verifyAssertion(rotated, oldAssertion)).payload, 'one made before the rotation still verifies');
  const assertionKids = rotated.jwks.keys.filter((k) => k.crv === 'P-256' && !rotated.verification.has(k.kid!));
  t.same(
    assertionKids.map((k) => k.kid),
    [rotated.assertion.kid, before.assertion.kid],
    'both published, new first',
  );
  // The old key removed from the file: its assertion key is gone too.
  const after = await keySetFromJwks({ keys: [next] }, 'ES256', NOW / 1000);
  t.equal(after.assertion.kid, rotated.assertion.kid);
  await t.rejects(verifyAssertion(after, oldAssertion), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
  // A public-only key in the file (someone else's, to verify) gets no assertion key.
  const { d: _d, ...nextPublic } = next;
  const withPublic = await keySetFromJwks({ keys: [old, nextPublic] }, 'ES256', NOW / 1000);
  t.equal(withPublic.jwks.keys.length, 3, 'two file keys and one assertion key');
});

t.test('an assertion is re-signed once per ~30 s per identity and app, never served with < 30 s left', async (t) => {
  const keys = await keySetFromJwks(await generateJwks('RS256'), 'RS256', NOW / 1000);
  const signer = new AssertionSigner(keys);
  const first = await signer.assertion(alice, 'dashboard', ISSUER, NOW);
  t.equal(signer.cached(alice, 'dashboard', NOW + 29_000), first, 'reused within 30 s');
  t.equal(await signer.assertion(alice, 'dashboard', ISSUER, NOW + 29_000), first);
  t.equal(signer.cached(alice, 'dashboard', NOW + 30_000), undefined, 'not with 30 s or less of its 60 s left');
  const second = await signer.assertion(alice, 'dashboard', ISSUER, NOW + 30_000);
  t.not(second, first, 're-signed');
  t.equal((await verifyAssertion(keys, second, 'dashboard', NOW + 30_000)).payload.exp, Math.floor(NOW / 1000) + 90);
  t.equal(signer.cached(alice, 'billing', NOW), undefined, 'per app');
  t.equal(signer.cached({ ...alice, roles: [] }, 'dashboard', NOW + 30_000), undefined, 'per identity (roles changed)');
});
