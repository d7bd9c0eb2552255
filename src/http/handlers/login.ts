// GET/POST /t/{slug}/login: the login form, password check, fixation-safe session start,
// re-authentication for prompt=login / max_age, and the safe `rd` redirect.
import type { Deps } from '../../deps.js';
import type { GatewayContext } from '../context.js';
import { GatewayError, type ErrorCode } from '../../errors.js';
import { serializeLoginCookie, serializeSessionCookie } from '../../session/cookie.js';
import { isFresh } from '../../session/model.js';
import { burnVerify, verifyPassword } from '../../session/password.js';
import { endSession, type EndDeps } from '../../session/end-session.js';
import { reauthenticate, startSession, type ReauthDeps, type StartDeps } from '../../session/service.js';
import { HashPoolBusyError } from '../../session/hash-pool.js';
import { loginKeys, throttledCheck, type ThrottleDeps, type ThrottledResult } from '../../session/throttle.js';
import { loginPage } from '../../ui/login-page.js';
import { field, readForm } from '../body.js';
import { currentSession, type CurrentSessionDeps } from '../current-session.js';
import { isSameSiteRequest } from '../origin-guard.js';
import { redirect, sendError } from '../respond.js';
import { checkLoginToken, loginRd, maxAgeOf, sendLoginFormPage } from '../login-form.js';
import { enrolUrl, toSecondStep, type SecondStepDeps } from '../second-step.js';

/** Who is signed in, the password throttle and hash pool, starting, rotating and ending sessions. */
type LoginDeps = CurrentSessionDeps &
  ThrottleDeps &
  StartDeps &
  ReauthDeps &
  EndDeps &
  SecondStepDeps &
  Pick<Deps, 'hashPool' | 'audit' | 'clock'>;

const GENERIC_FAILURE = 'Invalid username or password.';
const PASSKEY_FAILED = 'That passkey could not sign you in. Use your password, or try the passkey again.';
const BUSY = 'Sign-in is busy right now. Try again in a moment.';

/** The 429 message: a lockout with its wait in minutes, or attempts that are still being checked. */
function refusal(retryAfter: number, locked: boolean): string {
  if (!locked) return 'Too many sign-in attempts at once. Try again in a moment.';
  const minutes = Math.ceil(retryAfter / 60);
  return `Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
}

/**
 * The identity-provider buttons (SPEC §12), each carrying rd and the step-up asked for. On
 * re-authentication of a user who signed in at a provider, only that provider, and no form.
 */
function providerChoice(
  ctx: GatewayContext<LoginDeps>,
  rd: string,
  reauthMethod: string | undefined,
  maxAge: number | null | undefined,
) {
  const all = ctx.tenant.config.identityProviders;
  const reauthIdp = reauthMethod?.startsWith('oidc:') ? reauthMethod.slice(5) : undefined;
  const shown = reauthIdp !== undefined ? all.filter((p) => p.id === reauthIdp) : all;
  const q = (id: string): string => {
    const p = new URLSearchParams({ rd });
    if (reauthMethod !== undefined) p.set('prompt', 'login');
    if (maxAge !== null && maxAge !== undefined) p.set('max_age', String(maxAge));
    return `/t/${ctx.tenant.slug}/login/${id}?${p.toString()}`;
  };
  return {
    providers: shown.map((p) => ({ href: q(p.id), displayName: p.displayName })),
    passwordForm:
      reauthIdp === undefined &&
      (ctx.tenant.usersById.size > 0 || ctx.tenant.config.usersFile !== null || all.length === 0),
  };
}

/** The form: 200, or the answer of the error `code` with the code in its small print. */
function renderForm(
  ctx: GatewayContext<LoginDeps>,
  code: ErrorCode | null,
  opts: {
    rd: string;
    reauthUsername?: string;
    reauthMethod?: string;
    maxAge?: number | null;
    error?: string;
    username?: string;
    headers?: Record<string, string>;
  },
): void {
  const page = (nonce: string): string =>
    loginPage({
      slug: ctx.tenant.slug,
      tenantName: ctx.tenant.config.displayName,
      csrfToken: nonce,
      rd: opts.rd,
      rememberMeEnabled: ctx.tenant.settings.rememberMe.enabled,
      // Passkey sign-in (SPEC §13) starts a new session: not offered when re-authenticating.
      passkey:
        opts.reauthUsername === undefined &&
        ctx.tenant.settings.mfa.webauthn &&
        ctx.tenant.settings.mfa.passkeyLogin &&
        ctx.tenant.usersById.size > 0,
      ...(opts.reauthUsername !== undefined ? { reauthUsername: opts.reauthUsername } : {}),
      ...(opts.error !== undefined ? { error: opts.error } : {}),
      ...(code !== null ? { errorCode: code } : {}),
      ...(opts.username !== undefined ? { username: opts.username } : {}),
      ...providerChoice(
        ctx,
        opts.rd,
        opts.reauthUsername !== undefined ? (opts.reauthMethod ?? 'password') : undefined,
        opts.maxAge,
      ),
    });
  sendLoginFormPage(ctx, code, page, opts.headers);
}

export async function getLogin(ctx: GatewayContext<LoginDeps>): Promise<void> {
  const rd = loginRd(ctx, ctx.url.searchParams.get('rd'));
  const prompt = ctx.url.searchParams.get('prompt');
  const maxAge = maxAgeOf(ctx.url.searchParams.get('max_age'));
  const current = await currentSession(ctx.req, ctx.tenant, ctx.deps);
  if (current) {
    const fresh = maxAge === null || isFresh(current.session, maxAge, ctx.deps.clock.now());
    if (prompt !== 'login' && fresh) return redirect(ctx.res, 302, rd);
    return renderForm(ctx, null, {
      rd,
      reauthUsername: current.user.username,
      reauthMethod: current.session.authMethod,
      maxAge,
    });
  }
  // Back from a passkey sign-in that was refused (login-passkey.ts).
  if (ctx.url.searchParams.get('error') === 'passkey')
    return renderForm(ctx, 'ERR_GK_MFA_FAILED', { rd, error: PASSKEY_FAILED });
  renderForm(ctx, null, { rd });
}

export async function postLogin(ctx: GatewayContext<LoginDeps>): Promise<void> {
  const { req, res, tenant, deps } = ctx;
  if (!isSameSiteRequest(req, ctx.publicUrl, tenant))
    return sendError(req, res, new GatewayError('ERR_GK_CSRF', 'cross-site login post'), { slug: tenant.slug });
  const form = await readForm(req);
  checkLoginToken(ctx, field(form, 'csrf_token', 256));

  const rd = loginRd(ctx, field(form, 'rd', 4096));
  const username = field(form, 'username', 256);
  const password = field(form, 'password', 1024);
  const reauth = field(form, 'prompt', 16) === 'login';
  const rememberMe = field(form, 'remember_me', 8) !== '';

  const user = tenant.usersByName.get(username);
  const current = await currentSession(req, tenant, deps);
  const again = reauth && current ? { reauthUsername: current.user.username } : { username };
  // Same work for an unknown user as for a wrong password: no user enumeration by timing.
  // The attempt is counted before the check, and the check waits for a hash slot.
  const check = (): Promise<boolean> =>
    deps.hashPool.run(() => (user ? verifyPassword(password, user.passwordHash) : burnVerify(password)));
  let result: ThrottledResult;
  try {
    result = await throttledCheck(deps, tenant, loginKeys(username, ctx.clientIp), check);
  } catch (err) {
    if (!(err instanceof HashPoolBusyError)) throw err;
    deps.audit.emit('login_failed', {
      tenant: tenant.slug,
      userId: user?.id ?? null,
      ip: ctx.clientIp,
      reason: 'busy',
    });
    return renderForm(ctx, 'ERR_GK_BUSY', {
      rd,
      error: BUSY,
      headers: { 'retry-after': String(err.retryAfter) },
      ...again,
    });
  }
  if (result.refused) {
    deps.audit.emit('login_failed', {
      tenant: tenant.slug,
      userId: user?.id ?? null,
      ip: ctx.clientIp,
      reason: result.locked ? 'locked_out' : 'attempts_in_flight',
    });
    return renderForm(ctx, 'ERR_GK_THROTTLED', {
      rd,
      error: refusal(result.retryAfter, result.locked),
      headers: { 'retry-after': String(result.retryAfter) },
      ...again,
    });
  }
  if (!user || !result.ok) {
    deps.audit.emit('login_failed', {
      tenant: tenant.slug,
      userId: user?.id ?? null,
      ip: ctx.clientIp,
      reason: user ? 'bad_password' : 'unknown_user',
    });
    return renderForm(ctx, 'ERR_GK_LOGIN_FAILED', { rd, error: GENERIC_FAILURE, ...again });
  }

  if (reauth && current && current.user.id === user.id) {
    const rotated = await reauthenticate(deps, current.session, ctx.clientIp);
    if (rotated) {
      const maxAge = rotated.session.rememberMe
        ? Math.max(0, Math.floor((rotated.session.expiresAt - deps.clock.now()) / 1000))
        : null;
      return redirect(res, 302, rd, {
        'set-cookie': [
          serializeSessionCookie(tenant.cookie, rotated.cookieValue, maxAge),
          serializeLoginCookie(tenant.cookie, ''),
        ],
      });
    }
  }

  // A user with a second factor goes on to the second step; the session starts there.
  const first = { userId: user.id, authMethod: 'password', amr: ['pwd'], authTime: deps.clock.now(), rememberMe, rd };
  if (await toSecondStep(ctx, first, [serializeLoginCookie(tenant.cookie, '')])) return;

  // A browser that was signed in (as anyone) gets a fresh session; the old one ends.
  if (current) await endSession(deps, current.session, 'replaced_by_login', ctx.clientIp);
  const started = await startSession(deps, tenant, user, {
    ip: ctx.clientIp,
    userAgent: String(req.headers['user-agent'] ?? ''),
    rememberMe,
  });
  if (!started.ok) {
    deps.audit.emit('login_failed', {
      tenant: tenant.slug,
      userId: user.id,
      ip: ctx.clientIp,
      reason: 'concurrent_session_limit',
    });
    return renderForm(ctx, 'ERR_GK_SESSION_LIMIT', {
      rd,
      username,
      error: new GatewayError('ERR_GK_SESSION_LIMIT').message,
    });
  }
  deps.audit.emit('login_succeeded', {
    tenant: tenant.slug,
    userId: user.id,
    sessionId: started.session.id,
    ip: ctx.clientIp,
  });
  // A tenant that requires a second factor sends a user without one to enrol it first.
  redirect(res, 302, tenant.settings.mfa.required ? enrolUrl(tenant.slug, rd) : rd, {
    'set-cookie': [
      serializeSessionCookie(tenant.cookie, started.cookieValue, started.maxAgeSeconds),
      serializeLoginCookie(tenant.cookie, ''),
    ],
  });
}
