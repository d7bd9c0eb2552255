// RFC 6749 §5.1/§5.2 answers: JSON, no-store, and `WWW-Authenticate: Basic` on a 401
// when the client tried HTTP Basic.
import type { ServerResponse } from 'node:http';
import type { ClientConfig } from '../config/types.js';
import { authenticateClient, type ClientAuthDeps } from '../tokens/clients.js';
import { OAuthError } from '../tokens/oauth-error.js';
import { readForm } from './body.js';
import type { GatewayContext } from './context.js';
import { sendJson, sendJsonError } from './respond.js';

/** RFC 6749 §5.2 `{error, error_description}` and the catalogue `code`. */
export function sendOAuthError(res: ServerResponse, err: OAuthError, basicUsed: boolean, realm: string): void {
  const headers: Record<string, string> = { pragma: 'no-cache' };
  if (err.status === 401 && basicUsed) headers['www-authenticate'] = `Basic realm="${realm}"`;
  sendJsonError(res, err.code, { error: err.error, error_description: err.description }, headers);
}

export function sendOAuthJson(res: ServerResponse, body: unknown): void {
  sendJson(res, 200, body, { pragma: 'no-cache' });
}

/**
 * One wrapper for client-authenticated OAuth endpoints (token, revoke, introspect): read
 * the form, authenticate the client (RFC 6749 §2.3; throttled and bounded, SPEC §5 "(client
 * authentication)": 429 or 503 with Retry-After and `temporarily_unavailable`), run
 * `handle`, and turn an OAuthError into its §5.2 answer (with `WWW-Authenticate: Basic` on
 * a 401 when Basic was tried).
 */
export async function withAuthenticatedClient(
  ctx: GatewayContext<ClientAuthDeps>,
  handle: (client: ClientConfig, form: URLSearchParams) => Promise<void>,
): Promise<void> {
  const { req, res, tenant } = ctx;
  let basicUsed = /^basic /i.test(String(req.headers.authorization ?? ''));
  try {
    const form = await readForm(req).catch(() => {
      throw new OAuthError('invalid_request', 'the body must be application/x-www-form-urlencoded');
    });
    const auth = await authenticateClient(req, form, tenant, ctx.deps, ctx.clientIp);
    if (!auth.ok) {
      basicUsed = auth.basic;
      // Throttled or no hash slot: not a verdict on the credentials, so no Basic challenge.
      if (auth.error === 'temporarily_unavailable') {
        return sendJsonError(
          res,
          auth.status === 429 ? 'ERR_GK_THROTTLED' : 'ERR_GK_BUSY',
          { error: auth.error, error_description: auth.description },
          { pragma: 'no-cache', 'retry-after': String(auth.retryAfter) },
        );
      }
      throw new OAuthError(auth.error, auth.description);
    }
    await handle(auth.client, form);
  } catch (err) {
    if (err instanceof OAuthError) return sendOAuthError(res, err, basicUsed, tenant.slug);
    throw err;
  }
}
