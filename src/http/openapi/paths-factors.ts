// OpenAPI paths of a user's second factors for admins (SPEC §13): the list (kind, name,
// added, last used — never a secret or a key) and removing one. Their schemas live here
// beside them and join the document's components in document.ts.
import { answer, idParam, R401_STEP_UP, R403_ADMIN, R503, READ_AUTH, refusal, WRITE_AUTH, type Obj } from './parts.js';
import { ref } from './schemas.js';

const USER_ID = idParam('userId', 'The user’s id (`{provider}:{sub}` for users of an identity provider).');
const FACTOR_ID = idParam('factorId', 'A factor id (`fac_…`), from the list.');
const dateTime = (description: string): Obj => ({ type: 'string', format: 'date-time', description });

export const FACTOR_SCHEMAS: Record<string, Obj> = {
  Factor: {
    type: 'object',
    properties: {
      id: { type: 'string', description: '`fac_…`; unique per user.' },
      kind: {
        enum: ['totp', 'webauthn'],
        description: '`totp`: an authenticator app; `webauthn`: a security key or passkey.',
      },
      name: {
        type: 'string',
        description: '“Authenticator app”, or the name the user gave a security key or passkey.',
      },
      createdAt: dateTime('When it was added.'),
      lastUsedAt: {
        type: ['string', 'null'],
        format: 'date-time',
        description: 'When it last passed a check; null: never.',
      },
      discoverable: {
        type: 'boolean',
        description: 'A passkey (a discoverable WebAuthn credential that can sign in alone).',
      },
      deviceType: {
        enum: ['singleDevice', 'multiDevice', null],
        description: 'WebAuthn: bound to one device, or synced between devices; null for TOTP.',
      },
    },
    required: ['id', 'kind', 'name', 'createdAt', 'lastUsedAt', 'discoverable', 'deviceType'],
    additionalProperties: false,
    description: 'One second factor of a user: what it is and when it was used, never its secret or key.',
  },
  FactorList: {
    type: 'object',
    properties: {
      factors: { type: 'array', items: ref('Factor'), maxItems: 20, description: 'Oldest first; at most 20.' },
      recoveryCodesLeft: { type: 'integer', minimum: 0, maximum: 10, description: 'Unused recovery codes.' },
    },
    required: ['factors', 'recoveryCodesLeft'],
    additionalProperties: false,
  },
};

export const FACTOR_PATHS: Obj = {
  '/api/v1/users/{userId}/factors': {
    get: {
      operationId: 'listUserFactors',
      tags: ['admin'],
      summary: 'A user’s second factors (TOTP, security keys, passkeys) and how many recovery codes are left.',
      security: READ_AUTH,
      parameters: [USER_ID],
      responses: {
        200: answer('The factors.', ref('FactorList')),
        401: R401_STEP_UP,
        403: R403_ADMIN,
        404: refusal('Unknown user in this tenant.'),
        503: R503,
      },
    },
  },
  '/api/v1/users/{userId}/factors/{factorId}': {
    delete: {
      operationId: 'removeUserFactor',
      tags: ['admin'],
      summary: 'Remove one second factor of a user (audited `mfa_removed`); with the last one go the recovery codes.',
      description:
        'A sensitive action: an admin who holds a second factor (every admin when the tenant sets `mfa.required`) must have passed one within the last 15 minutes, else 401 `ERR_GK_MFA_REQUIRED` with `max_age=900`. A client acting as itself (client credentials) is not asked.',
      security: WRITE_AUTH,
      parameters: [USER_ID, FACTOR_ID],
      responses: {
        204: answer('Removed.'),
        401: R401_STEP_UP,
        403: R403_ADMIN,
        404: refusal('Unknown user, or no factor with that id for this user.'),
        503: R503,
      },
    },
  },
};
