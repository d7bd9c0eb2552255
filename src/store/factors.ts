// The store concern of second factors (SPEC §13): each user's enrolled factors — TOTP
// authenticators and WebAuthn credentials (security keys and passkeys) — with the counters
// that make a code or an assertion count once, and the user's hashed recovery codes.
// Everything of one user lives in one place (Redis: one hash slot per user, the slot of
// their sessions), so every change below is atomic. Memory and Redis implementations sit
// beside it (memory-factors.ts, redis-factors.ts); both pass test/store/contract-factors.ts.
// Times are epoch milliseconds. Factors never expire.

interface FactorBase {
  /** `fac_` + 22 base64url characters; unique per user. */
  id: string;
  tenant: string;
  userId: string;
  /** Chosen by the user (WebAuthn) or given by the gateway ("Authenticator app"). */
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface TotpFactor extends FactorBase {
  kind: 'totp';
  /** The shared secret, sealed (AES-GCM under a key derived from keys.file): never in clear. */
  secretBox: string;
  /** The highest TOTP time step accepted so far (-1 before the first use): a code counts once. */
  lastStep: number;
}

export interface WebAuthnFactor extends FactorBase {
  kind: 'webauthn';
  /** The credential id, base64url: unique per user. */
  credentialId: string;
  /** The COSE public key, base64url. */
  publicKey: string;
  /** The authenticator's signature counter as last seen (0: the authenticator keeps none). */
  counter: number;
  transports: readonly string[];
  /** A passkey: a discoverable credential that can sign in without a username. */
  discoverable: boolean;
  /** 'multiDevice' credentials are synced between devices (a software key); 'singleDevice' are bound to one. */
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
}

export type FactorRecord = TotpFactor | WebAuthnFactor;

/** How many factors (TOTP and WebAuthn together) one user may hold. */
export const MAX_FACTORS_PER_USER = 20;

export type AddFactorResult = { ok: true } | { ok: false; reason: 'limit' | 'duplicate' };

export interface FactorStore {
  /**
   * Saves a new factor. Refused with 'limit' when the user already holds `max` factors and
   * with 'duplicate' when the user already holds a WebAuthn factor with the same
   * credentialId (or a factor with the same id). Atomic: parallel adds never exceed `max`.
   */
  addFactor(factor: FactorRecord, max: number): Promise<AddFactorResult>;
  /** The user's factors, oldest first. */
  listFactors(tenant: string, userId: string): Promise<FactorRecord[]>;
  getFactor(tenant: string, userId: string, factorId: string): Promise<FactorRecord | null>;
  /** Removes one factor; false when the user holds no factor with that id. */
  removeFactor(tenant: string, userId: string, factorId: string): Promise<boolean>;
  /** Removes all the user's factors and recovery codes; returns how many factors went. */
  removeAllFactors(tenant: string, userId: string): Promise<number>;

  /**
   * A TOTP code for time step `step` was found valid: accepts it only when `step` is above
   * the factor's lastStep (a code, and any older one, counts once), then sets lastStep =
   * step and lastUsedAt = now. Atomic: of parallel calls with one step, one wins. False
   * when refused or when the factor is gone (or is not TOTP).
   */
  acceptTotpStep(tenant: string, userId: string, factorId: string, step: number, now: number): Promise<boolean>;
  /**
   * A WebAuthn assertion was verified and reported `counter`: accepts it when the counter
   * went up, or when both the stored and the new counter are 0 (an authenticator that keeps
   * none); then stores it and sets lastUsedAt = now. A counter that stays or goes back
   * (a cloned authenticator, a replayed assertion) is refused. Atomic compare-and-set.
   */
  acceptWebAuthnCounter(
    tenant: string,
    userId: string,
    factorId: string,
    counter: number,
    now: number,
  ): Promise<boolean>;

  /** Replaces the user's recovery codes (their hashes; an empty list removes them). */
  replaceRecoveryCodes(tenant: string, userId: string, hashes: readonly string[], now: number): Promise<void>;
  /** Uses one recovery code: removes its hash atomically; false when it is not (or no longer) there. */
  useRecoveryCode(tenant: string, userId: string, hash: string): Promise<boolean>;
  /** How many recovery codes the user has left. */
  recoveryCodesLeft(tenant: string, userId: string): Promise<number>;
}
