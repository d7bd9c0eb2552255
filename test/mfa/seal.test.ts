// Sealed secrets at rest and the keys they are sealed under: keys derived from keys.file
// (stable across instances, separate per purpose, signing key first, never the private
// parts), and boxes that open only with their key and their aad — tampered, moved, truncated
// or foreign boxes give null, never an exception.
import t from 'tap';
import { generateJwks, keySetFromJwks } from '../../src/tokens/keys.js';
import { createSealer } from '../../src/mfa/seal.js';
import type { Algorithm } from '../../src/config/types.js';

const NOW = Date.UTC(2026, 10, 26);

for (const alg of ['RS256', 'ES256', 'EdDSA'] as Algorithm[]) {
  t.test(`${alg}: derived keys are stable, 32 bytes, per purpose, named by kid`, async (t) => {
    const jwks = await generateJwks(alg);
    const a = await keySetFromJwks(jwks, alg, NOW / 1000);
    const b = await keySetFromJwks(structuredClone(jwks), alg, NOW / 1000);
    const [ka] = a.derive('totp-seal');
    const [kb] = b.derive('totp-seal');
    t.equal(ka!.kid, a.signing.kid);
    t.equal(ka!.key.length, 32);
    t.ok(ka!.key.equals(kb!.key), 'another instance with the same file derives the same key');
    t.notOk(ka!.key.equals(a.derive('recovery-codes')[0]!.key), 'another purpose, another key');
    const other = await keySetFromJwks(await generateJwks(alg), alg, NOW / 1000);
    t.notOk(ka!.key.equals(other.derive('totp-seal')[0]!.key), 'another key file, another key');
    const d = Buffer.from(jwks.keys[0]!.d!, 'base64url');
    t.notOk(ka!.key.equals(d.subarray(0, 32)), 'not the private scalar itself');
    const json = JSON.stringify(a);
    t.notMatch(json, jwks.keys[0]!.d!, 'the KeySet serialises without the private part');
  });
}

t.test('rotation: the signing key derives first, older private keys after it', async (t) => {
  const old = (await generateJwks('ES256')).keys[0]!;
  const next = (await generateJwks('ES256')).keys[0]!;
  const before = await keySetFromJwks({ keys: [old] }, 'ES256', NOW / 1000);
  const rotated = await keySetFromJwks({ keys: [{ ...old, exp: NOW / 1000 - 1 }, next] }, 'ES256', NOW / 1000);
  const keys = rotated.derive('totp-seal');
  t.same(
    keys.map((k) => k.kid),
    [next.kid, old.kid],
  );
  t.ok(keys[1]!.key.equals(before.derive('totp-seal')[0]!.key), 'the old key derives what it derived before');
  // A box made before the rotation still opens; new boxes use the new key.
  const box = createSealer(before.derive('totp-seal')).seal('JBSWY3DPEHPK3PXP', 'totp:a:u1:f1');
  const sealer = createSealer(keys);
  t.equal(sealer.open(box, 'totp:a:u1:f1'), 'JBSWY3DPEHPK3PXP');
  t.match(sealer.seal('x', 'y'), new RegExp(`^v1\\.${next.kid}\\.`));
  // Public-only keys (another instance's verification keys) derive nothing.
  const { d: _d, ...pub } = next;
  const withPublic = await keySetFromJwks({ keys: [old, pub] }, 'ES256', NOW / 1000);
  t.same(
    withPublic.derive('p').map((k) => k.kid),
    [old.kid],
  );
});

t.test('seal and open: round trip, random IV, bound to the aad', async (t) => {
  const keys = (await keySetFromJwks(await generateJwks('ES256'), 'ES256', NOW / 1000)).derive('totp-seal');
  const sealer = createSealer(keys);
  const aad = 'totp:acme:u1:fac_1';
  const box = sealer.seal('JBSWY3DPEHPK3PXP', aad);
  t.match(box, /^v1\.[^.]+\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
  t.notMatch(box, 'JBSWY3DPEHPK3PXP', 'not in clear');
  t.equal(sealer.open(box, aad), 'JBSWY3DPEHPK3PXP');
  t.not(sealer.seal('JBSWY3DPEHPK3PXP', aad), box, 'a new IV every time');
  t.equal(sealer.open(sealer.seal('', aad), aad), '', 'an empty secret');
  t.equal(sealer.open(sealer.seal('héllo ✓', aad), aad), 'héllo ✓', 'UTF-8');
  // Moved to another user, tenant or factor: refused.
  t.equal(sealer.open(box, 'totp:acme:u2:fac_1'), null, 'another user');
  t.equal(sealer.open(box, 'totp:other:u1:fac_1'), null, 'another tenant');
  t.equal(sealer.open(box, 'totp:acme:u1:fac_2'), null, 'another factor');
  t.equal(sealer.open(box, ''), null);
});

t.test('open refuses tampered, foreign and malformed boxes without throwing', async (t) => {
  const keys = (await keySetFromJwks(await generateJwks('ES256'), 'ES256', NOW / 1000)).derive('totp-seal');
  const sealer = createSealer(keys);
  const aad = 'totp:acme:u1:fac_1';
  const box = sealer.seal('JBSWY3DPEHPK3PXP', aad);
  const [v, kid, iv, ct] = box.split('.') as [string, string, string, string];
  const flip = (s: string, i: number) => {
    const b = Buffer.from(s, 'base64url');
    b[i]! ^= 1;
    return b.toString('base64url');
  };
  t.equal(sealer.open([v, kid, iv, flip(ct, 0)].join('.'), aad), null, 'a ciphertext bit flipped');
  t.equal(sealer.open([v, kid, iv, flip(ct, Buffer.from(ct, 'base64url').length - 1)].join('.'), aad), null, 'tag');
  t.equal(sealer.open([v, kid, flip(iv, 3), ct].join('.'), aad), null, 'another IV');
  const short = Buffer.from(ct, 'base64url').subarray(0, 20).toString('base64url');
  t.equal(sealer.open([v, kid, iv, short].join('.'), aad), null, 'truncated');
  t.equal(sealer.open(['v2', kid, iv, ct].join('.'), aad), null, 'another version');
  t.equal(sealer.open([v, 'unknown-kid', iv, ct].join('.'), aad), null, 'unknown kid');
  // The same kid under another key (another deployment's file): the tag does not match.
  const foreign = createSealer([{ kid, key: Buffer.alloc(32, 7) }]);
  t.equal(foreign.open(box, aad), null, 'another key with the same kid');
  t.equal(createSealer(keys).open(foreign.seal('x', aad), aad), null, 'a box forged under a guessed key');
  for (const bad of ['', 'v1', 'v1...', `${box}.x`, `v1.${kid}.${iv}`, `v1.${kid}.!!!.${ct}`, 'x'.repeat(100_000)]) {
    t.equal(sealer.open(bad, aad), null, `malformed: ${bad.slice(0, 30)}`);
  }
  t.equal(sealer.open(null as unknown as string, aad), null, 'not a string');
});

t.test('createSealer refuses unusable keys', async (t) => {
  t.throws(() => createSealer([]), /no keys/);
  t.throws(() => createSealer([{ kid: 'a', key: Buffer.alloc(16) }]), /32 bytes/);
  t.throws(() => createSealer([{ kid: 'a.b', key: Buffer.alloc(32) }]), /kid/);
});
