// Building blocks of the OpenAPI document: bodies, refusals every endpoint shares, and the
// ways a caller authenticates.
import { ERROR_CODE_SCHEMA, ref } from './schemas.js';

export type Obj = Record<string, unknown>;

export const json = (schema: Obj): Obj => ({ 'application/json': { schema } });

export function header(description: string, required = false, schema: Obj = { type: 'string' }): Obj {
  return { description, required, schema };
}

/** A successful answer, with a JSON body when `schema` is given (else none). */
export function answer(description: string, schema?: Obj, headers?: Obj): Obj {
  return { description, ...(headers ? { headers } : {}), ...(schema ? { content: json(schema) } : {}) };
}

/** Every error answer names its stable code in a header too (the only place when there is no body). */
export const ERROR_CODE = {
  'X-Auth-Error-Code': header('The stable error code (as `code` in a JSON body).', true, ERROR_CODE_SCHEMA),
};

/** A refusal: JSON `Error`, or an HTML page for a request that accepts text/html. */
export function refusal(description: string, headers?: Obj): Obj {
  return {
    description,
    headers: { ...ERROR_CODE, ...headers },
    content: { 'application/json': { schema: ref('Error') }, 'text/html': { schema: { type: 'string' } } },
  };
}

export const BEARER_CHALLENGE = {
  'WWW-Authenticate': header('A `Bearer` challenge with `realm="{slug}"` (RFC 6750).', true),
};

/** The challenge of a refusal a second factor cures (RFC 9470). */
export const MFA_CHALLENGE = {
  'WWW-Authenticate': header(
    '`Bearer realm="{slug}"` (RFC 6750); when a second factor is needed, RFC 9470’s `error="insufficient_user_authentication"` with `acr_values="mfa"` (and `max_age=N` when it must be recent).',
    true,
  ),
};

export const R400 = refusal('Malformed request (bad JSON, a repeated parameter, a bad path).');
export const R401 = refusal(
  'No valid credential (none, unknown, expired, revoked, or from another tenant).',
  BEARER_CHALLENGE,
);
/** For endpoints that need a user session's second factor (the tenant's `mfa.required`, sensitive actions). */
export const R401_STEP_UP = refusal(
  'No valid credential (none, unknown, expired, revoked, or from another tenant); or `ERR_GK_MFA_REQUIRED`: the caller’s session must pass a second factor first — the tenant sets `mfa.required` and this session has none, or (sensitive actions) none within `max_age` seconds. The body then carries `acr_values: "mfa"` (and `max_age`).',
  MFA_CHALLENGE,
);
export const R403_ADMIN = refusal(
  'Authenticated but not an admin (role `admin`, or a client token with scope `sessions:admin`); or a cookie call without a valid `X-CSRF-Token` or from another site.',
);
export const R403_USER = refusal(
  'Not a user session (e.g. a client-credentials token); or a cookie call without a valid `X-CSRF-Token` or from another site.',
);
export const R403_CSRF = refusal('Missing or wrong `X-CSRF-Token`, or a cross-site request.');
export const R404 = refusal('Unknown user or session in this tenant.');
export const R413 = refusal('Body over 16 KiB.');
export const R415 = refusal('Body not `application/json`.');
export const R503 = refusal(
  'The session store is unreachable: nothing was decided or changed (`temporarily_unavailable`).',
);

/** An RFC 6749 §5.2 error answer `{error, error_description, code}`. */
export function oauthError(description: string, headers?: Obj): Obj {
  return answer(description, ref('OAuthError'), { ...ERROR_CODE, ...headers });
}

export const OAUTH_400 = oauthError('RFC 6749 §5.2 error (`invalid_request`, `invalid_grant`, …).');
export const OAUTH_401 = oauthError('`invalid_client`: client authentication failed.', {
  'WWW-Authenticate': header('`Basic realm="{slug}"`, when HTTP Basic was used.'),
});
export const OAUTH_429 = oauthError(
  'Too many failed client authentications for this `client_id` or address (`temporarily_unavailable`); no secret was checked.',
  { 'Retry-After': header('Seconds.', true) },
);
export const OAUTH_503 = {
  description: 'The store is unreachable, or too many secrets are being checked at once (`temporarily_unavailable`).',
  headers: { ...ERROR_CODE, 'Retry-After': header('Seconds, when secrets were being checked.') },
  content: { 'application/json': { schema: ref('OAuthError') }, 'text/html': { schema: { type: 'string' } } },
};

/** Who may call: a bearer access token, or the login-session cookie (+ CSRF token on state changes). */
export const SECURITY_SCHEMES: Obj = {
  bearerToken: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'An access token of this tenant (RFC 9068 JWT, `typ: at+jwt`).',
  },
  sessionCookie: {
    type: 'apiKey',
    in: 'cookie',
    name: 'gk_{slug}',
    description:
      'The login-session cookie: `gk_{slug}` on http, `__Host-gk_{slug}` on https, `__Secure-gk_{slug}` when the tenant sets `cookie.domain`.',
  },
  csrfToken: {
    type: 'apiKey',
    in: 'header',
    name: 'X-CSRF-Token',
    description: 'The `csrfToken` of `GET /api/v1/session`; needed with the cookie on every state change.',
  },
  clientBasic: {
    type: 'http',
    scheme: 'basic',
    description:
      'OAuth client authentication: `client_id:client_secret` (or both in the form; public clients send `client_id` only).',
  },
};

export const READ_AUTH = [{ bearerToken: [] }, { sessionCookie: [] }];
export const WRITE_AUTH = [{ bearerToken: [] }, { sessionCookie: [], csrfToken: [] }];
export const CLIENT_AUTH = [{ clientBasic: [] }, {}];

export const idParam = (name: string, description: string): Obj => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string', pattern: '^[A-Za-z0-9._~@:-]{1,200}$' },
});
