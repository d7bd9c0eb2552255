// The one stylesheet the pages use (CSP: style-src 'self', no inline styles).
import type { GatewayContext } from '../context.js';
import { PAGE_CSS } from '../../ui/layout.js';

export async function getStylesheet(ctx: GatewayContext<unknown>): Promise<void> {
  ctx.res.writeHead(200, {
    'content-type': 'text/css; charset=utf-8',
    'cache-control': 'public, max-age=3600',
    'content-length': Buffer.byteLength(PAGE_CSS),
  });
  ctx.res.end(PAGE_CSS);
}
