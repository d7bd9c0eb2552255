// Sign-in at an identity provider (SPEC §12): GET /t/{slug}/login/{provider} starts the
// authorization code flow (PKCE S256, state, nonce, a flow cookie); GET
// /t/{slug}/oidc/{provider}/callback finishes it and starts an ordinary login session for
// `{provider}:{sub}`. A refused or unfinished sign-in creates nothing.
import { randomBytes } from 'node:crypto';
import type { Deps } from '../../deps.js';
import type { GatewayContext } from '../context.js';
import type { ErrorCode } from '../../errors.js';
import { readSessionCookie } from '../../authn/cookie-session.js';
import type { UserRecord } from '../../config/types.js';
import type { SessionRecord } from '../../store/types.js';
import { admitted, mapClaims } from '../../idp/claims.js';
import { flowCookieName, saveFlow, serializeFlowCookie, takeFlow } from '../../idp/flow.js';
import { IdpResponseError, IdpUnavailableError, type OidcProvider } from '../../idp/provider.js';
import { serializeSessionCookie } from '../../session/cookie.js';
import { endSession, type EndDeps } from '../../session/end-session.js';
import { reauthenticate, startSession, type ReauthDeps, type StartDeps } from '../../session/service.js';
import { idpProblemPage } from '../../ui/idp-pages.js';
import { currentSession, type CurrentSessionDeps } from '../current-session.js';
import { safeRedirect } from '../redirect.js';
import { redirect, sendError, sendErrorPage } from '../respond.js';
import { hostMatches, hostnameOf } from '../../util/host.js';
import { requestOrigin } from '../../util/request-origin.js';
import { enrolUrl, toSecondStep, type SecondStepDeps } from '../second-step.js';
import { peerIsTrusted } from '../../util/client-ip.js';

/** The providers and their storage, who is signed in, starting, rotating and ending sessions. */
type IdpLoginDeps = CurrentSessionDeps &
  StartDeps &
  ReauthDeps &
  EndDeps &
  SecondStepDeps &
  Pick<Deps, 'idps' | 'federation' | 'trust' | 'clock' | 'audit' | 'log'>;

/** IdP clocks drift: an auth_time this far after the flow started still counts as "after". */
const AUTH_TIME_SKEW_MS = 60_000;

const random = (): string => randomBytes(32).toString('base64url');

type Profile = NonNullable<SessionRecord['profile']>;
const sameProfile = (a: Profile | undefined, b: Profile): boolean =>
  a !== undefined &&
  a.username === b.username &&
  a.email === b.email &&
  a.name === b.name &&
  a.roles.join('\n') === b.roles.join('\n');

function providerOf(ctx: GatewayContext<IdpLoginDeps>): OidcProvider | undefined {
  return ctx.deps.idps.get(ctx.tenant.slug, ctx.params.provider ?? '');
}

/**
 * The redirect_uri: on the host the sign-in started on when that is the gateway's own or
 * one of the tenant's app hosts (the flow cookie and then the session cookie are host-only,
 * so the callback must come back to the same host), else on publicUrl. Each such host's
 * callback URL must be registered at the IdP (README, "Sign in with your IdP").
 */
export function callbackUrl(
  ctx: Pick<GatewayContext<IdpLoginDeps>, 'publicUrl' | 'tenant' | 'req' | 'deps'>,
  provider: string,
): string {
  const path = `/t/${ctx.tenant.slug}/oidc/${provider}/callback`;
  const host = hostnameOf(ctx.req.headers.host);
  const own = new URL(ctx.publicUrl);
  if (host === null || host === own.hostname.toLowerCase() || !hostMatches(host, ctx.tenant.appHosts))
    return `${ctx.publicUrl}${path}`;
  return `${requestOrigin(ctx.req, peerIsTrusted(ctx.req, ctx.deps.trust))}${path}`;
}

function problem(
  ctx: GatewayContext<IdpLoginDeps>,
  code: ErrorCode,
  title: string,
  message: string,
  rd?: string,
): void {
  const page = idpProblemPage({ slug: ctx.tenant.slug, title, message, errorCode: code, ...(rd ? { rd } : {}) });
  sendErrorPage(ctx.res, code, page, { 'set-cookie': serializeFlowCookie(ctx.tenant.cookie, '') });
}

function unavailable(ctx: GatewayContext<IdpLoginDeps>, provider: OidcProvider, rd?: string): void {
  ctx.res.setHeader('retry-after', '30');
  problem(
    ctx,
    'ERR_GK_IDP_UNAVAILABLE',
    'Sign-in unavailable',
    `${provider.cfg.displayName} cannot be reached right now. Try again in a moment.`,
    rd,
  );
}

export async function getIdpLogin(ctx: GatewayContext<IdpLoginDeps>): Promise<void> {
  const provider = providerOf(ctx);
  if (!provider) return sendError(ctx.req, ctx.res, 'ERR_GK_NOT_FOUND', { slug: ctx.tenant.slug });
  const q = ctx.url.searchParams;
  const rd = safeRedirect(q.get('rd') ?? undefined, { publicUrl: ctx.publicUrl, hosts: ctx.tenant.appHosts });
  const maxAgeRaw = q.get('max_age');
  const maxAge = maxAgeRaw !== null && /^\d{1,9}$/.test(maxAgeRaw) ? Number(maxAgeRaw) : null;
  const prompt = q.get('prompt') === 'login' ? 'login' : null;
  const redirectUri = callbackUrl(ctx, provider.cfg.id);
  const flow = {
    provider: provider.cfg.id,
    state: random(),
    nonce: random(),
    codeVerifier: random(),
    rd,
    prompt,
    maxAge,
    startedAt: ctx.deps.clock.now(),
    redirectUri,
  } as const;
  let url: URL;
  try {
    url = await provider.authorizationUrl(flow);
  } catch (err) {
    if (err instanceof IdpUnavailableError) return unavailable(ctx, provider, rd);
    throw err;
  }
  const id = await saveFlow(ctx.deps.federation, ctx.tenant.slug, flow);
  redirect(ctx.res, 302, url.href, { 'set-cookie': serializeFlowCookie(ctx.tenant.cookie, id) });
}

export async function getIdpCallback(ctx: GatewayContext<IdpLoginDeps>): Promise<void> {
  const { req, res, tenant, deps } = ctx;
  const provider = providerOf(ctx);
  if (!provider) return sendError(req, res, 'ERR_GK_NOT_FOUND', { slug: tenant.slug });
  const audit = (reason: string, userId: string | null = null): void =>
    deps.audit.emit('login_failed', {
      tenant: tenant.slug,
      userId,
      ip: ctx.clientIp,
      reason,
      provider: provider.cfg.id,
    });

  const flow = await takeFlow(
    deps.federation,
    tenant.slug,
    readSessionCookie(req.headers.cookie, flowCookieName(tenant.cookie)),
  );
  if (!flow || flow.provider !== provider.cfg.id) {
    audit('oidc_no_flow');
    return problem(
      ctx,
      'ERR_GK_IDP_FLOW_EXPIRED',
      'Sign-in expired',
      'This sign-in was not started in this browser, was already used, or took too long. Start again.',
    );
  }
  // The IdP's own refusal (access_denied, login_required…) comes back as error=… on the callback.
  const idpError = ctx.url.searchParams.get('error');
  if (idpError !== null && ctx.url.searchParams.get('state') === flow.state) {
    audit(`idp_error:${idpError.slice(0, 64)}`);
    return problem(
      ctx,
      'ERR_GK_IDP_REFUSED',
      'Sign-in refused',
      `${provider.cfg.displayName} did not sign you in (${idpError.slice(0, 64)}).`,
      flow.rd,
    );
  }
  let login: Awaited<ReturnType<OidcProvider['redeem']>>;
  try {
    // The URL the IdP sent the browser to: the redirect_uri of this flow and the query it added.
    // (A flow saved before redirectUri was kept has none: it used the publicUrl callback.)
    const returned = new URL(flow.redirectUri ?? `${ctx.publicUrl}/t/${tenant.slug}/oidc/${provider.cfg.id}/callback`);
    returned.search = ctx.url.search;
    login = await provider.redeem(returned, {
      state: flow.state,
      nonce: flow.nonce,
      codeVerifier: flow.codeVerifier,
      maxAge: flow.maxAge,
    });
  } catch (err) {
    if (err instanceof IdpUnavailableError) return unavailable(ctx, provider, flow.rd);
    if (!(err instanceof IdpResponseError)) throw err;
    audit(err.reason);
    deps.log.info(
      { provider: provider.cfg.id, reason: err.reason, code: 'ERR_GK_IDP_BAD_RESPONSE', detail: err.message },
      'identity provider sign-in refused',
    );
    return problem(
      ctx,
      'ERR_GK_IDP_BAD_RESPONSE',
      'Sign-in failed',
      `The answer from ${provider.cfg.displayName} could not be accepted. Start again.`,
      flow.rd,
    );
  }
  const authTimeMs = typeof login.claims.auth_time === 'number' ? login.claims.auth_time * 1000 : null;
  // prompt=login (step-up): the IdP must have authenticated the user during this flow.
  if (flow.prompt === 'login' && (authTimeMs === null || authTimeMs < flow.startedAt - AUTH_TIME_SKEW_MS)) {
    audit('idp_auth_too_old');
    return problem(
      ctx,
      'ERR_GK_IDP_BAD_RESPONSE',
      'Sign-in failed',
      `${provider.cfg.displayName} did not ask for your password again. Start again.`,
      flow.rd,
    );
  }
  const mapped = mapClaims(provider.cfg, login.claims);
  if (!admitted(provider.cfg, mapped)) {
    audit('role_not_allowed', mapped.id);
    return problem(
      ctx,
      'ERR_GK_IDP_NOT_ALLOWED',
      'Access denied',
      `Your ${provider.cfg.displayName} account is not allowed to sign in here.`,
    );
  }
  const now = deps.clock.now();
  await deps.federation.saveIdpUser(tenant.slug, { ...mapped, provider: provider.cfg.id, lastLoginAt: now });
  const sid = typeof login.claims.sid === 'string' ? login.claims.sid : null;
  const user: UserRecord = { ...mapped, passwordHash: '' };
  const cookies = [serializeFlowCookie(tenant.cookie, '')];

  const current = await currentSession(req, tenant, deps);
  const profile: Profile = { username: mapped.username, email: mapped.email, name: mapped.name, roles: mapped.roles };
  // Re-authentication keeps the session only while it still describes this IdP login: the
  // same IdP session (an IdP may start a new one, whose back-channel logout names the new
  // sid) and the same mapped profile (roles come from the claims at each login, SPEC §12).
  // Otherwise a new session replaces it.
  const sameLogin =
    current !== null &&
    current.user.id === user.id &&
    current.session.idp?.provider === provider.cfg.id &&
    current.session.idp.sid === sid &&
    sameProfile(current.session.profile, profile);
  if (flow.prompt === 'login' && current && sameLogin) {
    const rotated = await reauthenticate(deps, current.session, ctx.clientIp);
    if (rotated) {
      const maxAge = rotated.session.rememberMe
        ? Math.max(0, Math.floor((rotated.session.expiresAt - now) / 1000))
        : null;
      return redirect(res, 302, flow.rd, {
        'set-cookie': [...cookies, serializeSessionCookie(tenant.cookie, rotated.cookieValue, maxAge)],
      });
    }
  }
  const federated = {
    profile,
    idp: { provider: provider.cfg.id, sid, idToken: provider.cfg.endSessionOnLogout ? login.idToken : null },
  };
  // A user with a second factor enrolled here goes on to the second step (SPEC §13).
  const first = {
    userId: user.id,
    authMethod: `oidc:${provider.cfg.id}`,
    amr: ['fed'],
    authTime: Math.min(authTimeMs ?? now, now),
    rememberMe: false,
    rd: flow.rd,
    federated,
  };
  if (await toSecondStep(ctx, first, cookies)) return;
  if (current) await endSession(deps, current.session, 'replaced_by_login', ctx.clientIp);
  const started = await startSession(deps, tenant, user, {
    ip: ctx.clientIp,
    userAgent: String(req.headers['user-agent'] ?? ''),
    rememberMe: false,
    authMethod: `oidc:${provider.cfg.id}`,
    ...(authTimeMs !== null ? { authTime: authTimeMs } : {}),
    federated,
  });
  if (!started.ok) {
    audit('concurrent_session_limit', user.id);
    return problem(
      ctx,
      'ERR_GK_SESSION_LIMIT',
      'Too many sessions',
      'The maximum number of concurrent sessions has been reached. Sign out elsewhere first.',
      flow.rd,
    );
  }
  // The sid may be carried by this session and by the token sessions apps get from it, each
  // living up to refreshTokenLifetime after its creation.
  const linkMs = started.session.expiresAt - now + tenant.settings.refreshTokenLifetime * 1000;
  if (sid !== null) await deps.federation.linkIdpSession(tenant.slug, provider.cfg.id, sid, user.id, linkMs);
  deps.audit.emit('login_succeeded', {
    tenant: tenant.slug,
    userId: user.id,
    sessionId: started.session.id,
    ip: ctx.clientIp,
    provider: provider.cfg.id,
  });
  redirect(res, 302, tenant.settings.mfa.required ? enrolUrl(tenant.slug, flow.rd) : flow.rd, {
    'set-cookie': [...cookies, serializeSessionCookie(tenant.cookie, started.cookieValue, started.maxAgeSeconds)],
  });
}
