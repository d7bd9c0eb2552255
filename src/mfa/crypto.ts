// The gateway's second-factor keys, derived once from the signing keys (keys.file): the
// sealer of TOTP secrets and the keyed hash of recovery codes. Neither key is stored; a
// copy of the store alone opens no secret and tests no recovery code.
import type { KeySet } from '../tokens/keys.js';
import { recoveryCodeHasher } from './recovery-codes.js';
import { createSealer, type Sealer } from './seal.js';

export interface MfaCrypto {
  /** Seals TOTP secrets; the aad binds a box to its tenant, user and factor. */
  sealer: Sealer;
  /** The stored form of a new (normalised) recovery code: under the signing key's derivation. */
  hashRecoveryCode: (code: string) => string;
  /** Its possible stored forms, one per key of keys.file: codes made before a key rotation still work. */
  recoveryCodeHashes: (code: string) => string[];
}

export function createMfaCrypto(keys: Pick<KeySet, 'derive'>): MfaCrypto {
  const hashers = keys.derive('recovery-code').map((k) => recoveryCodeHasher(k.key));
  return {
    sealer: createSealer(keys.derive('totp-secret')),
    hashRecoveryCode: hashers[0]!,
    recoveryCodeHashes: (code) => hashers.map((h) => h(code)),
  };
}

/** What a sealed TOTP secret is bound to: opening it under another user or factor fails. */
export const totpAad = (tenant: string, userId: string, factorId: string): string =>
  `totp\0${tenant}\0${userId}\0${factorId}`;
