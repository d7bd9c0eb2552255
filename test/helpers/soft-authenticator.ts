// A software WebAuthn authenticator for tests: real ES256 keys (node:crypto), real
// authenticator data (RP ID hash, flags, signature counter, attested credential data with a
// COSE key), real clientDataJSON, real signatures — what a browser with a security key or a
// passkey sends, without a browser. It is bound to one RP ID and one origin, as a browser
// on that page would be; a test that wants another RP ID or origin makes a second one.
// Attestation is always 'none'.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

export interface SoftCredential {
  /** base64url */
  id: string;
  privateKey: KeyObject;
  /** The user handle from the registration options (base64url). */
  userHandle: string;
  counter: number;
  /** Synced passkey (backup eligible and backed up) rather than a device-bound key. */
  synced: boolean;
}

export interface RegisterOptions {
  /** Set the UV flag (default true). */
  uv?: boolean;
  /** A synced passkey: BE and BS flags (default false). */
  synced?: boolean;
  /** What clientExtensionResults.credProps.rk reports; undefined = no credProps (default true). */
  rk?: boolean | undefined;
  /** Initial signature counter (default 0). */
  counter?: number;
}

export interface AssertOptions {
  /** The signature counter to report (default: the credential's last one + 1). */
  counter?: number;
  /** Set the UV flag (default true). */
  uv?: boolean;
  /** The credential to use (default: the first in allowCredentials, else the newest). */
  credentialId?: string;
  /** Leave out the user handle (a security key without a discoverable credential does). */
  noUserHandle?: boolean;
}

export interface SoftAuthenticator {
  readonly rpId: string;
  readonly origin: string;
  readonly credentials: SoftCredential[];
  register(options: PublicKeyCredentialCreationOptionsJSON, opts?: RegisterOptions): RegistrationResponseJSON;
  assert(options: PublicKeyCredentialRequestOptionsJSON, opts?: AssertOptions): AuthenticationResponseJSON;
}

// ---- a minimal CBOR encoder (RFC 8949): what COSE keys and attestation objects need ----

type Cbor = number | string | Uint8Array | Map<number | string, Cbor>;

function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.of((major << 5) | n);
  if (n < 0x100) return Buffer.of((major << 5) | 24, n);
  if (n < 0x10000) return Buffer.of((major << 5) | 25, n >> 8, n & 0xff);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}

function cbor(v: Cbor): Buffer {
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v);
  if (typeof v === 'string') {
    const utf8 = Buffer.from(v, 'utf8');
    return Buffer.concat([head(3, utf8.length), utf8]);
  }
  if (v instanceof Uint8Array) return Buffer.concat([head(2, v.length), v]);
  const parts = [head(5, v.size)];
  for (const [k, val] of v) parts.push(cbor(k), cbor(val));
  return Buffer.concat(parts);
}

// ---- the authenticator ----

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;

const sha256 = (data: Buffer | string): Buffer => createHash('sha256').update(data).digest();
const b64url = (b: Uint8Array): string => Buffer.from(b).toString('base64url');

function coseKey(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  return cbor(
    new Map<number, Cbor>([
      [1, 2], // kty: EC2
      [3, -7], // alg: ES256
      [-1, 1], // crv: P-256
      [-2, Buffer.from(jwk.x!, 'base64url')],
      [-3, Buffer.from(jwk.y!, 'base64url')],
    ]),
  );
}

function counterBytes(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

export function createSoftAuthenticator({ rpId, origin }: { rpId: string; origin: string }): SoftAuthenticator {
  const credentials: SoftCredential[] = [];
  const rpIdHash = sha256(rpId);
  const clientData = (type: string, challenge: string) =>
    Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), 'utf8');

  return {
    rpId,
    origin,
    credentials,

    register(options, opts = {}) {
      // A browser refuses to register an authenticator that holds an excluded credential.
      const excluded = new Set((options.excludeCredentials ?? []).map((c) => c.id));
      if (credentials.some((c) => excluded.has(c.id))) throw new Error('InvalidStateError: credential excluded');
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const id = randomBytes(16);
      const synced = opts.synced ?? false;
      const counter = opts.counter ?? 0;
      const flags = FLAG_UP | FLAG_AT | (opts.uv === false ? 0 : FLAG_UV) | (synced ? FLAG_BE | FLAG_BS : 0);
      const credIdLen = Buffer.alloc(2);
      credIdLen.writeUInt16BE(id.length);
      const authData = Buffer.concat([
        rpIdHash,
        Buffer.of(flags),
        counterBytes(counter),
        Buffer.alloc(16), // AAGUID: zeros, as with 'none' attestation
        credIdLen,
        id,
        coseKey(publicKey),
      ]);
      const attestationObject = cbor(
        new Map<string, Cbor>([
          ['fmt', 'none'],
          ['attStmt', new Map()],
          ['authData', authData],
        ]),
      );
      const cred: SoftCredential = { id: b64url(id), privateKey, userHandle: options.user.id, counter, synced };
      credentials.push(cred);
      const rk = 'rk' in opts ? opts.rk : true;
      return {
        id: cred.id,
        rawId: cred.id,
        type: 'public-key',
        response: {
          clientDataJSON: b64url(clientData('webauthn.create', options.challenge)),
          attestationObject: b64url(attestationObject),
          transports: ['usb'],
        },
        clientExtensionResults: rk === undefined ? {} : { credProps: { rk } },
        authenticatorAttachment: 'cross-platform',
      };
    },

    assert(options, opts = {}) {
      const allowed = (options.allowCredentials ?? []).map((c) => c.id);
      const wanted = opts.credentialId ?? allowed.find((id) => credentials.some((c) => c.id === id));
      const cred =
        wanted !== undefined ? credentials.find((c) => c.id === wanted) : credentials[credentials.length - 1];
      if (!cred) throw new Error('NotAllowedError: no matching credential');
      cred.counter = opts.counter ?? cred.counter + 1;
      const flags = FLAG_UP | (opts.uv === false ? 0 : FLAG_UV) | (cred.synced ? FLAG_BE | FLAG_BS : 0);
      const authData = Buffer.concat([rpIdHash, Buffer.of(flags), counterBytes(cred.counter)]);
      const clientDataJSON = clientData('webauthn.get', options.challenge);
      // ES256: ECDSA P-256 over authenticatorData || SHA-256(clientDataJSON), DER-encoded.
      const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), cred.privateKey);
      return {
        id: cred.id,
        rawId: cred.id,
        type: 'public-key',
        response: {
          clientDataJSON: b64url(clientDataJSON),
          authenticatorData: b64url(authData),
          signature: b64url(signature),
          ...(opts.noUserHandle ? {} : { userHandle: cred.userHandle }),
        },
        clientExtensionResults: {},
        authenticatorAttachment: 'cross-platform',
      };
    },
  };
}
