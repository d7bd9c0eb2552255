// What the pipeline knows about one request as its steps run. The proxy and the
// forward-auth endpoint differ only in how they build `PipelineInput`.
import type { IncomingHttpHeaders } from 'node:http';
import type { RouteRequirement, RouteRule, UserRecord } from '../config/types.js';
import { ERRORS, type ErrorCode } from '../errors.js';
import type { AppRuntime, TenantRuntime } from '../registry.js';
import type { SessionRecord } from '../store/types.js';
import type { AccessTokenClaims } from '../tokens/access-token.js';

export interface PipelineInput {
  method: string;
  /** Lower-case hostname without port. */
  hostname: string | null;
  /** The request-target as received (path and query). */
  target: string;
  headers: IncomingHttpHeaders;
  clientIp: string;
  /** Forward-auth is asked under one tenant: an app of another tenant is unknown there. */
  tenantSlug?: string;
}

export interface NormalizedTarget {
  path: string;
  matchPath: string;
  query: string;
}

export interface Identity {
  /** The user id, or the client id for a client_credentials token. */
  userId: string;
  email: string;
  name: string;
  roles: readonly string[];
  tenant: string;
  /** null for a client_credentials token. */
  sessionId: string | null;
  /** epoch ms; null for a client_credentials token. */
  authTime: number | null;
  clientId: string | null;
  scope: string | null;
  /** X-Auth-Jwt, added once the decision is to allow (SPEC §7). */
  jwt?: string;
}

export interface Scope {
  readonly input: PipelineInput;
  app?: AppRuntime;
  tenant?: TenantRuntime;
  target?: NormalizedTarget;
  route?: RouteRule | null;
  /** Every requirement the request must meet (empty: anonymous). */
  requirements?: readonly RouteRequirement[];
  session?: SessionRecord;
  user?: UserRecord;
  credential?: 'cookie' | 'bearer';
  /** The verified access token, when the credential was a bearer token. */
  token?: AccessTokenClaims;
}

export type Decision =
  | { kind: 'allow'; identity: Identity | null }
  | {
      kind: 'deny';
      code: ErrorCode;
      /** Logged with the refusal; never sent. */
      reason: string;
      /** freshAuth: the max_age the login must satisfy (seconds). */
      maxAge?: number;
      /** A bearer token was presented: the challenge carries error="invalid_token" (RFC 6750). */
      bearer?: boolean;
    };

export function deny(code: ErrorCode, reason: string, extra: { maxAge?: number; bearer?: boolean } = {}): Decision {
  return { kind: 'deny', code, reason, ...extra };
}

/** A step returns a decision to stop the pipeline, or nothing to go on. */
export interface Step {
  readonly name: string;
  run(scope: Scope, deps: import('../deps.js').Deps): Decision | void | Promise<Decision | void>;
}

/** The metric label of a decision: "allow", or the refusal's public error code. */
export function decisionLabel(d: Decision): string {
  return d.kind === 'allow' ? 'allow' : ERRORS[d.code].error;
}
