// Cross-site WebSocket hijacking (SPEC §3.5): a browser sends the victim's cookie with an
// upgrade that any page opens, and WebSockets have no CORS. An upgrade authenticated by a
// cookie is allowed only from the request's own origin or the gateway's public origin;
// without Origin (a non-browser client) it passes, as browsers always send one.
import type { IncomingMessage } from 'node:http';
import { requestOrigin } from '../util/request-origin.js';

export function upgradeOriginAllowed(req: IncomingMessage, trustedPeer: boolean, publicOrigin: string): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  const o = origin.trim().toLowerCase();
  return o === requestOrigin(req, trustedPeer) || o === publicOrigin;
}
