// Cross-site WebSocket hijacking (SPEC §3.5): a browser sends the victim's cookie with an
// upgrade that any page opens, and WebSockets have no CORS. An upgrade authenticated by a
// cookie is allowed only from the request's own origin or the gateway's public origin;
// without Origin (a non-browser client) it passes, as browsers always send one.
import type { IncomingMessage } from 'node:http';

/** The origin the request was made to: scheme (a trusted proxy's X-Forwarded-Proto, else the socket) and Host. */
export function requestOrigin(req: IncomingMessage, trustedPeer: boolean): string {
  const fwd = trustedPeer ? req.headers['x-forwarded-proto'] : undefined;
  const proto =
    typeof fwd === 'string'
      ? fwd.split(',')[0]!.trim().toLowerCase()
      : (req.socket as { encrypted?: boolean }).encrypted
        ? 'https'
        : 'http';
  return `${proto}://${(req.headers.host ?? '').toLowerCase()}`;
}

export function upgradeOriginAllowed(req: IncomingMessage, trustedPeer: boolean, publicOrigin: string): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  const o = origin.trim().toLowerCase();
  return o === requestOrigin(req, trustedPeer) || o === publicOrigin;
}
