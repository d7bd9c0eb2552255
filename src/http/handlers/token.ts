// POST /t/{slug}/api/v1/oauth/token: authorization_code, refresh_token and
// client_credentials, with client authentication; errors per RFC 6749 §5.2.
import type { GatewayContext } from '../context.js';
import { OAuthError } from '../../tokens/oauth-error.js';
import { grantScope, parseScope } from '../../tokens/scopes.js';
import type { ClientAuthDeps } from '../../tokens/clients.js';
import { clientCredentialsGrant, exchangeCode, refreshGrant, type TokenServiceDeps } from '../../tokens/service.js';
import { sendOAuthJson, withAuthenticatedClient } from '../oauth-respond.js';

function one(form: URLSearchParams, name: string): string {
  const all = form.getAll(name);
  // RFC 6749 §3.2: parameters must not be included more than once.
  if (all.length > 1) throw new OAuthError('invalid_request', `repeated parameter ${name}`);
  return all[0] ?? '';
}

export async function postToken(ctx: GatewayContext<ClientAuthDeps & TokenServiceDeps>): Promise<void> {
  const { req, res, tenant, deps } = ctx;
  return withAuthenticatedClient(ctx, async (client, form) => {
    const grant = one(form, 'grant_type');
    if (!['authorization_code', 'refresh_token', 'client_credentials'].includes(grant))
      throw new OAuthError('unsupported_grant_type', `unsupported grant_type "${grant.slice(0, 40)}"`);
    if (!client.grants.includes(grant)) throw new OAuthError('unauthorized_client', `this client may not use ${grant}`);
    const ua = String(req.headers['user-agent'] ?? '');
    if (grant === 'authorization_code') {
      return sendOAuthJson(
        res,
        await exchangeCode(deps, tenant, client, {
          code: one(form, 'code'),
          redirectUri: one(form, 'redirect_uri'),
          verifier: one(form, 'code_verifier'),
          ip: ctx.clientIp,
          userAgent: ua,
        }),
      );
    }
    if (grant === 'refresh_token')
      return sendOAuthJson(res, await refreshGrant(deps, tenant, client, one(form, 'refresh_token'), ctx.clientIp));
    if (client.public) throw new OAuthError('unauthorized_client', 'a public client cannot use client_credentials');
    const scope = grantScope(parseScope(one(form, 'scope')), client.scopes);
    if (scope === null) throw new OAuthError('invalid_scope', 'the requested scope is not allowed for this client');
    return sendOAuthJson(res, await clientCredentialsGrant(deps, tenant, client, scope.join(' ')));
  });
}
