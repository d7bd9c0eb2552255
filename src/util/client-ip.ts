// The client's address: the right-most address not in `trustedProxies` (proxy-addr).
// X-Forwarded-* headers are believed only when the peer itself is trusted.
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import proxyaddr from 'proxy-addr';

export type TrustFn = (addr: string, i: number) => boolean;

export function compileTrust(trusted: readonly string[]): TrustFn {
  return proxyaddr.compile([...trusted]);
}

export function clientIp(req: IncomingMessage, trust: TrustFn): string {
  const addr = stripV4Mapped(proxyaddr(req, trust));
  // A trusted proxy that forwards garbage ("not-an-ip") is not believed: use the peer.
  return isIP(addr) ? addr : stripV4Mapped(req.socket.remoteAddress ?? '');
}

/** True when the direct peer is a trusted proxy (so its X-Forwarded-* may be read). */
export function peerIsTrusted(req: IncomingMessage, trust: TrustFn): boolean {
  const peer = req.socket.remoteAddress;
  return peer !== undefined && trust(peer, 0);
}

function stripV4Mapped(addr: string): string {
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}
