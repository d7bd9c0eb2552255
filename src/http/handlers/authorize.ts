// GET /t/{slug}/oauth/authorize: the authorization-code grant with PKCE S256 (RFC 6749
// §4.1, RFC 7636) for registered clients, on top of the login session. Errors about the
// client or redirect_uri are shown, never redirected (RFC 6749 §4.1.2.1).
import type { GatewayContext } from '../context.js';
import { html } from '../../ui/html.js';
import { layout } from '../../ui/layout.js';
import { isFresh } from '../../session/model.js';
import { grantScope, parseScope } from '../../tokens/scopes.js';
import { createAuthCode, type TokenServiceDeps } from '../../tokens/service.js';
import { makeReauthMark, reauthSatisfied } from '../../tokens/reauth-mark.js';
import { currentSession, type CurrentSessionDeps } from '../current-session.js';

/** Who is signed in, and the code store and keys (codes, re-authentication marks). */
type AuthorizeDeps = CurrentSessionDeps & TokenServiceDeps;
import { loginUrl } from '../deny.js';
import { redirect, sendErrorPage } from '../respond.js';

// Set on the way back from a forced login, so prompt=login is satisfied exactly once.
const REAUTH_MARK = 'gk_reauth_at';

function showError(ctx: GatewayContext<AuthorizeDeps>, message: string): void {
  sendErrorPage(
    ctx.res,
    'ERR_GK_AUTHORIZE_INVALID',
    layout(
      { slug: ctx.tenant.slug, title: 'Authorization error', errorCode: 'ERR_GK_AUTHORIZE_INVALID' },
      html`<h1>Authorization error</h1><p class="error" role="alert">${message}</p>`,
    ),
  );
}

function redirectWith(ctx: GatewayContext<AuthorizeDeps>, redirectUri: string, params: Record<string, string>): void {
  const u = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  u.searchParams.set('iss', ctx.tenant.issuer); // RFC 9207
  redirect(ctx.res, 302, u.toString());
}

export async function getAuthorize(ctx: GatewayContext<AuthorizeDeps>): Promise<void> {
  const q = ctx.url.searchParams;
  for (const name of [
    'client_id',
    'redirect_uri',
    'response_type',
    'state',
    'code_challenge',
    'code_challenge_method',
    'scope',
    'prompt',
    'max_age',
  ]) {
    if (q.getAll(name).length > 1) return showError(ctx, `repeated parameter ${name}`);
  }
  const client = ctx.tenant.config.clients.find((c) => c.id === q.get('client_id'));
  if (!client) return showError(ctx, 'unknown client_id');
  const redirectUri = q.get('redirect_uri') ?? '';
  // Exact string match against a registered URI (no prefix or pattern matching).
  if (!client.redirectUris.includes(redirectUri))
    return showError(ctx, 'redirect_uri is not registered for this client');
  const state = q.get('state');
  const fail = (error: string, description: string) =>
    redirectWith(ctx, redirectUri, { error, error_description: description, ...(state ? { state } : {}) });

  if (q.get('response_type') !== 'code')
    return fail('unsupported_response_type', 'only response_type=code is supported');
  if (!client.grants.includes('authorization_code'))
    return fail('unauthorized_client', 'this client may not use the authorization code grant');
  const challenge = q.get('code_challenge') ?? '';
  // PKCE S256 is required for every client (OAuth 2.1); plain is refused.
  if (q.get('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(challenge))
    return fail('invalid_request', 'PKCE with code_challenge_method=S256 is required');
  const scope = grantScope(parseScope(q.get('scope')), client.scopes);
  if (scope === null) return fail('invalid_scope', 'the requested scope is not allowed for this client');

  const current = await currentSession(ctx.req, ctx.tenant, ctx.deps);
  const maxAgeRaw = q.get('max_age');
  const maxAge = maxAgeRaw !== null && /^\d{1,9}$/.test(maxAgeRaw) ? Number(maxAgeRaw) : null;
  const now = ctx.deps.clock.now();
  // A forced login that already happened (the signed mark we set on the way out) satisfies
  // both prompt=login and max_age, so that max_age=0 cannot loop.
  const satisfied =
    current !== null &&
    (await reauthSatisfied(ctx.deps.keys, q.get(REAUTH_MARK), current.session.id, current.session.authTime, now));
  const forced = q.get('prompt') === 'login' && !satisfied;
  const stale = current !== null && maxAge !== null && !isFresh(current.session, maxAge, now) && !satisfied;
  if (!current || forced || stale) {
    const back = new URL(ctx.url.toString());
    back.searchParams.delete(REAUTH_MARK);
    if (current && (forced || stale)) {
      back.searchParams.delete('prompt');
      back.searchParams.set(REAUTH_MARK, await makeReauthMark(ctx.deps.keys, current.session.id, now));
    }
    const rd = back.pathname + back.search;
    return redirect(ctx.res, 302, loginUrl(ctx.tenant.slug, rd, forced || stale ? (maxAge ?? 0) : undefined));
  }

  const code = await createAuthCode(ctx.deps, ctx.tenant, {
    clientId: client.id,
    redirectUri,
    codeChallenge: challenge,
    userId: current.user.id,
    browserSessionId: current.session.id,
    scope: scope.join(' '),
    authTime: current.session.authTime,
  });
  redirectWith(ctx, redirectUri, { code, ...(state ? { state } : {}) });
}
