// GET /t/{slug}/api/v1/openapi.json: the API's OpenAPI 3.1 document, public, with `servers`
// set to this tenant's base URL.
import type { GatewayContext } from '../context.js';
import { openApiDocument } from '../openapi/document.js';
import { sendJson } from '../respond.js';

export async function getOpenApi(ctx: GatewayContext<unknown>): Promise<void> {
  sendJson(ctx.res, 200, openApiDocument(ctx.tenant.issuer), { 'cache-control': 'public, max-age=300' });
}
