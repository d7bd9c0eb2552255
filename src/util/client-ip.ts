// The client's address: the right-most address not in `trustedProxies` (proxy-addr).
// X-Forwarded-* headers are believed only when the peer itself is trusted.
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

export type TrustFn = (addr: string, i: number) => boolean;

export function compileTrust(trusted: readonly string[]): TrustFn {
  return proxyaddr.compile([...trusted]);
}

export function clientIp(req: IncomingMessage, trust: TrustFn): string {
  return stripV4Mapped(proxyaddr(req, trust));
}

/** True when the direct peer is a trusted proxy (so its X-Forwarded-* may be read). */
export function peerIsTrusted(req: IncomingMessage, trust: TrustFn): boolean {
  const peer = req.socket.remoteAddress;
  return peer !== undefined && trust(peer, 0);
}

function stripV4Mapped(addr: string): string {
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}
