// POST /t/{slug}/login/passkey/options and POST /t/{slug}/login/passkey (SPEC §13): sign in
// with a passkey alone. The options name no credential (a discoverable credential: the
// authenticator offers the user's passkeys); the assertion's user handle names the user,
// whose stored credential must verify it. The passkey must verify its user (PIN or
// biometrics): possession and that check are two factors, so the session counts as
// multi-factor. Forms carry the login page's double-submit token.
import { createHash } from 'node:crypto';
import type { Deps } from '../../deps.js';
import { GatewayError } from '../../errors.js';
import { withRememberedChallenge } from '../../mfa/challenges.js';
import { checkAssertion, type CheckDeps } from '../../mfa/second-factor.js';
import { authenticationOptions } from '../../mfa/webauthn.js';
import { serializeLoginCookie } from '../../session/cookie.js';
import { endSession } from '../../session/end-session.js';
import { startSession } from '../../session/service.js';
import { field, readForm } from '../body.js';
import type { GatewayContext } from '../context.js';
import { currentSession, type CurrentSessionDeps } from '../current-session.js';
import { loginUrl } from '../deny.js';
import { isSameSiteRequest } from '../origin-guard.js';
import { relyingPartyFor } from '../relying-party.js';
import { redirect, sendError, sendJson } from '../respond.js';
import { checkLoginToken, loginRd, parseJsonField } from '../login-form.js';
import { finishRedirect, type SecondStepDeps } from '../second-step.js';

type PasskeyDeps = CurrentSessionDeps & SecondStepDeps & CheckDeps & Pick<Deps, 'log'>;

const FORM_LIMIT = 64 * 1024;

/** A passkey challenge is bound to the login page that asked for it (its nonce), not to a user. */
const boundTo = (nonce: string): string => `login:${createHash('sha256').update(nonce).digest('base64url')}`;

function checkToken(ctx: GatewayContext<PasskeyDeps>, token: string): string {
  const { tenant } = ctx;
  if (!tenant.settings.mfa.webauthn || !tenant.settings.mfa.passkeyLogin)
    throw new GatewayError('ERR_GK_NOT_FOUND', 'passkey sign-in is off');
  return checkLoginToken(ctx, token);
}

export async function postPasskeyOptions(ctx: GatewayContext<PasskeyDeps>): Promise<void> {
  const nonce = checkToken(ctx, String(ctx.req.headers['x-csrf-token'] ?? ''));
  ctx.req.resume();
  const options = await authenticationOptions(relyingPartyFor(ctx), null);
  sendJson(
    ctx.res,
    200,
    await withRememberedChallenge(ctx.deps.federation, ctx.tenant.slug, options, {
      purpose: 'passkey-login',
      userId: null,
      boundTo: boundTo(nonce),
    }),
  );
}

export async function postPasskeyLogin(ctx: GatewayContext<PasskeyDeps>): Promise<void> {
  const { req, res, tenant, deps } = ctx;
  if (!isSameSiteRequest(req, ctx.publicUrl, tenant))
    return sendError(req, res, new GatewayError('ERR_GK_CSRF', 'cross-site passkey post'), { slug: tenant.slug });
  const form = await readForm(req, FORM_LIMIT);
  const nonce = checkToken(ctx, field(form, 'csrf_token', 256));
  const rd = loginRd(ctx, field(form, 'rd', 4096) || undefined);
  const rememberMe = field(form, 'remember_me', 8) !== '';
  const response = parseJsonField(field(form, 'webauthn_response', FORM_LIMIT));
  const proof = await checkAssertion(deps, tenant.slug, relyingPartyFor(ctx), response, 'passkey-login', {
    userId: null,
    boundTo: boundTo(nonce),
  });
  const user = proof && tenant.usersById.get(proof.userId);
  // Without user verification a passkey is possession alone: not enough to sign in with.
  if (!proof || !user || !proof.userVerified) {
    deps.audit.emit('login_failed', {
      tenant: tenant.slug,
      userId: user?.id ?? null,
      ip: ctx.clientIp,
      reason: proof && !proof.userVerified ? 'passkey_without_user_verification' : 'passkey_rejected',
    });
    return redirect(res, 303, `${loginUrl(tenant.slug, rd)}&error=passkey`);
  }
  const current = await currentSession(req, tenant, deps);
  if (current) await endSession(deps, current.session, 'replaced_by_login', ctx.clientIp);
  const now = deps.clock.now();
  const started = await startSession(deps, tenant, user, {
    ip: ctx.clientIp,
    userAgent: String(req.headers['user-agent'] ?? ''),
    rememberMe,
    authMethod: 'passkey',
    amr: [...proof.amr, 'mfa'],
    mfaAt: now,
  });
  if (!started.ok) {
    deps.audit.emit('login_failed', {
      tenant: tenant.slug,
      userId: user.id,
      ip: ctx.clientIp,
      reason: 'concurrent_session_limit',
    });
    return sendError(req, res, new GatewayError('ERR_GK_SESSION_LIMIT', 'passkey sign-in'), { slug: tenant.slug });
  }
  deps.audit.emit('mfa_succeeded', { tenant: tenant.slug, userId: user.id, ip: ctx.clientIp, method: 'passkey' });
  deps.audit.emit('login_succeeded', {
    tenant: tenant.slug,
    userId: user.id,
    sessionId: started.session.id,
    ip: ctx.clientIp,
    method: 'passkey',
  });
  finishRedirect(ctx, rd, started.cookieValue, started.maxAgeSeconds, [serializeLoginCookie(tenant.cookie, '')]);
}
