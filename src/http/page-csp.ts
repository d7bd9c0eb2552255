// The Content-Security-Policy of a tenant's pages. Everything is 'self' except where a form
// may lead: a form's redirect is held to `form-action` too, and the gateway's forms end in
// redirects to where the user was going (an app host, `rd`), to the gateway's publicUrl, or
// (logout with endSessionOnLogout) to the identity provider. Without those, a sign-in on the
// gateway's host with `rd` on an app host would be blocked by the browser after it succeeded.
import type { TenantRuntime } from '../registry.js';

const BASE =
  "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'";

/** The policy of pages outside any tenant (and the default): forms stay on this origin. */
export const DEFAULT_PAGE_CSP = `${BASE}; form-action 'self'`;

const cache = new WeakMap<TenantRuntime, string>();

/** A CSP host-source for an app host: any port (the Host header's port is not configured). */
// An IP literal in brackets is no CSP host-source: such an app host is reached on its origin anyway.
const hostSource = (host: string): string | null => (host.startsWith('[') ? null : `${host}:*`);

export function pageCsp(tenant: Pick<TenantRuntime, 'appHosts' | 'config'>, publicUrl: string): string {
  const key = tenant as TenantRuntime;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const sources = new Set<string>(["'self'", new URL(publicUrl).origin]);
  for (const h of tenant.appHosts) {
    const source = hostSource(h);
    if (source !== null) sources.add(source);
  }
  for (const p of tenant.config.identityProviders) sources.add(new URL(p.issuer).origin);
  const csp = `${BASE}; form-action ${[...sources].join(' ')}`;
  cache.set(key, csp);
  return csp;
}
