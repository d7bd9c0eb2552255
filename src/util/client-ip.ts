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
  const peer = stripV4Mapped(req.socket.remoteAddress ?? '');
  // Without X-Forwarded-For, or from an untrusted peer, proxy-addr would answer the peer.
  if (req.headers['x-forwarded-for'] === undefined || !peerIsTrusted(req, trust)) return peer;
  const addr = stripV4Mapped(proxyaddr(req, trust));
  // A trusted proxy that forwards garbage ("not-an-ip") is not believed: use the peer.
  return isIP(addr) ? addr : peer;
}

/** The peer's trust, once per connection and trust function (a reload compiles a new one). */
const peerTrust = new WeakMap<object, { trust: TrustFn; trusted: boolean }>();

/** True when the direct peer is a trusted proxy (so its X-Forwarded-* may be read). */
export function peerIsTrusted(req: IncomingMessage, trust: TrustFn): boolean {
  const socket = req.socket;
  const known = peerTrust.get(socket);
  if (known?.trust === trust) return known.trusted;
  const peer = socket.remoteAddress;
  const trusted = peer !== undefined && trust(peer, 0);
  if (peer !== undefined) peerTrust.set(socket, { trust, trusted });
  return trusted;
}

function stripV4Mapped(addr: string): string {
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}
