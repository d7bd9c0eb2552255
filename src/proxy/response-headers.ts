// The upstream's response headers as the client receives them: hop-by-hop headers (and
// any the upstream's Connection names) are the gateway's own business, and a Set-Cookie
// that would land in the browser as a gateway cookie is dropped (SPEC §3.4).
import { util } from 'undici';
import { isGatewaySetCookie } from './gateway-cookies.js';

/** Headers that belong to one connection (RFC 9110 §7.6.1): never passed from the app's to the client's. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);

/**
 * undici's raw response headers (name, value, … as latin1 buffers) → the client's, by
 * lower-case name; a repeated name (Set-Cookie above all) becomes an array, in order.
 */
export function clientResponseHeaders(raw: readonly Buffer[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  let named: string[] | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    // undici's lookup of the well-known names, already lower-case: no string made per name.
    const name = util.headerNameToString(raw[i]!);
    const value = raw[i + 1]!.toString('latin1');
    if (name === 'connection') named = value.split(',').map((t) => t.trim().toLowerCase());
    if (HOP_BY_HOP.has(name)) continue;
    if (name === 'set-cookie' && isGatewaySetCookie(value)) continue;
    const prev = out[name];
    out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  if (named !== null) for (const n of named) delete out[n];
  return out;
}
