// The JSON Schemas (2020-12, as OpenAPI 3.1 uses them) of the bodies the tenant API sends and
// takes: Session, errors, settings, users, tokens. Closed objects (`additionalProperties:
// false`), so a field added to an answer without the document fails the OpenAPI test.

import { ERRORS } from '../../errors.js';

type Schema = Record<string, unknown>;

/** One of the catalogue's stable codes (the gateway's docs/errors.md says what each means). */
export const ERROR_CODE_SCHEMA: Schema = {
  enum: Object.keys(ERRORS),
  description: 'The stable error code: what happened, for programs and support.',
};

export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

const str = (description?: string): Schema => (description ? { type: 'string', description } : { type: 'string' });
const nullable = (type: string, extra: Schema = {}): Schema => ({ type: [type, 'null'], ...extra });
const dateTime = (description: string): Schema => ({ type: 'string', format: 'date-time', description });
const closed = (properties: Record<string, Schema>, required: string[] = Object.keys(properties)): Schema => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});

/** A duration as the settings answer it: whole seconds in the largest exact unit ("90s", "30m", "24h", "30d"). */
const duration: Schema = { type: 'string', pattern: '^[0-9]+[smhd]$', examples: ['30m', '24h'] };
/** A duration as a PATCH may send it: such a string, or whole seconds. */
const durationIn: Schema = {
  oneOf: [
    { type: 'string', pattern: '^[0-9]+[smhd]$' },
    { type: 'integer', minimum: 0 },
  ],
};

function settingsShape(d: Schema, partial: boolean): Schema {
  const obj = (props: Record<string, Schema>): Schema => closed(props, partial ? [] : Object.keys(props));
  return obj({
    sessionLifetime: { ...d, description: 'Absolute lifetime of a login session.' },
    accessTokenLifetime: { ...d, description: '`exp` of access tokens.' },
    refreshTokenLifetime: { ...d, description: 'Refresh tokens, and sessions made by the authorization-code grant.' },
    idleTimeout: { ...d, description: 'A login session without activity for this long ends.' },
    rememberMe: obj({ enabled: { type: 'boolean' }, duration: d }),
    maxConcurrentSessions: { type: 'integer', minimum: 0, maximum: 10000, description: 'Per user; 0 = unlimited.' },
    concurrentSessionPolicy: { enum: ['evict-oldest', 'reject'] },
    ipBinding: { enum: ['off', 'exact', 'subnet'] },
    ipBindingAction: { enum: ['reject', 'revoke'] },
    cookie: obj({ sameSite: { enum: ['strict', 'lax'] }, domain: nullable('string') }),
    loginThrottle: obj({ maxFailures: { type: 'integer', minimum: 1, maximum: 1000 }, window: d, lockout: d }),
    refreshGrace: { ...d, description: 'A just-rotated refresh token may be presented again for this long.' },
    mfa: obj({
      totp: { type: 'boolean', description: 'Offer TOTP (authenticator app) enrolment.' },
      webauthn: { type: 'boolean', description: 'Offer security keys and passkeys.' },
      passkeyLogin: { type: 'boolean', description: '“Sign in with a passkey” on the login page.' },
      required: { type: 'boolean', description: 'Every user must enrol and pass a second factor.' },
      rpId: { ...nullable('string'), description: 'The WebAuthn RP ID; null = the publicUrl host.' },
    }),
  });
}

const tokenFields = {
  access_token: str('An RFC 9068 JWT (`typ: at+jwt`).'),
  token_type: { const: 'Bearer' },
  expires_in: { type: 'integer', minimum: 1, description: 'Seconds.' },
};

export const SCHEMAS: Record<string, Schema> = {
  Error: {
    ...closed(
      {
        error: str('A short machine-readable reason (`invalid_token`, `insufficient_scope`, `invalid_request`, …).'),
        error_description: str('A human-readable message; never a stack trace.'),
        code: ERROR_CODE_SCHEMA,
        max_age: { type: 'integer', minimum: 0, description: 'With `insufficient_user_authentication` only.' },
        acr_values: {
          const: 'mfa',
          description: 'With `ERR_GK_MFA_REQUIRED` only: a second factor is needed (RFC 9470).',
        },
      },
      ['error', 'error_description', 'code'],
    ),
    description: 'Every refusal of the gateway, as JSON (a browser that accepts text/html gets a page).',
  },
  OAuthError: {
    ...closed(
      {
        error: {
          enum: [
            'invalid_request',
            'invalid_client',
            'invalid_grant',
            'unauthorized_client',
            'unsupported_grant_type',
            'invalid_scope',
            'unsupported_token_type',
            'temporarily_unavailable',
          ],
        },
        error_description: str(),
        code: ERROR_CODE_SCHEMA,
      },
      ['error', 'error_description', 'code'],
    ),
    description: 'RFC 6749 §5.2 error answer of the token, revocation and introspection endpoints.',
  },
  ValidationErrors: {
    ...closed(
      {
        errors: {
          type: 'array',
          minItems: 1,
          items: closed({ path: str('Where, e.g. `loginThrottle.window`.'), message: str() }),
        },
        code: ERROR_CODE_SCHEMA,
      },
      ['errors', 'code'],
    ),
    description: 'Every problem of a settings PATCH at once, each with its path.',
  },
  Session: {
    ...closed(
      {
        id: { type: 'string', pattern: '^sess_[A-Za-z0-9_-]+$', description: 'Public; also the `sid` of tokens.' },
        kind: { enum: ['browser', 'token'], description: '`browser`: a login; `token`: made by the code grant.' },
        userId: str(),
        clientId: nullable('string', { description: 'The OAuth client of a `token` session.' }),
        ipAddress: str(),
        userAgent: str(),
        device: closed({
          type: str('desktop, mobile, tablet, … or unknown'),
          os: nullable('string'),
          browser: nullable('string'),
        }),
        location: {
          oneOf: [closed({ city: nullable('string'), country: nullable('string') }), { type: 'null' }],
          description: 'From the GeoIP database when one is configured, else null.',
        },
        authMethod: str('The first factor: `password`, `passkey` or `oidc:{provider}`.'),
        amr: {
          type: 'array',
          items: { type: 'string' },
          description: 'How the user authenticated (RFC 8176): pwd, otp, hwk, swk, user, fed, mfa.',
        },
        mfaVerified: { type: 'boolean', description: 'A second factor (or a verified passkey) was used.' },
        mfaVerifiedAt: {
          type: ['string', 'null'],
          format: 'date-time',
          description: 'When a second factor was last checked; null: never in this session.',
        },
        createdAt: dateTime('Created.'),
        lastActiveAt: dateTime('Last recorded activity.'),
        expiresAt: dateTime('Absolute expiry.'),
        idleExpiresAt: { type: ['string', 'null'], format: 'date-time', description: 'null: no idle timeout.' },
        authTime: dateTime('When the user last entered their credentials.'),
        rememberMe: { type: 'boolean' },
        current: { type: 'boolean', description: 'true on the caller’s own session.' },
      },
      [
        'id',
        'kind',
        'userId',
        'clientId',
        'ipAddress',
        'userAgent',
        'device',
        'location',
        'authMethod',
        'amr',
        'mfaVerified',
        'mfaVerifiedAt',
        'createdAt',
        'lastActiveAt',
        'expiresAt',
        'idleExpiresAt',
        'authTime',
        'rememberMe',
      ],
    ),
    description: 'A login or token session; times are ISO 8601 UTC.',
  },
  SessionList: closed({ sessions: { type: 'array', items: ref('Session') } }),
  CurrentSession: closed({ session: ref('Session'), csrfToken: str('Send as `X-CSRF-Token` on state changes.') }),
  Revoked: closed({ revoked: { type: 'integer', minimum: 0, description: 'How many sessions ended.' } }),
  User: closed({
    id: str(),
    username: str(),
    email: str(),
    name: str(),
    roles: { type: 'array', items: str() },
    activeSessions: { type: 'integer', minimum: 0 },
  }),
  Settings: {
    ...settingsShape(duration, false),
    description: 'The tenant’s effective settings, durations as strings.',
  },
  SettingsPatch: {
    ...settingsShape(durationIn, true),
    description: 'Any part of the settings; durations as strings or whole seconds.',
  },
  SettingsEnvelope: closed({ settings: ref('Settings') }),
  SessionToken: closed(tokenFields),
  TokenResponse: closed(
    {
      ...tokenFields,
      refresh_token: str('Opaque; rotates on every use (authorization_code and refresh_token grants).'),
      scope: str(),
    },
    ['access_token', 'token_type', 'expires_in', 'scope'],
  ),
  TokenRequest: {
    type: 'object',
    properties: {
      grant_type: { enum: ['authorization_code', 'refresh_token', 'client_credentials'] },
      code: str(),
      redirect_uri: str(),
      code_verifier: str(),
      refresh_token: str(),
      scope: str(),
      client_id: str('Client authentication in the form (or HTTP Basic, not both).'),
      client_secret: str(),
    },
    required: ['grant_type'],
  },
  TokenForm: {
    type: 'object',
    properties: {
      token: str(),
      token_type_hint: { type: 'string', description: 'Only a hint: every kind of token is looked up.' },
      client_id: str(),
      client_secret: str(),
    },
    required: ['token'],
  },
  Introspection: {
    oneOf: [
      closed({ active: { const: false } }),
      closed(
        {
          active: { const: true },
          token_type: { enum: ['Bearer', 'refresh_token'] },
          scope: str(),
          client_id: str(),
          sub: str(),
          aud: { oneOf: [str(), { type: 'array', items: str() }] },
          iss: str(),
          exp: { type: 'integer' },
          iat: { type: 'integer' },
          jti: str(),
          tid: str(),
          sid: str(),
          auth_time: { type: 'integer' },
          acr: { enum: ['mfa', '1'], description: '`mfa` when the session passed a second factor, else `1`.' },
          amr: {
            type: 'array',
            items: str(),
            description: 'RFC 8176 methods of the session (pwd, otp, hwk, swk, user, fed, mfa).',
          },
        },
        ['active', 'token_type', 'scope', 'client_id', 'sub', 'iss', 'exp', 'iat', 'tid'],
      ),
    ],
    description: 'RFC 7662; anything the client may not learn about is `{"active": false}`.',
  },
  Jwks: {
    type: 'object',
    properties: {
      keys: {
        type: 'array',
        items: { type: 'object', properties: { kty: str(), kid: str() }, required: ['kty', 'kid'] },
      },
    },
    required: ['keys'],
  },
  AuthorizationServerMetadata: {
    type: 'object',
    properties: {
      issuer: { type: 'string', format: 'uri' },
      authorization_endpoint: { type: 'string', format: 'uri' },
      token_endpoint: { type: 'string', format: 'uri' },
      revocation_endpoint: { type: 'string', format: 'uri' },
      introspection_endpoint: { type: 'string', format: 'uri' },
      jwks_uri: { type: 'string', format: 'uri' },
    },
    required: ['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri'],
    description: 'RFC 8414.',
  },
};
