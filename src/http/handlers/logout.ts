// /t/{slug}/logout: GET shows a confirmation form (GET never logs out); POST, with the
// session's CSRF token and a same-site origin (the endpoint pipeline's CSRF guard), revokes
// the session and clears the cookie.
import type { Deps } from '../../deps.js';
import type { GatewayContext } from '../context.js';
import { clearSessionCookie } from '../../session/cookie.js';
import { endSession, type EndDeps } from '../../session/end-session.js';
import { IdpUnavailableError } from '../../idp/provider.js';
import type { SessionRecord } from '../../store/types.js';
import { logoutPage } from '../../ui/login-page.js';
import { field, readForm } from '../body.js';
import { identifyCaller } from '../caller.js';
import { currentSession, type CurrentSessionDeps } from '../current-session.js';

/** Who is signed in, ending the session, and the identity providers (RP-initiated logout). */
type LogoutDeps = CurrentSessionDeps & EndDeps & Pick<Deps, 'idps'>;
import { redirect, sendHtml } from '../respond.js';

export async function getLogout(ctx: GatewayContext<LogoutDeps>): Promise<void> {
  const current = await currentSession(ctx.req, ctx.tenant, ctx.deps);
  if (!current) return redirect(ctx.res, 302, `/t/${ctx.tenant.slug}/login`);
  sendHtml(
    ctx.res,
    200,
    logoutPage({ slug: ctx.tenant.slug, csrfToken: current.csrfToken, username: current.user.username }),
  );
}

export async function postLogout(ctx: GatewayContext<LogoutDeps>): Promise<void> {
  const { req, res, tenant, deps } = ctx;
  // The token comes in the Sign out form, or in X-CSRF-Token from scripts.
  const formToken = async (): Promise<string> =>
    (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
      ? field(await readForm(req), 'csrf_token', 256)
      : '';
  const caller = await identifyCaller(ctx, { credentials: 'session-cookie', formToken });
  // Without a live session there is nothing to end; the cookie is cleared all the same.
  if (caller?.session) await endSession(deps, caller.session, 'logout', ctx.clientIp);
  const loginUrl = `/t/${tenant.slug}/login`;
  redirect(res, 303, (await endSessionAtIdp(ctx, caller?.session?.idp)) ?? loginUrl, {
    'set-cookie': clearSessionCookie(tenant.cookie),
  });
}

/**
 * RP-initiated logout (SPEC §12, endSessionOnLogout): after the gateway session has ended,
 * the browser goes on to the provider's end_session_endpoint, which sends it back to the
 * login page. A provider that is unreachable now only skips that step.
 */
async function endSessionAtIdp(ctx: GatewayContext<LogoutDeps>, idp: SessionRecord['idp']): Promise<string | null> {
  if (!idp) return null;
  const provider = ctx.deps.idps.get(ctx.tenant.slug, idp.provider);
  if (!provider?.cfg.endSessionOnLogout) return null;
  try {
    return (await provider.endSessionUrl(idp.idToken, `${ctx.publicUrl}/t/${ctx.tenant.slug}/login`))?.href ?? null;
  } catch (err) {
    if (err instanceof IdpUnavailableError) return null;
    throw err;
  }
}
