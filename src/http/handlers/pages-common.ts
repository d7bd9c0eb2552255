// What every server-rendered page handler shares: who is looking (the cookie session, or a
// redirect to login), the admin gate (403 page), and the guard in front of every form
// POST (same-site origin + the session's CSRF token: the endpoint pipeline's CSRF guard).
import type { GatewayContext } from '../context.js';
import { isGatewayError } from '../../errors.js';
import type { NavModel } from '../../ui/layout.js';
import { forbiddenPage } from '../../ui/notice-page.js';
import { field, readForm } from '../body.js';
import { isAdmin, requireAdmin, requireUser, type Caller, type CallerOptions } from '../caller.js';
import { currentSession, type CurrentSession, type CurrentSessionDeps } from '../current-session.js';
import { loginUrl, mfaUrl } from '../deny.js';
import { redirect, sendErrorPage } from '../respond.js';

export interface Viewer {
  current: CurrentSession;
  isAdmin: boolean;
  nav: NavModel;
}

/**
 * The signed-in viewer of a page, or null after answering 302 to login (back here after).
 * With the tenant's `mfa.required`, a session without a second factor is sent to the second
 * step first (which sends a user without factors to enrolment), unless `enrolling`.
 */
export async function pageViewer(
  ctx: GatewayContext<CurrentSessionDeps>,
  opts: { enrolling?: boolean } = {},
): Promise<Viewer | null> {
  const current = await currentSession(ctx.req, ctx.tenant, ctx.deps);
  const here = ctx.url.pathname + ctx.url.search;
  if (!current) {
    redirect(ctx.res, 302, loginUrl(ctx.tenant.slug, here));
    return null;
  }
  if (!opts.enrolling && ctx.tenant.settings.mfa.required && current.session.mfaAt === null) {
    redirect(ctx.res, 302, mfaUrl(ctx.tenant.slug, here));
    return null;
  }
  const admin = isAdmin({ user: current.user, token: null });
  return {
    current,
    isAdmin: admin,
    nav: {
      tenantName: ctx.tenant.config.displayName,
      username: current.user.username,
      isAdmin: admin,
      csrfToken: current.csrfToken,
    },
  };
}

/** As pageViewer, and a 403 page for a signed-in user who is not an admin. */
export async function adminViewer(ctx: GatewayContext<CurrentSessionDeps>): Promise<Viewer | null> {
  const viewer = await pageViewer(ctx);
  if (viewer && !viewer.isAdmin) {
    const page = forbiddenPage({ slug: ctx.tenant.slug, nav: viewer.nav, errorCode: 'ERR_GK_FORBIDDEN' });
    sendErrorPage(ctx.res, 'ERR_GK_FORBIDDEN', page);
    return null;
  }
  return viewer;
}

/**
 * Reads a page form and checks it may change state: the CSRF guard refuses a cross-site
 * origin before the body is read, then checks the session's token from the `csrf_token`
 * field (SPEC §5). Without any session the browser is sent to login (303) and nothing
 * happens. `back` is the page to return to after login.
 */
export async function pageAction(
  ctx: GatewayContext<CurrentSessionDeps>,
  need: 'user' | 'admin',
  back: string,
  extra: Pick<CallerOptions, 'mfa'> = {},
  /** The form's size limit, for forms that carry a WebAuthn response. */
  limit?: number,
): Promise<{ caller: Caller; form: URLSearchParams } | null> {
  let form: Promise<URLSearchParams> | undefined;
  const readOnce = (): Promise<URLSearchParams> => (form ??= readForm(ctx.req, limit));
  const opts = { ...extra, formToken: async () => field(await readOnce(), 'csrf_token', 256) };
  try {
    const caller = need === 'admin' ? await requireAdmin(ctx, opts) : await requireUser(ctx, opts);
    return { caller, form: await readOnce() };
  } catch (err) {
    if (isGatewayError(err) && err.code === 'ERR_GK_UNAUTHENTICATED' && ctx.req.headers.authorization === undefined) {
      redirect(ctx.res, 303, loginUrl(ctx.tenant.slug, back));
      return null;
    }
    if (isGatewayError(err) && err.code === 'ERR_GK_MFA_REQUIRED' && ctx.req.headers.authorization === undefined) {
      redirect(ctx.res, 303, mfaUrl(ctx.tenant.slug, back, err.maxAge));
      return null;
    }
    throw err;
  }
}

/** PRG: 303 back to a page with a flash code (`done=` or `error=`) and an optional count. */
export function backTo(
  ctx: GatewayContext<unknown>,
  path: string,
  flash: { done?: string; error?: string; n?: number },
): void {
  const q = new URLSearchParams();
  if (flash.done) q.set('done', flash.done);
  if (flash.error) q.set('error', flash.error);
  if (flash.n !== undefined) q.set('n', String(flash.n));
  const qs = q.toString();
  redirect(ctx.res, 303, qs ? `${path}?${qs}` : path);
}
