// Checking a second factor (SPEC §13), transport-free: a TOTP code, a recovery code or a
// WebAuthn assertion against the user's enrolled factors. Each check counts once: a TOTP
// step is accepted once per factor, a recovery code is removed as it is used, a WebAuthn
// challenge is taken from the store and the authenticator's counter must move on — all
// atomic in the store, so parallel submissions of one code or assertion succeed once.
// Codes are throttled like passwords (per user and per client address), before the check.
import type { Deps } from '../deps.js';
import type { TenantRuntime } from '../registry.js';
import { throttledCheck, type ThrottleDeps, type ThrottledResult } from '../session/throttle.js';
import type { FactorRecord, FactorStore, WebAuthnFactor } from '../store/factors.js';
import { takeChallenge, type CeremonyPurpose } from './challenges.js';
import { totpAad } from './crypto.js';
import { normalizeRecoveryCode } from './recovery-codes.js';
import { matchTotp } from './totp.js';
import { credentialIdOf, userHandleOf, verifyAssertion, type RelyingParty } from './webauthn.js';

/** A second factor that was just checked: which one, and what it adds to the session's amr. */
export interface FactorProof {
  kind: 'totp' | 'recovery' | 'webauthn';
  userId: string;
  factorId: string | null;
  amr: readonly string[];
}

export type CheckDeps = Pick<Deps, 'clock' | 'mfaCrypto' | 'federation'> & {
  factors: Pick<FactorStore, 'listFactors' | 'acceptTotpStep' | 'useRecoveryCode' | 'acceptWebAuthnCounter'>;
};

/** Whether the user holds a second factor (TOTP or WebAuthn; recovery codes alone are none). */
export const hasSecondFactor = (factors: readonly FactorRecord[]): boolean => factors.length > 0;

/** The session's amr after a second factor: the first factor's, the proof's, and `mfa`. */
export function amrWith(first: readonly string[], proof: Pick<FactorProof, 'amr'>): string[] {
  return [...new Set([...first, ...proof.amr, 'mfa'])];
}

export async function checkTotp(
  deps: CheckDeps,
  tenant: string,
  userId: string,
  code: string,
): Promise<FactorProof | null> {
  if (!/^\d{6}$/.test(code)) return null;
  const now = deps.clock.now();
  for (const f of await deps.factors.listFactors(tenant, userId)) {
    if (f.kind !== 'totp') continue;
    const secret = deps.mfaCrypto.sealer.open(f.secretBox, totpAad(tenant, userId, f.id));
    if (secret === null) continue;
    const step = matchTotp(secret, code, now);
    // The store accepts a step once: a replayed code, or an older one, is refused.
    if (step !== null && (await deps.factors.acceptTotpStep(tenant, userId, f.id, step, now)))
      return { kind: 'totp', userId, factorId: f.id, amr: ['otp'] };
  }
  return null;
}

export async function checkRecoveryCode(
  deps: CheckDeps,
  tenant: string,
  userId: string,
  input: string,
): Promise<FactorProof | null> {
  const code = normalizeRecoveryCode(input);
  if (code === null) return null;
  for (const hash of deps.mfaCrypto.recoveryCodeHashes(code))
    if (await deps.factors.useRecoveryCode(tenant, userId, hash))
      return { kind: 'recovery', userId, factorId: null, amr: ['otp'] };
  return null;
}

/** RFC 8176: a synced passkey is a software key; one bound to its device, a hardware key. */
export function webAuthnAmr(f: Pick<WebAuthnFactor, 'deviceType'>, userVerified: boolean): string[] {
  return [f.deviceType === 'multiDevice' ? 'swk' : 'hwk', ...(userVerified ? ['user'] : [])];
}

/**
 * A WebAuthn assertion for `purpose`. `expect.userId` null: a passkey sign-in, the user is
 * the one the credential's user handle names. `expect.boundTo`: the session or pending
 * sign-in the challenge was issued to — an assertion made for another browser's challenge
 * is refused.
 */
export async function checkAssertion(
  deps: CheckDeps,
  tenant: string,
  rp: RelyingParty,
  responseJson: unknown,
  purpose: CeremonyPurpose,
  expect: { userId: string | null; boundTo: string | null },
): Promise<(FactorProof & { userVerified: boolean }) | null> {
  const issued = await takeChallenge(deps.federation, tenant, responseJson, purpose);
  if (!issued || issued.userId !== expect.userId || issued.boundTo !== expect.boundTo) return null;
  const userId = expect.userId ?? userHandleOf(responseJson);
  const credentialId = credentialIdOf(responseJson);
  if (userId === null || credentialId === null) return null;
  const factor = (await deps.factors.listFactors(tenant, userId)).find(
    (f): f is WebAuthnFactor => f.kind === 'webauthn' && f.credentialId === credentialId,
  );
  if (!factor) return null;
  const verified = await verifyAssertion(rp, responseJson, issued.challenge, factor);
  if (!verified) return null;
  // Compare-and-set: of two parallel uses of one assertion, one moves the counter.
  if (!(await deps.factors.acceptWebAuthnCounter(tenant, userId, factor.id, verified.counter, deps.clock.now())))
    return null;
  return {
    kind: 'webauthn',
    userId,
    factorId: factor.id,
    amr: webAuthnAmr(factor, verified.userVerified),
    userVerified: verified.userVerified,
  };
}

/** Throttle keys of second-factor checks: per user, and per address as passwords are. */
export const mfaKeys = (userId: string, ip: string) => ({ subject: `m:${userId}`, source: `ip:${ip}` });

/** Runs one check under the throttle; the proof when it passed. */
export async function throttledProof(
  deps: ThrottleDeps,
  tenant: Pick<TenantRuntime, 'slug' | 'settings'>,
  userId: string,
  ip: string,
  check: () => Promise<FactorProof | null>,
): Promise<{ result: ThrottledResult; proof: FactorProof | null }> {
  let proof: FactorProof | null = null;
  const result = await throttledCheck(deps, tenant, mfaKeys(userId, ip), async () => {
    proof = await check();
    return proof !== null;
  });
  return { result, proof };
}
