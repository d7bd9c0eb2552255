// POST /t/{slug}/oidc/{provider}/backchannel-logout (SPEC §12): the identity provider says
// an IdP session ended; every gateway session created from it (`sid`), or every session of
// that user from that provider (`sub` alone), ends here exactly like a revoke-all: on every
// instance, with its refresh tokens, access tokens and WebSockets. Server to server: no
// cookie, no CSRF; the logout token's signature is the credential.
import type { Deps } from '../../deps.js';
import type { GatewayContext } from '../context.js';
import { LogoutTokenError, verifyLogoutToken } from '../../idp/logout-token.js';
import { IdpUnavailableError } from '../../idp/provider.js';
import { endSession, type EndDeps } from '../../session/end-session.js';
import type { SessionRecord, SessionStore } from '../../store/types.js';
import { field, readForm } from '../body.js';
import { sendJson, sendJsonError } from '../respond.js';

/** The providers (logout-token keys), the one-time marks and sid index, the sessions to end. */
type BackchannelDeps = EndDeps &
  Pick<Deps, 'idps' | 'federation' | 'clock' | 'log'> & { store: Pick<SessionStore, 'listUserSessions'> };

const refuse = (ctx: GatewayContext<BackchannelDeps>, reason: string): void => {
  ctx.deps.log.info(
    { tenant: ctx.tenant.slug, provider: ctx.params.provider, reason, code: 'ERR_GK_LOGOUT_TOKEN_REJECTED' },
    'back-channel logout refused',
  );
  sendJsonError(ctx.res, 'ERR_GK_LOGOUT_TOKEN_REJECTED', {
    error: 'invalid_request',
    error_description: 'The logout token was not accepted.',
  });
};

export async function postBackchannelLogout(ctx: GatewayContext<BackchannelDeps>): Promise<void> {
  const { tenant, deps } = ctx;
  const provider = deps.idps.get(tenant.slug, ctx.params.provider ?? '');
  if (!provider || !provider.cfg.backchannelLogout) return refuse(ctx, 'unknown provider or back-channel logout off');
  const token = field(await readForm(ctx.req), 'logout_token', 16_384);
  if (token === '') return refuse(ctx, 'no logout_token');
  let claims: Awaited<ReturnType<typeof verifyLogoutToken>>;
  try {
    claims = await verifyLogoutToken(token, await provider.jwks(), {
      issuer: provider.cfg.issuer,
      clientId: provider.cfg.clientId,
      now: deps.clock.now(),
    });
  } catch (err) {
    if (err instanceof LogoutTokenError) return refuse(ctx, err.reason);
    if (err instanceof IdpUnavailableError)
      return sendJsonError(
        ctx.res,
        'ERR_GK_IDP_UNAVAILABLE',
        {
          error: 'temporarily_unavailable',
          error_description: 'The identity provider cannot be reached to check the token.',
        },
        { 'retry-after': '30' },
      );
    throw err;
  }
  // A replayed token is refused; the mark lasts as long as the token could be accepted.
  const fresh = await deps.federation.markOnce(
    tenant.slug,
    `bcl:${provider.cfg.id}:${claims.jti}`,
    Math.max(1, claims.rememberUntil * 1000 - deps.clock.now()),
  );
  if (!fresh) return refuse(ctx, 'jti replayed');

  const now = deps.clock.now();
  const ofThisIdp = (s: SessionRecord): boolean =>
    s.idp?.provider === provider.cfg.id && (claims.sid === null || s.idp.sid === claims.sid);
  // sid alone: the index names the users who signed in through that IdP session; their
  // sessions carrying the sid are the login sessions and the token sessions apps got from them.
  const users =
    claims.sub !== null
      ? [`${provider.cfg.id}:${claims.sub}`]
      : await deps.federation.idpSessionUsers(tenant.slug, provider.cfg.id, claims.sid!);
  let ended = 0;
  for (const userId of users) {
    for (const s of await deps.store.listUserSessions(tenant.slug, userId, now)) {
      if (ofThisIdp(s) && (await endSession(deps, s, 'backchannel_logout', null))) ended++;
    }
  }
  deps.log.info({ tenant: tenant.slug, provider: provider.cfg.id, ended }, 'back-channel logout');
  sendJson(ctx.res, 200, {}, { 'cache-control': 'no-store' });
}
