// Password and client-secret hashing: scrypt in a self-describing string, `$scrypt$ln=15,r=8,p=1$<salt>$<hash>`.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  ln: number;
  /** Block size. */
  r: number;
  /** Parallelism. */
  p: number;
}

export interface ParsedPasswordHash extends ScryptParams {
  salt: Buffer;
  hash: Buffer;
}

/** ln=15, r=8: 32 MiB and roughly 50–100 ms per guess, the common interactive-login setting. */
export const DEFAULT_SCRYPT_PARAMS: Readonly<ScryptParams> = Object.freeze({ ln: 15, r: 8, p: 1 });

const SALT_BYTES = 16;
const KEY_BYTES = 32;

// Hashes come from the config file. Without bounds, one hostile line (`ln=30`) would make
// every login allocate gigabytes; these also cap what a verification may cost.
const BOUNDS = { ln: [10, 20], r: [1, 32], p: [1, 16] } as const;
/** scrypt needs about 128·N·r bytes; refuse parameter sets above 256 MiB. */
const MAX_MEMORY = 256 * 1024 * 1024;
// Node refuses scrypt above `maxmem` (default 32 MiB, which ln=15,r=8 just exceeds).
const MAXMEM = MAX_MEMORY + 16 * 1024 * 1024;

const HASH_RE = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

function b64(buf: Buffer): string {
  return buf.toString('base64').replace(/=+$/, '');
}

function decodeB64(s: string): Buffer | null {
  const buf = Buffer.from(s, 'base64');
  // Buffer.from ignores junk; insisting on the canonical form keeps one encoding per value.
  return b64(buf) === s.replace(/=+$/, '') ? buf : null;
}

function paramsOk(p: ScryptParams): boolean {
  for (const key of ['ln', 'r', 'p'] as const) {
    const [lo, hi] = BOUNDS[key];
    if (!Number.isInteger(p[key]) || p[key] < lo || p[key] > hi) return false;
  }
  return 128 * 2 ** p.ln * p.r <= MAX_MEMORY;
}

/** Parses and bounds-checks an encoded hash; null when it is malformed or too costly. */
export function parsePasswordHash(encoded: string): ParsedPasswordHash | null {
  const m = HASH_RE.exec(encoded);
  if (!m) return null;
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (!paramsOk(params)) return null;
  const salt = decodeB64(m[4] ?? '');
  const hash = decodeB64(m[5] ?? '');
  // Exactly the key length we write: a shortened hash would verify against a prefix.
  if (!salt || !hash || salt.length < 16 || salt.length > 64 || hash.length !== KEY_BYTES) return null;
  return { ...params, salt, hash };
}

function derive(password: string, salt: Buffer, keyLen: number, p: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyLen, { N: 2 ** p.ln, r: p.r, p: p.p, maxmem: MAXMEM }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** Hashes a password (or client secret) with a fresh 16-byte salt. Tests may pass a cheap `ln`. */
export async function hashPassword(password: string, params: Partial<ScryptParams> = {}): Promise<string> {
  const p: ScryptParams = { ...DEFAULT_SCRYPT_PARAMS, ...params };
  if (!paramsOk(p)) throw new TypeError(`hashPassword: scrypt parameters out of bounds: ${JSON.stringify(p)}`);
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_BYTES, p);
  return `$scrypt$ln=${p.ln},r=${p.r},p=${p.p}$${b64(salt)}$${b64(key)}`;
}

/** True when `password` matches; false for a wrong password or a malformed hash. Compares in constant time. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parsed = parsePasswordHash(encoded);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed.hash.length, parsed);
  return timingSafeEqual(key, parsed.hash);
}

// A fixed target for burnVerify: its value is irrelevant, it only has to cost the same.
const DUMMY_SALT = Buffer.alloc(SALT_BYTES, 0x5a);
const DUMMY_HASH = Buffer.alloc(KEY_BYTES, 0xa5);

/**
 * Spends the same work as verifyPassword and always answers false, so a login for an
 * unknown user takes as long as a wrong password (no user enumeration by timing).
 * Pass the params the real hashes use when they differ from the default.
 */
export async function burnVerify(password: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<false> {
  const p = paramsOk(params) ? params : DEFAULT_SCRYPT_PARAMS;
  const key = await derive(password, DUMMY_SALT, KEY_BYTES, p);
  timingSafeEqual(key, DUMMY_HASH);
  return false;
}
