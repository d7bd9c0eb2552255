// Recovery codes: ten distinct random codes in the shown form, one canonical form for what
// a person types, and keyed hashes (another key — a stolen dump without keys.file — gives
// other hashes; a code typed differently gives the same one).
import t from 'tap';
import { randomBytes } from 'node:crypto';
import {
  newRecoveryCodes,
  normalizeRecoveryCode,
  RECOVERY_CODE_COUNT,
  recoveryCodeHasher,
} from '../../src/mfa/recovery-codes.js';

t.test('newRecoveryCodes: ten distinct xxxxx-xxxxx base32 codes', async (t) => {
  const codes = newRecoveryCodes();
  t.equal(RECOVERY_CODE_COUNT, 10);
  t.equal(codes.length, RECOVERY_CODE_COUNT);
  for (const c of codes) t.match(c, /^[a-z2-7]{5}-[a-z2-7]{5}$/);
  t.equal(new Set(codes).size, codes.length, 'all different');
  // Across many codes every symbol shows up: the alphabet is used whole (no bias to a part).
  const seen = new Set(
    Array.from({ length: 20 }, () => newRecoveryCodes().join(''))
      .join('')
      .replace(/-/g, ''),
  );
  t.equal(seen.size, 32);
  t.not(newRecoveryCodes().join(), codes.join(), 'new codes each time');
});

t.test('normalizeRecoveryCode: one form for what a person types', async (t) => {
  const [code] = newRecoveryCodes();
  const plain = code!.replace('-', '');
  t.equal(normalizeRecoveryCode(code!), plain);
  t.equal(normalizeRecoveryCode(code!.toUpperCase()), plain, 'upper case');
  t.equal(normalizeRecoveryCode(`  ${plain}\n`), plain, 'surrounding space');
  t.equal(normalizeRecoveryCode(`${plain.slice(0, 5)} ${plain.slice(5)}`), plain, 'a space for the dash');
  t.equal(normalizeRecoveryCode(plain.split('').join('-')), plain, 'dashes anywhere');
  for (const bad of [
    '',
    plain.slice(0, 9),
    `${plain}a`,
    `${plain.slice(0, 9)}1`,
    `${plain.slice(0, 9)}0`,
    'é'.repeat(10),
  ]) {
    t.equal(normalizeRecoveryCode(bad), null, `refused: ${JSON.stringify(bad)}`);
  }
  t.equal(normalizeRecoveryCode('-'.repeat(1000) + plain), null, 'very long input is refused unread');
  t.equal(normalizeRecoveryCode(undefined as unknown as string), null, 'not a string');
});

t.test('recoveryCodeHasher: keyed, of the normalised code', async (t) => {
  const key = randomBytes(32);
  const hash = recoveryCodeHasher(key);
  const [code, other] = newRecoveryCodes();
  const h = hash(code!);
  t.match(h, /^[0-9a-f]{64}$/);
  t.equal(hash(code!.toUpperCase().replace('-', ' ')), h, 'typed differently, same hash');
  t.not(hash(other!), h, 'another code, another hash');
  t.not(recoveryCodeHasher(randomBytes(32))(code!), h, 'another key, another hash');
  t.not(hash('not a code at all'), h);
  t.not(hash('not a code at all'), hash('not a code at all!'), 'junk does not collapse to one hash');
  t.throws(() => recoveryCodeHasher(Buffer.alloc(16)), /32 bytes/);
  // The hasher keeps its own copy: zeroing the caller's buffer later changes nothing.
  const mutable = Buffer.from(key);
  const hash2 = recoveryCodeHasher(mutable);
  mutable.fill(0);
  t.equal(hash2(code!), h);
});
