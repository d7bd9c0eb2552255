// WebAuthn (SPEC §13: security keys and passkeys) — a thin layer over @simplewebauthn/server
// that fixes the gateway's choices in one place: the relying party of a tenant, the options
// sent to the browser, and the checks on what comes back. What the browser sends is
// untrusted JSON: it is checked for shape and size here, copied into a clean object, and any
// failure (malformed, wrong RP ID, wrong origin, wrong challenge, bad signature, counter not
// going up) is a null, never an exception. Challenges are kept by the caller (single-use, in
// the store); challengeOf only reads which one a response claims, to look it up.
//
// The user handle is the UTF-8 of the user id (at most 64 bytes, the WebAuthn limit), so a
// passkey sign-in learns the user from the authenticator. A longer id (not expected: ids are
// at most 128 characters, usually short) gets a 0x00-prefixed SHA-256 instead, which
// userHandleOf refuses: such a user can use a key as a second factor but not sign in with a
// passkey alone.
import { createHash } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { WebAuthnFactor } from '../store/factors.js';

export interface RelyingParty {
  /** The RP ID: a registrable suffix of the origin's host (or the host itself). */
  rpId: string;
  /** Shown by the browser while creating a credential (the tenant's display name). */
  rpName: string;
  /** The origin responses must come from: the publicUrl's scheme, host and port. */
  origin: string;
}

/** What a verified registration yields: the fields of a new WebAuthnFactor. */
export interface RegisteredCredential {
  credentialId: string;
  /** COSE public key, base64url. */
  publicKey: string;
  counter: number;
  transports: string[];
  discoverable: boolean;
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  userVerified: boolean;
}

/** How long the browser waits for the user; a stored challenge should live at least this long. */
export const WEBAUTHN_TIMEOUT_MS = 300_000;

/** COSE algorithm ids: ES256 (most keys and platforms), RS256 (Windows Hello), EdDSA. */
const ALGORITHMS = [-7, -257, -8];
const TRANSPORTS: readonly string[] = ['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'];
const MAX_USER_HANDLE_BYTES = 64;

// Bounds on untrusted input, each well above what a real authenticator sends with the
// 'none' attestation we ask for (a packed attestation with a certificate chain fits too).
const MAX_JSON_CHARS = 65_536;
/** A credential id is at most 1023 bytes. */
const MAX_ID_CHARS = 1_364;
const MAX_CLIENT_DATA_CHARS = 8_192;
const MAX_ATTESTATION_CHARS = 60_000;
const MAX_AUTH_DATA_CHARS = 8_192;
const MAX_SIGNATURE_CHARS = 2_048;
const MAX_CHALLENGE_CHARS = 256;
const B64URL = /^[A-Za-z0-9_-]+$/;

/**
 * The relying party of a tenant: RP ID = `rpIdSetting` (settings.mfa.rpId) or the publicUrl
 * host; origin = the publicUrl origin. Throws when the RP ID does not cover the host (no
 * browser would create or use a credential then): call it when loading the configuration.
 */
export function relyingParty(publicUrl: string, rpIdSetting: string | null, rpName: string): RelyingParty {
  const url = new URL(publicUrl);
  const host = url.hostname.toLowerCase();
  const rpId = (rpIdSetting ?? host).toLowerCase();
  if (rpId === '' || (host !== rpId && !host.endsWith(`.${rpId}`))) {
    throw new Error(`the WebAuthn RP ID ${rpId} is not ${host} or a parent domain of it`);
  }
  return { rpId, rpName, origin: url.origin };
}

/** The user handle of a user: the UTF-8 of the id, or (too long) a digest no id equals. */
function userHandle(userId: string): Uint8Array<ArrayBuffer> {
  const utf8 = new Uint8Array(Buffer.from(userId, 'utf8'));
  if (utf8.length <= MAX_USER_HANDLE_BYTES) return utf8;
  const digest = createHash('sha256').update(userId, 'utf8').digest();
  return new Uint8Array(Buffer.concat([Buffer.of(0), digest]));
}

const descriptor = (f: WebAuthnFactor) => ({ id: f.credentialId, transports: [...f.transports] });

/**
 * Options for navigator.credentials.create(): the user's existing credentials are excluded
 * (an authenticator already enrolled is not enrolled twice), a discoverable credential is
 * preferred (a passkey), user verification preferred, no attestation asked for.
 */
export async function registrationOptions(
  rp: RelyingParty,
  user: { id: string; username: string; name: string },
  existing: readonly WebAuthnFactor[],
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return generateRegistrationOptions({
    rpName: rp.rpName,
    rpID: rp.rpId,
    userName: user.username,
    userDisplayName: user.name !== '' ? user.name : user.username,
    userID: userHandle(user.id),
    timeout: WEBAUTHN_TIMEOUT_MS,
    attestationType: 'none',
    excludeCredentials: existing.map(descriptor),
    // A new object each time: the library writes requireResidentKey into it.
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    supportedAlgorithmIDs: ALGORITHMS,
  });
}

/**
 * Checks a registration response against the challenge the caller stored for it. Null on
 * any failure. `discoverable`: the browser's credProps answer (rk) when it gives one; without
 * it, a synced credential (deviceType multiDevice) counts as discoverable — every synced
 * passkey provider makes discoverable credentials — and a device-bound one does not (with
 * residentKey 'preferred' an older security key may have made a server-side credential).
 */
export async function verifyRegistration(
  rp: RelyingParty,
  responseJson: unknown,
  expectedChallenge: string,
): Promise<RegisteredCredential | null> {
  const response = registrationResponse(responseJson);
  if (!response) return null;
  try {
    const result = await verifyRegistrationResponse({
      response,
      expectedChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpId,
      requireUserVerification: false,
      supportedAlgorithmIDs: ALGORITHMS,
    });
    if (!result.verified) return null;
    const info = result.registrationInfo;
    const credentialId = info.credential.id;
    if (credentialId !== response.id || credentialId.length > MAX_ID_CHARS) return null;
    const rk = response.clientExtensionResults.credProps?.rk;
    return {
      credentialId,
      publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
      counter: info.credential.counter,
      transports: response.response.transports ?? [],
      discoverable: typeof rk === 'boolean' ? rk : info.credentialDeviceType === 'multiDevice',
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
      userVerified: info.userVerified,
    };
  } catch {
    return null;
  }
}

/**
 * Options for navigator.credentials.get(): `allow` = the user's credentials (a second
 * factor, or step-up), null = a discoverable-credential sign-in (the authenticator offers
 * its passkeys for this RP; the response's user handle names the user).
 */
export async function authenticationOptions(
  rp: RelyingParty,
  allow: readonly WebAuthnFactor[] | null,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({
    rpID: rp.rpId,
    ...(allow !== null ? { allowCredentials: allow.map(descriptor) } : {}),
    userVerification: 'preferred',
    timeout: WEBAUTHN_TIMEOUT_MS,
  });
}

/**
 * Checks an assertion made with `factor` against the stored challenge: the response must
 * name the factor's credential, come from our origin for our RP ID, sign the challenge with
 * the factor's key, carry (when it has one) the factor's user's handle, and show a counter
 * above the stored one (unless both are 0: an authenticator without a counter). The caller
 * then stores the counter with FactorStore.acceptWebAuthnCounter, which refuses a race.
 */
export async function verifyAssertion(
  rp: RelyingParty,
  responseJson: unknown,
  expectedChallenge: string,
  factor: WebAuthnFactor,
): Promise<{ counter: number; userVerified: boolean } | null> {
  const response = authenticationResponse(responseJson);
  if (!response || response.id !== factor.credentialId) return null;
  const handle = response.response.userHandle;
  if (handle !== undefined && handle !== Buffer.from(userHandle(factor.userId)).toString('base64url')) return null;
  try {
    const result = await verifyAuthenticationResponse({
      response,
      expectedChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpId,
      requireUserVerification: false,
      credential: {
        id: factor.credentialId,
        publicKey: new Uint8Array(Buffer.from(factor.publicKey, 'base64url')),
        counter: factor.counter,
        transports: [...factor.transports],
      },
    });
    if (!result.verified) return null;
    return { counter: result.authenticationInfo.newCounter, userVerified: result.authenticationInfo.userVerified };
  } catch {
    return null;
  }
}

/** The challenge a response claims to answer (unverified: only a key to look the real one up). */
export function challengeOf(responseJson: unknown): string | null {
  const cred = credentialJson(responseJson);
  const clientData = cred && b64urlField(cred.response, 'clientDataJSON', MAX_CLIENT_DATA_CHARS);
  if (!clientData) return null;
  const parsed = parseJson(Buffer.from(clientData, 'base64url').toString('utf8'));
  const challenge = isObject(parsed) ? parsed.challenge : undefined;
  return typeof challenge === 'string' && challenge.length <= MAX_CHALLENGE_CHARS && B64URL.test(challenge)
    ? challenge
    : null;
}

/** The credential id a response names (unverified), base64url. */
export function credentialIdOf(responseJson: unknown): string | null {
  return credentialJson(responseJson)?.id ?? null;
}

/**
 * The user id in an assertion's user handle (unverified: verifyAssertion checks it against
 * the factor), or null when there is none or it is not a user id we would have written.
 */
export function userHandleOf(responseJson: unknown): string | null {
  const handle = authenticationResponse(responseJson)?.response.userHandle;
  if (handle === undefined) return null;
  const bytes = Buffer.from(handle, 'base64url');
  if (bytes.length === 0 || bytes.length > MAX_USER_HANDLE_BYTES) return null;
  let id: string;
  try {
    id = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
  // Control characters (the 0x00 of a digest handle among them) are in no user id.
  return /\p{Cc}/u.test(id) ? null : id;
}

// ---- untrusted JSON ----

type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseJson(text: string): unknown {
  if (text.length > MAX_JSON_CHARS) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function b64urlField(obj: JsonObject, name: string, max: number): string | null {
  const v = obj[name];
  return typeof v === 'string' && v.length <= max && B64URL.test(v) ? v : null;
}

/** The common part of both responses: accepts the JSON text or the parsed value. */
function credentialJson(input: unknown): { id: string; response: JsonObject; raw: JsonObject } | null {
  const raw = typeof input === 'string' ? parseJson(input) : input;
  if (!isObject(raw) || !isObject(raw.response) || raw.type !== 'public-key') return null;
  const id = b64urlField(raw, 'id', MAX_ID_CHARS);
  if (id === null || raw.rawId !== id) return null;
  return { id, response: raw.response, raw };
}

function attachment(raw: JsonObject): { authenticatorAttachment?: 'platform' | 'cross-platform' } {
  const a = raw.authenticatorAttachment;
  return a === 'platform' || a === 'cross-platform' ? { authenticatorAttachment: a } : {};
}

function registrationResponse(input: unknown): RegistrationResponseJSON | null {
  const cred = credentialJson(input);
  if (!cred) return null;
  const clientDataJSON = b64urlField(cred.response, 'clientDataJSON', MAX_CLIENT_DATA_CHARS);
  const attestationObject = b64urlField(cred.response, 'attestationObject', MAX_ATTESTATION_CHARS);
  if (!clientDataJSON || !attestationObject) return null;
  const rawTransports = cred.response.transports;
  const transports = Array.isArray(rawTransports)
    ? [...new Set(rawTransports.filter((t): t is string => typeof t === 'string' && TRANSPORTS.includes(t)))]
    : [];
  const ext = cred.raw.clientExtensionResults;
  const credProps = isObject(ext) && isObject(ext.credProps) ? ext.credProps : null;
  return {
    id: cred.id,
    rawId: cred.id,
    type: 'public-key',
    response: { clientDataJSON, attestationObject, transports },
    clientExtensionResults: credProps && typeof credProps.rk === 'boolean' ? { credProps: { rk: credProps.rk } } : {},
    ...attachment(cred.raw),
  };
}

function authenticationResponse(input: unknown): AuthenticationResponseJSON | null {
  const cred = credentialJson(input);
  if (!cred) return null;
  const clientDataJSON = b64urlField(cred.response, 'clientDataJSON', MAX_CLIENT_DATA_CHARS);
  const authenticatorData = b64urlField(cred.response, 'authenticatorData', MAX_AUTH_DATA_CHARS);
  const signature = b64urlField(cred.response, 'signature', MAX_SIGNATURE_CHARS);
  if (!clientDataJSON || !authenticatorData || !signature) return null;
  // Absent, null or empty: no user handle. Anything else must be a plausible one.
  const rawHandle = cred.response.userHandle;
  let userHandle: string | undefined;
  if (rawHandle !== undefined && rawHandle !== null && rawHandle !== '') {
    userHandle = b64urlField(cred.response, 'userHandle', 128) ?? '';
    if (userHandle === '') return null;
  }
  return {
    id: cred.id,
    rawId: cred.id,
    type: 'public-key',
    response: { clientDataJSON, authenticatorData, signature, ...(userHandle !== undefined ? { userHandle } : {}) },
    clientExtensionResults: {},
    ...attachment(cred.raw),
  };
}
