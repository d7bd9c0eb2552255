// Public keys (JWKS) and RFC 8414 authorization-server metadata for the tenant.
import type { Deps } from '../../deps.js';
import type { GatewayContext } from '../context.js';
import { sendJson } from '../respond.js';

export async function getJwks(ctx: GatewayContext<Pick<Deps, 'keys'>>): Promise<void> {
  sendJson(ctx.res, 200, ctx.deps.keys.jwks, { 'cache-control': 'public, max-age=300' });
}

export async function getMetadata(ctx: GatewayContext<unknown>): Promise<void> {
  const iss = ctx.tenant.issuer;
  sendJson(
    ctx.res,
    200,
    {
      issuer: iss,
      authorization_endpoint: `${iss}/oauth/authorize`,
      token_endpoint: `${iss}/api/v1/oauth/token`,
      revocation_endpoint: `${iss}/api/v1/oauth/revoke`,
      introspection_endpoint: `${iss}/api/v1/oauth/introspect`,
      jwks_uri: `${iss}/.well-known/jwks.json`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      authorization_response_iss_parameter_supported: true,
      scopes_supported: [...new Set(ctx.tenant.config.clients.flatMap((c) => c.scopes))],
    },
    { 'cache-control': 'public, max-age=300' },
  );
}
