// Recovery codes (SPEC §13): ten one-time codes shown once, for a user who lost their
// authenticator. Each is 10 base32 characters (50 random bits), shown as `xxxxx-xxxxx`.
// The store keeps only an HMAC-SHA256 of each under a key derived from keys.file, not a
// plain hash: a stolen store dump alone is not enough to try codes offline.
import { createHmac, randomBytes } from 'node:crypto';

export const RECOVERY_CODE_COUNT = 10;

/** RFC 4648 base32 in lower case: no 0/1/8/9, so no O-0 or l-1 confusion when typed. */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const CODE_CHARS = 10;
/** Generous for what a person may paste (spaces, dashes); longer input is refused unread. */
const MAX_INPUT_CHARS = 64;

function newCode(): string {
  // 32 symbols: a byte's low five bits pick one with no bias.
  const bytes = randomBytes(CODE_CHARS);
  let code = '';
  for (const b of bytes) code += ALPHABET[b & 31];
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

/** RECOVERY_CODE_COUNT new codes as shown to the user (`xxxxx-xxxxx`), all different. */
export function newRecoveryCodes(): string[] {
  const codes = new Set<string>();
  while (codes.size < RECOVERY_CODE_COUNT) codes.add(newCode());
  return [...codes];
}

/**
 * The code as typed, in its one canonical form (lower case, no spaces or dashes), or null
 * when it cannot be a recovery code (wrong length or a character outside the alphabet).
 */
export function normalizeRecoveryCode(input: string): string | null {
  if (typeof input !== 'string' || input.length > MAX_INPUT_CHARS) return null;
  const code = input.trim().toLowerCase().replace(/[\s-]/g, '');
  if (code.length !== CODE_CHARS) return null;
  for (const c of code) if (!ALPHABET.includes(c)) return null;
  return code;
}

/**
 * The hash stored for a code (hex HMAC-SHA256 under `key`), of its normalised form: the
 * same code typed with or without the dash, in any case, hashes the same. Input that cannot
 * be a recovery code gets a hash no stored code has (the `invalid:` prefix).
 */
export function recoveryCodeHasher(key: Buffer): (code: string) => string {
  if (key.length < 32) throw new Error('recoveryCodeHasher: the key must be at least 32 bytes');
  const k = Buffer.from(key);
  return (code) =>
    createHmac('sha256', k)
      .update(normalizeRecoveryCode(code) ?? `invalid:${code}`, 'utf8')
      .digest('hex');
}
