// Signing keys (SPEC §2 `keys`): a private JWKS file (several keys = rotation, `kid` on
// every token) or, without one, an ephemeral key with a loud warning. Verification uses
// only keys from this set and only the configured algorithm. The private keys also seed the
// gateway's symmetric keys (sealed TOTP secrets, recovery-code hashes): `derive` hands out
// HKDF outputs, never the private parts themselves. X-Auth-Jwt has a key of its own (a
// P-256 key derived from each private key, see assertionKeys), so the identity assertion
// signed on the hot path costs a fraction of an RSA signature and can never pass as a token.
import { createECDH, createHash, hkdfSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Algorithm } from '../config/types.js';
import type { Logger } from '../util/log.js';

export interface KeySet {
  alg: Algorithm;
  signing: { kid: string; key: CryptoKey };
  /** kid → public key; the only keys a token may name. */
  verification: ReadonlyMap<string, CryptoKey>;
  /**
   * The key that signs X-Auth-Jwt (issue 16): ES256, derived from the signing key, its own
   * kid. Never in `verification`: a token signed with it is refused wherever the gateway
   * verifies tokens.
   */
  assertion: AssertionKey;
  /** The public JWKS served at /.well-known/jwks.json: the keys of the file, then the assertion keys. */
  jwks: { keys: JWK[] };
  ephemeral: boolean;
  /**
   * 32-byte keys for `purpose` (e.g. "totp-seal"), one per private key of the set, named by
   * its kid: the signing key's first (the one to use for new data), then the others in file
   * order (to read data made under a key since rotated out). The same file gives the same
   * keys on every instance and restart; another purpose gives unrelated keys.
   */
  derive(purpose: string): DerivedKey[];
}

/** A symmetric key derived from one private key of the set (HKDF-SHA256 of its `d`). */
export interface DerivedKey {
  kid: string;
  key: Buffer;
}

/** An X-Auth-Jwt signing key. */
export interface AssertionKey {
  alg: typeof ASSERTION_ALG;
  kid: string;
  key: CryptoKey;
}

const HKDF_SALT = 'gatekeeper';
/**
 * ES256: with EdDSA the cheapest of RS256/ES256/EdDSA to sign with jose here (about 65 µs of
 * CPU against 360 µs for RS256, `npm run bench:assertion`), and the one every common JWT
 * library verifies (EdDSA is missing from some, e.g. node's jsonwebtoken).
 */
export const ASSERTION_ALG = 'ES256';
export const ASSERTION_PURPOSE = 'identity-assertion';
// The order of P-256: a private scalar is an integer in [1, n-1].
const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

/**
 * The P-256 private JWK of a 32-byte seed. A seed outside [1, n-1] (odds about 2^-32) is
 * hashed again until it fits: still uniform, still the same on every instance.
 */
function p256FromSeed(seed: Buffer): JWK {
  let d = seed;
  for (;;) {
    const scalar = BigInt(`0x${d.toString('hex')}`);
    if (scalar > 0n && scalar < P256_ORDER) break;
    d = createHash('sha256').update(d).digest();
  }
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(d);
  const point = ecdh.getPublicKey(); // 0x04 ‖ x ‖ y, 32 bytes each
  return {
    kty: 'EC',
    crv: 'P-256',
    x: point.subarray(1, 33).toString('base64url'),
    y: point.subarray(33, 65).toString('base64url'),
    d: d.toString('base64url'),
  };
}

/**
 * One P-256 key per private key of the set (derive order: the signing key's first, the one
 * that signs; the others stay published so assertions made before a rotation still verify
 * while their key is in the file). kid = the RFC 7638 thumbprint of the public key: the same
 * on every instance with the same file.
 */
async function assertionKeys(
  derived: DerivedKey[],
  taken: ReadonlyMap<string, unknown>,
): Promise<{ signing: AssertionKey; publicKeys: JWK[] }> {
  const publicKeys: JWK[] = [];
  let signing: AssertionKey | null = null;
  for (const { key: seed } of derived) {
    const jwk = p256FromSeed(seed);
    const pub: JWK = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
    const kid = await calculateJwkThumbprint(pub);
    // A thumbprint cannot meet a file key's kid by chance; refuse rather than let one kid name two keys.
    if (taken.has(kid)) throw new Error(`the derived assertion key's kid ${kid} is already a kid of the file`);
    publicKeys.push({ ...pub, kid, alg: ASSERTION_ALG, use: 'sig' });
    signing ??= { alg: ASSERTION_ALG, kid, key: (await importJWK({ ...jwk, kid }, ASSERTION_ALG)) as CryptoKey };
  }
  // keySetFromJwks always has a signing key, which has a `d`: derived is never empty.
  if (!signing) throw new Error('no private key to derive the assertion key from');
  return { signing, publicKeys };
}

/**
 * The `derive` of a KeySet. The private scalars stay in this closure: the KeySet object only
 * carries the function, so serialising or logging it shows no key material.
 */
function deriver(secrets: ReadonlyArray<{ kid: string; d: Buffer }>): (purpose: string) => DerivedKey[] {
  return (purpose) =>
    secrets.map(({ kid, d }) => ({
      kid,
      key: Buffer.from(hkdfSync('sha256', d, HKDF_SALT, `gatekeeper ${purpose} v1`, 32)),
    }));
}

const PRIVATE_PARTS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

function publicJwk(jwk: JWK, kid: string, alg: Algorithm): JWK {
  const pub: JWK = { ...jwk };
  for (const part of PRIVATE_PARTS) delete (pub as Record<string, unknown>)[part];
  return { ...pub, kid, alg, use: 'sig' };
}

/** Matches a JWK to the configured algorithm (kty and curve), so a key can't change alg. */
function fits(jwk: JWK, alg: Algorithm): boolean {
  if (alg === 'RS256') return jwk.kty === 'RSA';
  if (alg === 'ES256') return jwk.kty === 'EC' && jwk.crv === 'P-256';
  return jwk.kty === 'OKP' && jwk.crv === 'Ed25519';
}

export async function generateJwks(alg: Algorithm): Promise<{ keys: JWK[] }> {
  const { privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
  });
  const jwk = await exportJWK(privateKey);
  return { keys: [{ ...jwk, kid: await calculateJwkThumbprint(jwk), alg, use: 'sig' }] };
}

export async function keySetFromJwks(
  jwks: { keys?: unknown },
  alg: Algorithm,
  nowSeconds: number,
  ephemeral = false,
): Promise<KeySet> {
  if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) throw new Error('the JWKS has no "keys"');
  const verification = new Map<string, CryptoKey>();
  const publicKeys: JWK[] = [];
  let signing: KeySet['signing'] | null = null;
  const secrets: Array<{ kid: string; d: Buffer }> = [];
  for (const [i, raw] of (jwks.keys as JWK[]).entries()) {
    if (!fits(raw, alg)) throw new Error(`keys[${i}] is not a ${alg} key (kty ${String(raw.kty)})`);
    if (raw.alg !== undefined && raw.alg !== alg) throw new Error(`keys[${i}] has alg ${raw.alg}, expected ${alg}`);
    const kid = typeof raw.kid === 'string' && raw.kid !== '' ? raw.kid : await calculateJwkThumbprint(raw);
    if (verification.has(kid)) throw new Error(`keys[${i}]: duplicate kid ${kid}`);
    const pub = publicJwk(raw, kid, alg);
    verification.set(kid, (await importJWK(pub, alg)) as CryptoKey);
    publicKeys.push(pub);
    if (typeof raw.d === 'string' && raw.d !== '') secrets.push({ kid, d: Buffer.from(raw.d, 'base64url') });
    const expired = typeof (raw as { exp?: unknown }).exp === 'number' && (raw as { exp: number }).exp <= nowSeconds;
    if (!signing && raw.d !== undefined && (raw.use === undefined || raw.use === 'sig') && !expired) {
      signing = { kid, key: (await importJWK({ ...raw, kid }, alg)) as CryptoKey };
    }
  }
  if (!signing) throw new Error('no usable signing key: need a private key with "use":"sig" and no past "exp"');
  const signingKid = signing.kid;
  // The signing key first: new data is sealed under it, older keys only open what they made.
  secrets.sort((a, b) => Number(b.kid === signingKid) - Number(a.kid === signingKid));
  const derive = deriver(secrets);
  const assertion = await assertionKeys(derive(ASSERTION_PURPOSE), verification);
  return {
    alg,
    signing,
    verification,
    assertion: assertion.signing,
    jwks: { keys: [...publicKeys, ...assertion.publicKeys] },
    ephemeral,
    derive,
  };
}

/**
 * The KeySet of a private JWKS file. Errors name what is wrong (unreadable, not JSON, no
 * usable key) but never the file's content: it holds private keys.
 */
export async function keySetFromFile(file: string, alg: Algorithm, nowSeconds: number): Promise<KeySet> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not the parser's message: recent Node versions quote the text around the error.
    throw new Error('not valid JSON (expected a private JWKS: {"keys": [...]}, see `gatekeeper keys generate`)');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('the JWKS has no "keys"');
  return keySetFromJwks(parsed as { keys?: unknown }, alg, nowSeconds);
}

export async function loadKeySet(
  cfg: { file: string | null; algorithm: Algorithm },
  log: Logger,
  nowMs: number,
): Promise<KeySet> {
  if (cfg.file === null) {
    log.warn(EPHEMERAL_WARNING);
    return ephemeralKeySet(cfg.algorithm, nowMs);
  }
  try {
    return await keySetFromFile(cfg.file, cfg.algorithm, nowMs / 1000);
  } catch (err) {
    throw new Error(`keys.file ${cfg.file}: ${(err as Error).message}`, { cause: err });
  }
}

export const EPHEMERAL_WARNING =
  'keys.file is not set: an EPHEMERAL signing key was generated. Tokens die with this process and other instances cannot verify them; set keys.file (npx gatekeeper keys generate) for anything but the demo';

/** A new key of `alg` that lives as long as the process (no keys.file: the demo). */
export async function ephemeralKeySet(alg: Algorithm, nowMs: number): Promise<KeySet> {
  return keySetFromJwks(await generateJwks(alg), alg, nowMs / 1000, true);
}
