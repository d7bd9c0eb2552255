// The origin a request was made to: scheme and Host. Used for `rd` after login, the OIDC
// callback on the host a sign-in started on, and the WebSocket Origin check.
import type { IncomingMessage } from 'node:http';

/**
 * Scheme from a trusted proxy's X-Forwarded-Proto (only `http` or `https`; anything else
 * falls back to the socket), else the socket; then the Host header, lower-cased.
 */
export function requestOrigin(req: IncomingMessage, trustedPeer: boolean): string {
  const fwd = trustedPeer ? req.headers['x-forwarded-proto'] : undefined;
  const claimed = typeof fwd === 'string' ? fwd.split(',')[0]!.trim().toLowerCase() : '';
  const proto =
    claimed === 'http' || claimed === 'https'
      ? claimed
      : (req.socket as { encrypted?: boolean }).encrypted
        ? 'https'
        : 'http';
  return `${proto}://${(req.headers.host ?? '').toLowerCase()}`;
}
