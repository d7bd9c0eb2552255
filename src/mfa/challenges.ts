// WebAuthn challenges (SPEC §13): each ceremony's random challenge is kept in the store under
// its hash, with what it was issued for (purpose, user, session), and taken once when the
// response comes back — the challenge is read from the response's clientDataJSON, so a
// replayed assertion, or one made for a challenge we never issued, finds nothing.
import { createHash } from 'node:crypto';
import type { FederationStore } from '../store/federation.js';
import { challengeOf, WEBAUTHN_TIMEOUT_MS } from './webauthn.js';

export type CeremonyPurpose = 'register' | 'second-factor' | 'passkey-login';

export interface IssuedChallenge {
  challenge: string;
  purpose: CeremonyPurpose;
  /** The user the ceremony is for; null for a passkey sign-in (the credential names the user). */
  userId: string | null;
  /** The session that asked (registration, step-up) or the pending sign-in's hash; null when none. */
  boundTo: string | null;
}

const hashOf = (challenge: string): string =>
  createHash('sha256').update('gk-webauthn\0').update(challenge).digest('hex');

/**
 * Keeps the challenge of ceremony options just made — a little longer than the browser
 * waits — bound as `binding` says, and gives the options back as the JSON endpoints answer
 * them (`{ options }`).
 */
export async function withRememberedChallenge<T extends { challenge: string }>(
  store: Pick<FederationStore, 'saveFlow'>,
  tenant: string,
  options: T,
  binding: Omit<IssuedChallenge, 'challenge'>,
): Promise<{ options: T }> {
  const issued: IssuedChallenge = { challenge: options.challenge, ...binding };
  await store.saveFlow(tenant, hashOf(issued.challenge), JSON.stringify(issued), WEBAUTHN_TIMEOUT_MS + 60_000);
  return { options };
}

/**
 * The challenge the response answers, taken (deleted) in one step, when it was issued for
 * `purpose`; null otherwise (unknown, used, expired, or issued for another ceremony).
 */
export async function takeChallenge(
  store: Pick<FederationStore, 'takeFlow'>,
  tenant: string,
  responseJson: unknown,
  purpose: CeremonyPurpose,
): Promise<IssuedChallenge | null> {
  const challenge = challengeOf(responseJson);
  if (challenge === null) return null;
  const raw = await store.takeFlow(tenant, hashOf(challenge));
  if (!raw) return null;
  const issued = JSON.parse(raw) as IssuedChallenge;
  return issued.purpose === purpose && issued.challenge === challenge ? issued : null;
}
