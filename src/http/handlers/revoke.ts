// POST /t/{slug}/api/v1/oauth/revoke (RFC 7009 as SPEC §5 says): 200 for unknown, expired
// or already revoked tokens; 401 invalid_client; 400 for another client's token, which
// stays untouched; 503 when the store is down (never a 200 that revoked nothing).
import type { Deps } from '../../deps.js';
import type { GatewayContext } from '../context.js';
import type { SessionStore } from '../../store/types.js';
import type { ClientAuthDeps } from '../../tokens/clients.js';
import { endSession, type EndDeps } from '../../session/end-session.js';
import { findToken, type LookupDeps } from '../../tokens/lookup.js';
import { OAuthError } from '../../tokens/oauth-error.js';
import { withAuthenticatedClient } from '../oauth-respond.js';

/** Client authentication, the token lookup, ending a session, the deny list and the audit log. */
type RevokeDeps = ClientAuthDeps &
  LookupDeps &
  EndDeps &
  Pick<Deps, 'audit' | 'bus' | 'clock'> & { store: Pick<SessionStore, 'denyToken'> };

export async function postRevoke(ctx: GatewayContext<RevokeDeps>): Promise<void> {
  const { res, tenant, deps } = ctx;
  return withAuthenticatedClient(ctx, async (client, form) => {
    const tokens = form.getAll('token');
    if (tokens.length !== 1 || !tokens[0])
      throw new OAuthError('invalid_request', 'exactly one token parameter is required');
    // token_type_hint is only a hint (RFC 7009 §2.1): every kind is looked up regardless.
    const found = await findToken(deps, tenant, tokens[0]);
    if (found?.kind === 'refresh_token') {
      if (found.clientId !== client.id)
        throw new OAuthError('invalid_request', 'the token was issued to another client');
      await endSession(deps, found.session, 'refresh_token_revoked', ctx.clientIp);
      deps.audit.emit('token_revoked', {
        tenant: tenant.slug,
        userId: found.session.userId,
        sessionId: found.session.id,
        ip: ctx.clientIp,
        tokenType: 'refresh_token',
        clientId: client.id,
      });
    } else if (found?.kind === 'access_token') {
      if (found.claims.client_id !== client.id)
        throw new OAuthError('invalid_request', 'the token was issued to another client');
      await deps.store.denyToken(tenant.slug, found.claims.jti, found.claims.exp * 1000, deps.clock.now());
      await deps.bus.revoke('jti', found.claims.jti);
      deps.audit.emit('token_revoked', {
        tenant: tenant.slug,
        userId: found.claims.sub,
        sessionId: found.claims.sid ?? null,
        ip: ctx.clientIp,
        tokenType: 'access_token',
        clientId: client.id,
      });
    }
    res.writeHead(200, { 'cache-control': 'no-store', pragma: 'no-cache', 'content-length': 0 });
    res.end();
  });
}
