// GET/POST /t/{slug}/login/mfa and POST /t/{slug}/login/mfa/webauthn/options (SPEC §13):
// the second step. Two cases: a sign-in between its factors (the pending-login cookie; the
// session starts here), or a signed-in user asked for a second factor by a route
// (`require: { mfa: true }`) or the tenant (step-up: the session records it under a new
// secret). The forms carry the login page's double-submit token and same-site check.
import { createHash } from 'node:crypto';
import type { Deps } from '../../deps.js';
import { GatewayError, type ErrorCode } from '../../errors.js';
import { withRememberedChallenge } from '../../mfa/challenges.js';
import { peekPending, pendingCookieName, takePending, type PendingLogin } from '../../mfa/pending-login.js';
import {
  amrWith,
  checkAssertion,
  checkRecoveryCode,
  checkTotp,
  throttledProof,
  type CheckDeps,
  type FactorProof,
} from '../../mfa/second-factor.js';
import { authenticationOptions } from '../../mfa/webauthn.js';
import { readSessionCookie } from '../../authn/cookie-session.js';
import { serializeLoginCookie } from '../../session/cookie.js';
import { recordSecondFactor, remainingMaxAge, type ReauthDeps } from '../../session/service.js';
import type { ThrottleDeps } from '../../session/throttle.js';
import type { FactorRecord, WebAuthnFactor } from '../../store/factors.js';
import { mfaStepPage } from '../../ui/mfa-page.js';
import { field, readForm } from '../body.js';
import type { GatewayContext } from '../context.js';
import { currentSession, type CurrentSession, type CurrentSessionDeps } from '../current-session.js';
import { loginUrl } from '../deny.js';
import { isSameSiteRequest } from '../origin-guard.js';
import { relyingPartyFor } from '../relying-party.js';
import { redirect, sendError, sendJson } from '../respond.js';
import { checkLoginToken, loginRd, maxAgeOf, parseJsonField, sendLoginFormPage } from '../login-form.js';
import { enrolUrl, finishRedirect, pendingUser, startTwoFactorSession, type SecondStepDeps } from '../second-step.js';

type MfaLoginDeps = CurrentSessionDeps & SecondStepDeps & ReauthDeps & ThrottleDeps & CheckDeps & Pick<Deps, 'log'>;

/** A WebAuthn response is a few KB; the form allows room for it. */
const FORM_LIMIT = 64 * 1024;
const FAILED = 'That did not work. Check the code (or use your security key) and try again.';

/** Who the second step is for: a pending sign-in, or the signed-in session (step-up). */
type Subject =
  | { kind: 'pending'; pending: PendingLogin; cookie: string; userId: string; username: string }
  | { kind: 'session'; current: CurrentSession; userId: string; username: string };

/** What a WebAuthn challenge of this step is bound to: the pending sign-in, or the session. */
function boundTo(s: Subject): string {
  return s.kind === 'pending'
    ? `pending:${createHash('sha256').update(s.cookie).digest('base64url')}`
    : `session:${s.current.session.id}`;
}

async function subjectOf(ctx: GatewayContext<MfaLoginDeps>): Promise<Subject | null> {
  const { req, tenant, deps } = ctx;
  const cookie = readSessionCookie(req.headers.cookie, pendingCookieName(tenant.cookie));
  const pending = await peekPending(deps.federation, tenant.slug, cookie);
  if (pending && cookie) {
    const user = pendingUser(tenant, pending);
    if (user) return { kind: 'pending', pending, cookie, userId: user.id, username: user.username };
  }
  const current = await currentSession(req, tenant, deps);
  return current ? { kind: 'session', current, userId: current.user.id, username: current.user.username } : null;
}

function render(
  ctx: GatewayContext<MfaLoginDeps>,
  s: Subject,
  factors: readonly FactorRecord[],
  recoveryLeft: number,
  opts: { rd: string; maxAge: number | null; code?: ErrorCode; error?: string; headers?: Record<string, string> },
): void {
  const page = (nonce: string): string =>
    mfaStepPage({
      slug: ctx.tenant.slug,
      tenantName: ctx.tenant.config.displayName,
      csrfToken: nonce,
      rd: opts.rd,
      maxAge: opts.maxAge,
      username: s.username,
      stepUp: s.kind === 'session',
      methods: {
        totp: factors.some((f) => f.kind === 'totp'),
        webauthn: factors.some((f) => f.kind === 'webauthn'),
        recovery: recoveryLeft > 0,
      },
      ...(opts.error !== undefined ? { error: opts.error } : {}),
      ...(opts.code !== undefined ? { errorCode: opts.code } : {}),
    });
  sendLoginFormPage(ctx, opts.code ?? null, page, opts.headers);
}

/** A second factor refused (or not checked: throttled): audited, the page again with the reason. */
async function refuse(
  ctx: GatewayContext<MfaLoginDeps>,
  s: Subject,
  method: FactorProof['kind'],
  reason: 'rejected' | 'throttled',
  opts: Parameters<typeof render>[4],
): Promise<void> {
  const { tenant, deps } = ctx;
  deps.audit.emit('mfa_failed', { tenant: tenant.slug, userId: s.userId, ip: ctx.clientIp, method, reason });
  const factors = await deps.factors.listFactors(tenant.slug, s.userId);
  render(ctx, s, factors, await deps.factors.recoveryCodesLeft(tenant.slug, s.userId), opts);
}

export async function getLoginMfa(ctx: GatewayContext<MfaLoginDeps>): Promise<void> {
  const { tenant, deps } = ctx;
  const maxAge = maxAgeOf(ctx.url.searchParams.get('max_age'));
  const s = await subjectOf(ctx);
  if (!s) return redirect(ctx.res, 302, loginUrl(tenant.slug, loginRd(ctx, ctx.url.searchParams.get('rd'))));
  const rd = s.kind === 'pending' ? s.pending.rd : loginRd(ctx, ctx.url.searchParams.get('rd'));
  const factors = await deps.factors.listFactors(tenant.slug, s.userId);
  // Nothing to step up with: enrol one first (the security page comes back to rd).
  if (factors.length === 0) return redirect(ctx.res, 302, enrolUrl(tenant.slug, rd));
  if (s.kind === 'session') {
    const at = s.current.session.mfaAt;
    const fresh = at !== null && (maxAge === null || deps.clock.now() - at <= maxAge * 1000);
    if (fresh) return redirect(ctx.res, 302, rd);
  }
  render(ctx, s, factors, await deps.factors.recoveryCodesLeft(tenant.slug, s.userId), { rd, maxAge });
}

/** Options for a WebAuthn assertion with one of the user's own credentials. */
export async function postLoginMfaOptions(ctx: GatewayContext<MfaLoginDeps>): Promise<void> {
  const { tenant, deps } = ctx;
  checkLoginToken(ctx, String(ctx.req.headers['x-csrf-token'] ?? ''));
  ctx.req.resume();
  const s = await subjectOf(ctx);
  if (!s) throw new GatewayError('ERR_GK_UNAUTHENTICATED', 'no sign-in in progress');
  const keys = (await deps.factors.listFactors(tenant.slug, s.userId)).filter(
    (f): f is WebAuthnFactor => f.kind === 'webauthn',
  );
  if (keys.length === 0) throw new GatewayError('ERR_GK_NOT_FOUND', 'no security key enrolled');
  const options = await authenticationOptions(relyingPartyFor(ctx), keys);
  sendJson(
    ctx.res,
    200,
    await withRememberedChallenge(deps.federation, tenant.slug, options, {
      purpose: 'second-factor',
      userId: s.userId,
      boundTo: boundTo(s),
    }),
  );
}

export async function postLoginMfa(ctx: GatewayContext<MfaLoginDeps>): Promise<void> {
  const { req, res, tenant, deps } = ctx;
  if (!isSameSiteRequest(req, ctx.publicUrl, tenant))
    return sendError(req, res, new GatewayError('ERR_GK_CSRF', 'cross-site second-step post'), { slug: tenant.slug });
  const form = await readForm(req, FORM_LIMIT);
  checkLoginToken(ctx, field(form, 'csrf_token', 256));
  const maxAge = maxAgeOf(field(form, 'max_age', 16) || null);
  const s = await subjectOf(ctx);
  if (!s) return redirect(res, 303, loginUrl(tenant.slug, loginRd(ctx, field(form, 'rd', 4096))));
  const rd = s.kind === 'pending' ? s.pending.rd : loginRd(ctx, field(form, 'rd', 4096));
  const code = field(form, 'code', 32).replace(/\s+/g, '');
  const recovery = field(form, 'recovery_code', 64);
  const assertion = field(form, 'webauthn_response', FORM_LIMIT);

  let proof: FactorProof | null;
  let method: FactorProof['kind'];
  if (assertion !== '') {
    method = 'webauthn';
    proof = await checkAssertion(deps, tenant.slug, relyingPartyFor(ctx), parseJsonField(assertion), 'second-factor', {
      userId: s.userId,
      boundTo: boundTo(s),
    });
  } else {
    method = recovery !== '' ? 'recovery' : 'totp';
    const check = (): Promise<FactorProof | null> =>
      method === 'recovery'
        ? checkRecoveryCode(deps, tenant.slug, s.userId, recovery)
        : checkTotp(deps, tenant.slug, s.userId, code);
    const throttled = await throttledProof(deps, tenant, s.userId, ctx.clientIp, check);
    if (throttled.result.refused)
      return refuse(ctx, s, method, 'throttled', {
        rd,
        maxAge,
        code: 'ERR_GK_THROTTLED',
        error: 'Too many attempts. Wait a while, then try again.',
        headers: { 'retry-after': String(throttled.result.retryAfter) },
      });
    proof = throttled.proof;
  }
  if (!proof) return refuse(ctx, s, method, 'rejected', { rd, maxAge, code: 'ERR_GK_MFA_FAILED', error: FAILED });
  deps.audit.emit('mfa_succeeded', {
    tenant: tenant.slug,
    userId: s.userId,
    ip: ctx.clientIp,
    method: proof.kind,
    ...(s.kind === 'session' ? { sessionId: s.current.session.id } : {}),
  });
  const clearLogin = [serializeLoginCookie(tenant.cookie, '')];
  if (s.kind === 'session') {
    const updated = await recordSecondFactor(deps, s.current.session, amrWith(s.current.session.amr, proof));
    if (!updated) return redirect(res, 303, loginUrl(tenant.slug, rd));
    return finishRedirect(ctx, rd, updated.cookieValue, remainingMaxAge(updated.session, deps.clock.now()), clearLogin);
  }
  // Used once: of two parallel second steps, the one that takes the pending sign-in goes on.
  const taken = await takePending(deps.federation, tenant.slug, s.cookie);
  const user = taken && pendingUser(tenant, taken);
  if (!taken || !user) return redirect(res, 303, loginUrl(tenant.slug, rd));
  const current = await currentSession(req, tenant, deps);
  const started = await startTwoFactorSession(ctx, taken, user, proof, current);
  if (!started.ok) {
    deps.audit.emit('login_failed', {
      tenant: tenant.slug,
      userId: user.id,
      ip: ctx.clientIp,
      reason: 'concurrent_session_limit',
    });
    return sendError(req, res, new GatewayError('ERR_GK_SESSION_LIMIT', 'second step'), { slug: tenant.slug });
  }
  finishRedirect(ctx, taken.rd, started.cookieValue, started.maxAgeSeconds, clearLogin);
}
