// OAuth errors (RFC 6749 §5.2, RFC 7009, RFC 7662): the RFC error, a description safe to
// show, and the catalogue code (src/errors.ts) that also fixes the status.
import { ERRORS, type ErrorCode } from '../errors.js';

const CODES = {
  invalid_request: 'ERR_GK_OAUTH_INVALID_REQUEST',
  invalid_client: 'ERR_GK_OAUTH_INVALID_CLIENT',
  invalid_grant: 'ERR_GK_OAUTH_INVALID_GRANT',
  unauthorized_client: 'ERR_GK_OAUTH_UNAUTHORIZED_CLIENT',
  unsupported_grant_type: 'ERR_GK_OAUTH_UNSUPPORTED_GRANT_TYPE',
  invalid_scope: 'ERR_GK_OAUTH_INVALID_SCOPE',
} as const satisfies Record<string, ErrorCode>;

export type OAuthErrorName = keyof typeof CODES;

export class OAuthError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  constructor(
    readonly error: OAuthErrorName,
    readonly description: string,
  ) {
    super(description);
    this.name = 'OAuthError';
    this.code = CODES[error];
    this.status = ERRORS[this.code].status;
  }
}
