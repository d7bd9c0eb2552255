// What the pipeline knows about one request as its steps run. The proxy and the
// forward-auth endpoint differ only in how they build `PipelineInput`.
import type { IncomingHttpHeaders } from 'node:http';
import type { Identity } from '../authn/identity.js';
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

/**
 * A step returns a decision to stop the pipeline, or nothing to go on. `D` is the slice of
 * the gateway's dependencies the step reads (a `Pick<Deps, …>` or its own small interface),
 * so that a unit test hands it just that; a table of steps runs with the union of them.
 */
export interface Step<D = unknown> {
  readonly name: string;
  // A property, not a method, so that the deps parameter is checked contravariantly: a step
  // needing more than a table provides does not type-check in that table.
  readonly run: (scope: Scope, deps: D) => Decision | void | Promise<Decision | void>;
}

/** The metric label of a decision: "allow", or the refusal's public error code. */
export function decisionLabel(d: Decision): string {
  return d.kind === 'allow' ? 'allow' : ERRORS[d.code].error;
}
