// POST /t/{slug}/api/v1/oauth/introspect (RFC 7662; SPEC §5) for authenticated clients: a
// client learns about tokens issued to itself, or about any token of its tenant when it
// holds the scope `tokens:introspect`; anything else, like any inactive token, answers only
// {"active": false}, so a foreign token cannot be told from a dead one (RFC 7662 §2.2).
import type { ClientConfig } from '../../config/types.js';
import type { GatewayContext } from '../context.js';
import type { ClientAuthDeps } from '../../tokens/clients.js';
import { accessTokenActive, findToken, type LookupDeps } from '../../tokens/lookup.js';
import { OAuthError } from '../../tokens/oauth-error.js';
import { sendOAuthJson, withAuthenticatedClient } from '../oauth-respond.js';

/** The scope that lets a client (a resource server) introspect every token of its tenant. */
export const INTROSPECT_SCOPE = 'tokens:introspect';

const mayLearnAbout = (client: ClientConfig, issuedTo: string): boolean =>
  issuedTo === client.id || client.scopes.includes(INTROSPECT_SCOPE);

export async function postIntrospect(ctx: GatewayContext<ClientAuthDeps & LookupDeps>): Promise<void> {
  const { res, tenant, deps } = ctx;
  return withAuthenticatedClient(ctx, async (client, form) => {
    if (client.public) throw new OAuthError('invalid_client', 'introspection needs a confidential client');
    const token = form.get('token');
    if (!token) throw new OAuthError('invalid_request', 'the token parameter is required');
    const found = await findToken(deps, tenant, token);
    if (
      found?.kind === 'access_token' &&
      mayLearnAbout(client, found.claims.client_id) &&
      (await accessTokenActive(deps, tenant, found.claims))
    ) {
      const c = found.claims;
      return sendOAuthJson(res, {
        active: true,
        token_type: 'Bearer',
        scope: c.scope,
        client_id: c.client_id,
        sub: c.sub,
        aud: c.aud,
        iss: c.iss,
        exp: c.exp,
        iat: c.iat,
        jti: c.jti,
        tid: c.tid,
        ...(c.sid ? { sid: c.sid } : {}),
        ...(c.auth_time ? { auth_time: c.auth_time } : {}),
        ...(c.acr !== undefined ? { acr: c.acr } : {}),
        ...(c.amr !== undefined ? { amr: c.amr } : {}),
      });
    }
    if (
      found?.kind === 'refresh_token' &&
      mayLearnAbout(client, found.clientId) &&
      !deps.revocations.has(found.session.id)
    ) {
      const s = found.session;
      return sendOAuthJson(res, {
        active: true,
        token_type: 'refresh_token',
        client_id: found.clientId,
        sub: s.userId,
        scope: s.scope ?? '',
        exp: Math.floor(found.expiresAt / 1000),
        iat: Math.floor(s.createdAt / 1000),
        iss: tenant.issuer,
        sid: s.id,
        tid: tenant.slug,
      });
    }
    sendOAuthJson(res, { active: false });
  });
}
