// One catalogue of gateway errors: a stable code, the HTTP status, and the public
// message. `detail` is for logs only; a 5xx never exposes more than its message.

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
  ERR_GK_PAYLOAD_TOO_LARGE: { status: 413, error: 'invalid_request', message: 'The request body is too large.' },
  ERR_GK_UNSUPPORTED_MEDIA_TYPE: { status: 415, error: 'invalid_request', message: 'Unsupported content type.' },
  ERR_GK_INTERNAL: { status: 500, error: 'server_error', message: 'Internal error.' },
  ERR_GK_UPSTREAM_UNREACHABLE: { status: 502, error: 'bad_gateway', message: 'The application is not reachable.' },
  ERR_GK_STORE_UNAVAILABLE: {
    status: 503,
    error: 'temporarily_unavailable',
    message: 'The session store is unavailable. Try again shortly.',
  },
  ERR_GK_UPSTREAM_TIMEOUT: {
    status: 504,
    error: 'gateway_timeout',
    message: 'The application did not answer in time.',
  },
} as const;

export type ErrorCode = keyof typeof ERRORS;

/** An error caused by the request or the environment (not by our own misuse). */
export class GatewayError extends Error {
  readonly status: number;
  readonly error: string;
  readonly expose: boolean;
  constructor(
    readonly code: ErrorCode,
    /** Logged, never sent. */
    readonly detail?: string,
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
