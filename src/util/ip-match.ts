// IP binding comparisons (SPEC §2 ipBinding): the same address, or the same network
// (IPv4 /24, IPv6 /64). IPv4-mapped IPv6 addresses compare as IPv4. Parsing is ipaddr.js's.
import ipaddr from 'ipaddr.js';

export type IpBindingMode = 'exact' | 'subnet';

function parse(ip: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  try {
    return ipaddr.process(ip);
  } catch {
    return null;
  }
}

export function sameNetwork(a: string, b: string, mode: IpBindingMode): boolean {
  const x = parse(a);
  const y = parse(b);
  if (!x || !y || x.kind() !== y.kind()) return false;
  if (mode === 'exact') return x.toNormalizedString() === y.toNormalizedString();
  const bits = x.kind() === 'ipv4' ? 24 : 64;
  return x.kind() === 'ipv4'
    ? (x as ipaddr.IPv4).match(y as ipaddr.IPv4, bits)
    : (x as ipaddr.IPv6).match(y as ipaddr.IPv6, bits);
}
