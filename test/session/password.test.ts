// scrypt password hashes: round trip, wrong password, tampering, bounded parameters, equal-cost burnVerify.
import t from 'tap';
import {
  burnVerify,
  DEFAULT_SCRYPT_PARAMS,
  hashPassword,
  parsePasswordHash,
  verifyPassword,
} from '../../src/session/password.js';

const CHEAP = { ln: 10 }; // 1 MiB, a few ms: keeps the suite fast

t.test('round trip with the self-describing format', async (t) => {
  const h = await hashPassword('correct horse', CHEAP);
  t.match(h, /^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  t.equal(await verifyPassword('correct horse', h), true);
  t.not(await hashPassword('correct horse', CHEAP), h, 'a fresh salt every time');
  const p = parsePasswordHash(h);
  t.match(p, { ln: 10, r: 8, p: 1 });
  t.equal(p?.salt.length, 16);
  t.equal(p?.hash.length, 32);
});

t.test('default parameters are ln=15, r=8, p=1', async (t) => {
  t.same(DEFAULT_SCRYPT_PARAMS, { ln: 15, r: 8, p: 1 });
  const h = await hashPassword('pw');
  t.match(h, /^\$scrypt\$ln=15,r=8,p=1\$/);
  t.equal(await verifyPassword('pw', h), true);
});

t.test('wrong password, empty password, unicode forms', async (t) => {
  const h = await hashPassword('s3cret', CHEAP);
  t.equal(await verifyPassword('s3creT', h), false);
  t.equal(await verifyPassword('', h), false);
  t.equal(await verifyPassword('s3cret ', h), false);
  // NFC and NFD spellings of "é" are the same password.
  const u = await hashPassword('caf\u00e9', CHEAP);
  t.equal(await verifyPassword('cafe\u0301', u), true);
});

t.test('tampered hashes never verify', async (t) => {
  const h = await hashPassword('pw', CHEAP);
  const parts = h.split('$'); // ['', 'scrypt', params, salt, hash]
  const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
  t.equal(await verifyPassword('pw', [...parts.slice(0, 4), flip(parts[4] ?? '')].join('$')), false, 'hash changed');
  t.equal(
    await verifyPassword('pw', [...parts.slice(0, 3), flip(parts[3] ?? ''), parts[4]].join('$')),
    false,
    'salt changed',
  );
  t.equal(await verifyPassword('pw', h.replace('ln=10', 'ln=11')), false, 'cost changed');
  t.equal(await verifyPassword('pw', h.replace('$scrypt$', '$bcrypt$')), false, 'algorithm changed');
  t.equal(await verifyPassword('pw', h.slice(0, -4)), false, 'truncated');
  t.equal(await verifyPassword('pw', `${h}$x`), false, 'extra field');
  t.equal(await verifyPassword('pw', ''), false);
  t.equal(await verifyPassword('pw', 'pw'), false, 'a clear-text "hash" is not accepted');
});

t.test('parameters out of bounds are refused (a hostile config cannot make logins costly)', async (t) => {
  const salt = Buffer.alloc(16, 1).toString('base64').replace(/=+$/, '');
  const key = Buffer.alloc(32, 2).toString('base64').replace(/=+$/, '');
  const enc = (params: string) => `$scrypt$${params}$${salt}$${key}`;
  t.ok(parsePasswordHash(enc('ln=10,r=8,p=1')));
  t.ok(parsePasswordHash(enc('ln=20,r=1,p=1')), '128 MiB is allowed');
  for (const bad of [
    'ln=9,r=8,p=1',
    'ln=21,r=8,p=1',
    'ln=30,r=8,p=1',
    'ln=15,r=0,p=1',
    'ln=15,r=33,p=1',
    'ln=15,r=8,p=0',
    'ln=15,r=8,p=17',
    'ln=20,r=32,p=1',
    'ln=15,p=1,r=8',
    'ln=15,r=8',
    'ln=1e1,r=8,p=1',
  ]) {
    t.equal(parsePasswordHash(enc(bad)), null, bad);
  }
  t.equal(parsePasswordHash(`$scrypt$ln=10,r=8,p=1$${salt.slice(0, 10)}$${key}`), null, 'salt too short');
  // Same bytes, different spelling: the unused low bits of the last character are set.
  const loose = key.slice(0, -1) + String.fromCharCode(key.charCodeAt(key.length - 1) + 1);
  t.same(Buffer.from(loose, 'base64'), Buffer.from(key, 'base64'));
  t.equal(parsePasswordHash(`$scrypt$ln=10,r=8,p=1$${salt}$${loose}`), null, 'non-canonical base64');
  t.equal(parsePasswordHash(`$scrypt$ln=10,r=8,p=1$${salt}$${key}!`), null, 'not base64');
  await t.rejects(hashPassword('pw', { ln: 25 }), TypeError);
  await t.rejects(hashPassword('pw', { r: 0 }), TypeError);
});

t.test('burnVerify does the same work and always answers false', async (t) => {
  t.equal(await burnVerify('anything', { ln: 10, r: 8, p: 1 }), false);
  t.equal(await burnVerify(''), false);
  // Bad params fall back to the defaults instead of throwing (it runs on the login path).
  t.equal(await burnVerify('x', { ln: 99, r: 8, p: 1 }), false);
});
