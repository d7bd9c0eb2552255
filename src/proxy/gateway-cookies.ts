// The gateway's cookies never cross the proxy (SPEC §3.4): every tenant's session, login
// and flow cookies are removed from the Cookie header sent upstream, and an upstream
// Set-Cookie that a browser would store under a gateway cookie's name is dropped.
//
// Every cookie the gateway sets is named `gk_…`, optionally behind the `__Host-` or
// `__Secure-` prefix. Matching the whole family (not just this tenant's names) keeps one
// tenant's app from reading or planting another tenant's cookie on a shared domain, and
// matching it case-insensitively is a superset of what any browser treats as the same name
// (RFC 6265bis §4.1.3 compares the prefixes case-insensitively).

const GATEWAY_COOKIE = /^(?:__host-|__secure-)?gk_/i;

export function isGatewayCookieName(name: string): boolean {
  return GATEWAY_COOKIE.test(name);
}

/** The Cookie header without any gateway cookie; undefined when nothing is left. */
export function withoutGatewayCookies(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  // Fast path: most requests carry no cookie that could be ours.
  if (!/gk_/i.test(cookieHeader)) return cookieHeader;
  const kept: string[] = [];
  for (const part of cookieHeader.split(';')) {
    const c = part.trim();
    if (c === '') continue;
    const eq = c.indexOf('=');
    if (!isGatewayCookieName((eq < 0 ? c : c.slice(0, eq)).trim())) kept.push(c);
  }
  return kept.length > 0 ? kept.join('; ') : undefined;
}

/**
 * The name a browser stores a Set-Cookie under (RFC 6265bis §5.6): the text before the
 * first `;`, split at its first `=`, both sides trimmed. Without `=`, or with an empty
 * name, the cookie is nameless and the browser sends its value alone — so `=gk_acme=x`
 * comes back as `Cookie: gk_acme=x`: for that form the name that matters is the one the
 * value will be read as.
 */
export function browserCookieName(setCookie: string): string {
  const pair = setCookie.split(';', 1)[0]!;
  const eq = pair.indexOf('=');
  const name = (eq < 0 ? '' : pair.slice(0, eq)).trim();
  if (name !== '') return name;
  const value = (eq < 0 ? pair : pair.slice(eq + 1)).trim();
  const inner = value.indexOf('=');
  return (inner < 0 ? value : value.slice(0, inner)).trim();
}

/** True when a browser would store this Set-Cookie as (or send it back like) a gateway cookie. */
export function isGatewaySetCookie(setCookie: string): boolean {
  return isGatewayCookieName(browserCookieName(setCookie));
}
