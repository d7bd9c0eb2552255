// Sealing small secrets at rest (SPEC §13: TOTP secrets are stored encrypted, never in clear):
// AES-256-GCM under a key derived from keys.file. The box names the key that sealed it, so
// after a key rotation boxes made under the old key still open while new ones use the new
// key. The associated data binds a box to its place (tenant, user, factor): a box copied
// into another user's record does not open there.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DerivedKey } from '../tokens/keys.js';

export interface Sealer {
  /** `v1.<kid>.<iv>.<ciphertext+tag>` (base64url parts) of `plain` bound to `aad`. */
  seal(plain: string, aad: string): string;
  /** The plain text, or null when the box is malformed, tampered, of an unknown key or of another aad. */
  open(box: string, aad: string): string | null;
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Boxes hold short secrets; anything much longer is not ours and is refused unparsed. */
const MAX_BOX_CHARS = 16_384;
const B64URL = /^[A-Za-z0-9_-]+$/;

export function createSealer(keys: readonly DerivedKey[]): Sealer {
  if (keys.length === 0) throw new Error('createSealer: no keys');
  for (const { kid, key } of keys) {
    if (key.length !== 32) throw new Error(`createSealer: key ${kid} is not 32 bytes`);
    // The kid is a part of the box, split on '.'.
    if (kid === '' || kid.includes('.')) throw new Error(`createSealer: unusable kid ${JSON.stringify(kid)}`);
  }
  const byKid = new Map(keys.map((k) => [k.kid, k.key] as const));
  const current = keys[0]!;

  return {
    seal(plain, aad) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv);
      cipher.setAAD(Buffer.from(aad, 'utf8'));
      const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${VERSION}.${current.kid}.${iv.toString('base64url')}.${ct.toString('base64url')}`;
    },

    open(box, aad) {
      if (typeof box !== 'string' || box.length > MAX_BOX_CHARS) return null;
      const parts = box.split('.');
      if (parts.length !== 4) return null;
      const [version, kid, ivText, ctText] = parts as [string, string, string, string];
      if (version !== VERSION) return null;
      const key = byKid.get(kid);
      if (!key || !B64URL.test(ivText) || !B64URL.test(ctText)) return null;
      const iv = Buffer.from(ivText, 'base64url');
      const ct = Buffer.from(ctText, 'base64url');
      if (iv.length !== IV_BYTES || ct.length < TAG_BYTES) return null;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(aad, 'utf8'));
        decipher.setAuthTag(ct.subarray(ct.length - TAG_BYTES));
        const plain = Buffer.concat([decipher.update(ct.subarray(0, ct.length - TAG_BYTES)), decipher.final()]);
        return plain.toString('utf8');
      } catch {
        // final() throws when the tag does not match: tampered, another key or another aad.
        return null;
      }
    },
  };
}
