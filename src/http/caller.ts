// Who is calling a gateway endpoint, decided by the endpoint pipeline (pipeline/endpoint.ts):
// the proxy's own authenticate, expiry, IP binding and activity steps over the URL's tenant,
// with the CSRF guard for state-changing cookie requests. Then each endpoint's own rule:
// a signed-in user, or an admin.
import type { IncomingMessage } from 'node:http';
import type { UserRecord } from '../config/types.js';
import { readSessionCookie } from '../authn/cookie-session.js';
import { GatewayError } from '../errors.js';
import { endpointSteps, type EndpointCredentials, type EndpointDeps } from '../pipeline/endpoint.js';
import { runPipeline, type RunDeps } from '../pipeline/run.js';
import type { Step } from '../pipeline/scope.js';
import type { TenantRuntime } from '../registry.js';
import { csrfTokenFromCookie } from '../session/csrf.js';
import type { SessionRecord } from '../store/types.js';
import type { AccessTokenClaims } from '../tokens/access-token.js';
import type { GatewayContext } from './context.js';
import { csrfGuard } from './csrf-guard.js';

export interface Caller {
  via: 'bearer' | 'cookie';
  user: UserRecord | null;
  session: SessionRecord | null;
  token: AccessTokenClaims | null;
  /** A cookie caller's CSRF token (pages put it in their forms); null for bearer callers. */
  csrfToken: string | null;
}

export interface CallerOptions {
  /** Default `any`: a bearer token, else the session cookie. */
  credentials?: EndpointCredentials;
  /** Reads the posted `csrf_token`, on endpoints that take forms. */
  formToken?: () => Promise<string>;
  /**
   * With the tenant's `mfa.required`, a user session without a second factor may call only
   * what sets one up (the security page's enrolment): `enrolling` lets it through.
   */
  mfa?: 'enrolling';
}

/** SPEC §13 `mfa.required`: every user session must have passed a second factor. */
function holdToTenantMfa(tenant: TenantRuntime, caller: Caller, opts: CallerOptions): void {
  if (opts.mfa === 'enrolling' || !tenant.settings.mfa.required) return;
  if (caller.session && caller.session.mfaAt === null)
    throw new GatewayError('ERR_GK_MFA_REQUIRED', 'tenant requires a second factor');
}

/** What identifying a caller reads: the endpoint steps' deps and the runner's. */
export type CallerDeps = EndpointDeps & RunDeps;

/** An unauthenticated caller is an answer (with the reason, for the log), not an error. */
export type EndpointAuth = { ok: true; caller: Caller } | { ok: false; reason: string };

/**
 * Runs the endpoint pipeline for one request. Refusals other than "unauthenticated" are
 * thrown as they are: CSRF (403), store unavailable (503, never "no session"), internal.
 */
export async function runEndpointPipeline(
  req: IncomingMessage,
  tenant: TenantRuntime,
  deps: CallerDeps,
  clientIp: string,
  credentials: EndpointCredentials,
  guard?: Step<EndpointDeps>,
): Promise<EndpointAuth> {
  const { decision, scope } = await runPipeline(
    {
      method: req.method ?? 'GET',
      hostname: null,
      target: req.url ?? '/',
      headers: req.headers,
      clientIp,
      tenantSlug: tenant.slug,
    },
    deps,
    endpointSteps(credentials, guard),
  );
  if (decision.kind === 'deny') {
    if (decision.code === 'ERR_GK_UNAUTHENTICATED') return { ok: false, reason: decision.reason };
    throw new GatewayError(decision.code, decision.reason);
  }
  if (!scope.credential) throw new TypeError('endpoint pipeline allowed a request without a credential');
  const session = scope.session ?? null;
  const csrfToken =
    scope.credential === 'cookie' && session
      ? csrfTokenFromCookie(readSessionCookie(req.headers.cookie, tenant.cookie.name), session.id)
      : null;
  return {
    ok: true,
    caller: { via: scope.credential, user: scope.user ?? null, session, token: scope.token ?? null, csrfToken },
  };
}

async function authenticated(ctx: GatewayContext<CallerDeps>, opts: CallerOptions): Promise<EndpointAuth> {
  return runEndpointPipeline(
    ctx.req,
    ctx.tenant,
    ctx.deps,
    ctx.clientIp,
    opts.credentials ?? 'any',
    csrfGuard(opts.formToken),
  );
}

/** The caller, or null when there is no valid credential. CSRF refusals throw 403. */
export async function identifyCaller(
  ctx: GatewayContext<CallerDeps>,
  opts: CallerOptions = {},
): Promise<Caller | null> {
  const auth = await authenticated(ctx, opts);
  return auth.ok ? auth.caller : null;
}

/**
 * A user with the tenant role `admin`, or a client_credentials token (no user) whose scope
 * holds `sessions:admin`. A user's delegated token never makes its user an admin: the scope
 * counts only for the client acting as itself.
 */
export function isAdmin(c: Pick<Caller, 'user' | 'token'>): boolean {
  if (c.user) return c.user.roles.includes('admin');
  return c.token !== null && c.token.sid === undefined && c.token.scope.split(' ').includes('sessions:admin');
}

/** 401 without a valid credential, 403 without the admin role or `sessions:admin` scope. */
export async function requireAdmin(ctx: GatewayContext<CallerDeps>, opts: CallerOptions = {}): Promise<Caller> {
  const auth = await authenticated(ctx, opts);
  if (!auth.ok) throw new GatewayError('ERR_GK_UNAUTHENTICATED', auth.reason);
  if (!isAdmin(auth.caller)) throw new GatewayError('ERR_GK_FORBIDDEN', 'not an admin');
  holdToTenantMfa(ctx.tenant, auth.caller, opts);
  return auth.caller;
}

/** A signed-in user (cookie, or a token bound to a user session). */
export async function requireUser(
  ctx: GatewayContext<CallerDeps>,
  opts: CallerOptions = {},
): Promise<Caller & { user: UserRecord; session: SessionRecord }> {
  const auth = await authenticated(ctx, opts);
  if (!auth.ok) throw new GatewayError('ERR_GK_UNAUTHENTICATED', auth.reason);
  const { caller } = auth;
  if (!caller.user || !caller.session) throw new GatewayError('ERR_GK_FORBIDDEN', 'a user session is required');
  holdToTenantMfa(ctx.tenant, caller, opts);
  return caller as Caller & { user: UserRecord; session: SessionRecord };
}
