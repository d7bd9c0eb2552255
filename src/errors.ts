// One catalogue of gateway errors: a stable code, the HTTP status, the public `error` label
// and message. Every error a client can see carries its code (JSON `code`, the small print of
// an HTML page, the `X-Auth-Error-Code` header) and so does the log line. `detail` is for logs
// only; a 5xx never exposes more than its message. docs/errors.md documents every code.

export const ERRORS = {
  ERR_GK_BAD_PATH: { status: 400, error: 'invalid_request', message: 'The request path is not valid.' },
  ERR_GK_BAD_REQUEST: { status: 400, error: 'invalid_request', message: 'The request is malformed.' },
  ERR_GK_BAD_FRAMING: {
    status: 400,
    error: 'invalid_request',
    message: 'The request cannot be forwarded as one request: its framing or Connection header is not accepted.',
  },
  ERR_GK_BAD_FORWARDED: {
    status: 400,
    error: 'invalid_request',
    message: 'Forwarded request headers are accepted only from trusted proxies.',
  },
  ERR_GK_UNAUTHENTICATED: { status: 401, error: 'invalid_token', message: 'Authentication is required.' },
  ERR_GK_REAUTH_REQUIRED: {
    status: 401,
    error: 'insufficient_user_authentication',
    message: 'A more recent authentication is required.',
  },
  ERR_GK_MFA_REQUIRED: {
    status: 401,
    error: 'insufficient_user_authentication',
    message: 'A second factor is required.',
  },
  ERR_GK_MFA_FAILED: {
    status: 401,
    error: 'invalid_credentials',
    message: 'The code or security key was not accepted.',
  },
  ERR_GK_LOGIN_FAILED: { status: 401, error: 'invalid_credentials', message: 'Invalid username or password.' },
  ERR_GK_FORBIDDEN: { status: 403, error: 'insufficient_scope', message: 'You do not have access to this resource.' },
  ERR_GK_CROSS_ORIGIN: {
    status: 403,
    error: 'invalid_request',
    message: 'The request was refused: a cross-site origin.',
  },
  ERR_GK_CSRF: {
    status: 403,
    error: 'invalid_request',
    message: 'The request was refused: missing or invalid CSRF token, or a cross-site origin.',
  },
  ERR_GK_NOT_FOUND: { status: 404, error: 'not_found', message: 'Not found.' },
  ERR_GK_UNKNOWN_HOST: { status: 404, error: 'not_found', message: 'No application is configured for this host.' },
  ERR_GK_METHOD_NOT_ALLOWED: { status: 405, error: 'invalid_request', message: 'Method not allowed.' },
  ERR_GK_SESSION_LIMIT: {
    status: 409,
    error: 'session_limit',
    message: 'The maximum number of concurrent sessions has been reached. Sign out elsewhere first.',
  },
  ERR_GK_FACTOR_LIMIT: {
    status: 409,
    error: 'factor_limit',
    message: 'No more second factors can be added to this account. Remove one first.',
  },
  ERR_GK_PAYLOAD_TOO_LARGE: { status: 413, error: 'invalid_request', message: 'The request body is too large.' },
  ERR_GK_UNSUPPORTED_MEDIA_TYPE: { status: 415, error: 'invalid_request', message: 'Unsupported content type.' },
  ERR_GK_SETTINGS_INVALID: { status: 422, error: 'invalid_request', message: 'The settings are not valid.' },
  ERR_GK_THROTTLED: {
    status: 429,
    error: 'temporarily_unavailable',
    message: 'Too many failed attempts. Try again after the Retry-After delay.',
  },
  ERR_GK_HEADERS_TOO_LARGE: { status: 431, error: 'invalid_request', message: 'The request headers are too large.' },
  ERR_GK_INTERNAL: { status: 500, error: 'server_error', message: 'Internal error.' },
  ERR_GK_UPSTREAM_UNREACHABLE: { status: 502, error: 'bad_gateway', message: 'The application is not reachable.' },
  ERR_GK_STORE_UNAVAILABLE: {
    status: 503,
    error: 'temporarily_unavailable',
    message: 'The session store is unavailable. Try again shortly.',
  },
  ERR_GK_BUSY: {
    status: 503,
    error: 'temporarily_unavailable',
    message: 'Too many password checks at once. Try again after the Retry-After delay.',
  },
  ERR_GK_SHUTTING_DOWN: { status: 503, error: 'temporarily_unavailable', message: 'The gateway is shutting down.' },
  ERR_GK_UPSTREAM_TIMEOUT: {
    status: 504,
    error: 'gateway_timeout',
    message: 'The application did not answer in time.',
  },

  // OAuth endpoints (RFC 6749 §5.2, RFC 7009, RFC 7662): one code per RFC error.
  ERR_GK_OAUTH_INVALID_REQUEST: {
    status: 400,
    error: 'invalid_request',
    message: 'The OAuth request is missing a parameter, repeats one, or is malformed.',
  },
  ERR_GK_OAUTH_INVALID_CLIENT: { status: 401, error: 'invalid_client', message: 'Client authentication failed.' },
  ERR_GK_OAUTH_INVALID_GRANT: {
    status: 400,
    error: 'invalid_grant',
    message: 'The authorization code or refresh token is invalid, expired, revoked or already used.',
  },
  ERR_GK_OAUTH_UNAUTHORIZED_CLIENT: {
    status: 400,
    error: 'unauthorized_client',
    message: 'This client may not use this grant.',
  },
  ERR_GK_OAUTH_UNSUPPORTED_GRANT_TYPE: {
    status: 400,
    error: 'unsupported_grant_type',
    message: 'The grant type is not supported.',
  },
  ERR_GK_OAUTH_INVALID_SCOPE: {
    status: 400,
    error: 'invalid_scope',
    message: 'The requested scope is not allowed for this client.',
  },
  ERR_GK_AUTHORIZE_INVALID: {
    status: 400,
    error: 'invalid_request',
    message: 'The authorization request names an unknown client or an unregistered redirect_uri.',
  },

  // Back-channel logout and sign-in at an identity provider (OIDC).
  ERR_GK_LOGOUT_TOKEN_REJECTED: {
    status: 400,
    error: 'invalid_request',
    message: 'The logout token was not accepted.',
  },
  ERR_GK_IDP_FLOW_EXPIRED: {
    status: 400,
    error: 'invalid_request',
    message: 'This sign-in was not started in this browser, was already used, or took too long.',
  },
  ERR_GK_IDP_REFUSED: { status: 400, error: 'access_denied', message: 'The identity provider did not sign you in.' },
  ERR_GK_IDP_BAD_RESPONSE: {
    status: 400,
    error: 'invalid_request',
    message: 'The answer from the identity provider could not be accepted.',
  },
  ERR_GK_IDP_NOT_ALLOWED: {
    status: 403,
    error: 'access_denied',
    message: 'This identity provider account is not allowed to sign in here.',
  },
  ERR_GK_IDP_UNAVAILABLE: {
    status: 503,
    error: 'temporarily_unavailable',
    message: 'The identity provider cannot be reached.',
  },
} as const;

/** Codes of the process itself, never in an HTTP answer: the CLI's output and the logs. */
export const PROCESS_ERRORS = {
  ERR_GK_CONFIG: { message: 'The configuration is not valid.' },
} as const;

/** The code of an HTTP answer. */
export type ErrorCode = keyof typeof ERRORS;
export type ProcessErrorCode = keyof typeof PROCESS_ERRORS;
export type CatalogueCode = ErrorCode | ProcessErrorCode;

/** The header that carries the code of every error answer (also those without a body). */
export const ERROR_CODE_HEADER = 'x-auth-error-code';

/** An error caused by the request or the environment (not by our own misuse). */
export class GatewayError extends Error {
  readonly status: number;
  readonly error: string;
  readonly expose: boolean;
  constructor(
    readonly code: ErrorCode,
    /** Logged, never sent. */
    readonly detail?: string,
    /** ERR_GK_REAUTH_REQUIRED / ERR_GK_MFA_REQUIRED: the freshness asked for, in seconds (RFC 9470 max_age). */
    readonly maxAge?: number,
  ) {
    const entry = ERRORS[code];
    super(entry.message);
    this.name = 'GatewayError';
    this.status = entry.status;
    this.error = entry.error;
    this.expose = entry.status < 500;
  }
}

export function isGatewayError(e: unknown): e is GatewayError {
  return e instanceof GatewayError;
}
