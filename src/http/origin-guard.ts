// Cross-site request refusal for state-changing browser endpoints: Sec-Fetch-Site and
// Origin must point at the gateway or one of the tenant's app hosts. The CSRF token is
// checked with it by csrf-guard.ts (and, before login, by the login form); both must pass.
import type { IncomingMessage } from 'node:http';
import type { TenantRuntime } from '../registry.js';
import { hostMatches } from '../util/host.js';

export function isSameSiteRequest(
  req: Pick<IncomingMessage, 'headers'>,
  publicUrl: string,
  tenant: TenantRuntime,
): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true; // non-browser clients; the token still applies
  if (origin === 'null') return false;
  let host: string;
  try {
    const u = new URL(origin);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
    if (u.host === new URL(publicUrl).host) return true;
    host = u.hostname.toLowerCase();
  } catch {
    return false;
  }
  return hostMatches(host, tenant.appHosts);
}
