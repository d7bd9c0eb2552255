// Host names in one place: the Host header (or a trusted proxy's X-Forwarded-Host) that picks
// a request's app, the hosts the configuration gives each app, and matching one against the
// other. One grammar everywhere, so a host the configuration accepts is a host a request can
// name, and routing, the `rd` check, the Origin check and the OIDC callback agree.
//
// - A name is DNS labels of letters, digits, `-` and `_` (seen in real internal names), 1–63
//   characters each, not starting or ending with `-`, at most 253 in all. It compares ASCII
//   case-insensitively and is kept lower-case. Punycode (`xn--…`) is a name like any other;
//   anything non-ASCII is refused (browsers send the punycode).
// - An IPv6 literal is bracketed in a Host and kept in its canonical form, the one WHATWG URL
//   gives (`[0:0::1]` is `[::1]`); a zone id (`%eth0`) is refused.
// - A trailing dot (`app.test.`) is a valid Host but never matches a configured host: one
//   spelling per host keeps cookies and policies unambiguous.
import { isIPv4, isIPv6 } from 'node:net';

const MAX_NAME = 253;
const MAX_LABEL = 63;
const DOT = 0x2e;
const DASH = 0x2d;

function isLabelChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === DASH || c === 0x5f;
}

/** `s[from, to)` is one DNS label. */
function isLabel(s: string, from: number, to: number): boolean {
  const len = to - from;
  if (len < 1 || len > MAX_LABEL || s.charCodeAt(from) === DASH || s.charCodeAt(to - 1) === DASH) return false;
  for (let i = from; i < to; i++) if (!isLabelChar(s.charCodeAt(i))) return false;
  return true;
}

/** A host name in either case, with at most one trailing dot (no port, no brackets, no wildcard). */
export function isHostName(s: string): boolean {
  const end = s.charCodeAt(s.length - 1) === DOT ? s.length - 1 : s.length;
  if (end < 1 || end > MAX_NAME) return false;
  let from = 0;
  for (let i = 0; i <= end; i++) {
    if (i !== end && s.charCodeAt(i) !== DOT) continue;
    if (!isLabel(s, from, i)) return false;
    from = i + 1;
  }
  return true;
}

/** `[…]` for an IPv6 address (without brackets) in the form WHATWG URL gives it; null if it is none. */
function canonicalIPv6(address: string): string | null {
  if (!isIPv6(address) || address.includes('%')) return null;
  try {
    return new URL(`http://[${address}]/`).hostname;
  } catch {
    return null;
  }
}

/**
 * WHATWG URL's "ends in a number": a name whose last label is decimal digits or `0x` hex is
 * read by browsers as an IPv4 address (`1.2.3` is 1.2.0.3, `app.123` does not parse), so it
 * can never be reached under the spelling it was configured with.
 */
function endsInNumber(name: string): boolean {
  const last = name.slice(name.lastIndexOf('.') + 1);
  return /^(?:[0-9]+|0[xX][0-9a-fA-F]*)$/.test(last);
}

function isPort(s: string): boolean {
  return /^[0-9]{1,5}$/.test(s) && Number(s) <= 65535;
}

/**
 * Host header value → lower-case hostname without port (`App.Test:8080` → `app.test`,
 * `[0:0::1]:8080` → `[::1]`); null when missing, empty or malformed (RFC 9112 §3.2: 400).
 * Nothing it accepts can turn `${scheme}://${value}` into another origin: no userinfo
 * (`a.test@evil.test`), path, whitespace or second port.
 */
export function hostnameOf(hostHeader: string | undefined): string | null {
  if (hostHeader === undefined) return null;
  let host: string | null;
  let rest: string;
  if (hostHeader.charCodeAt(0) === 0x5b) {
    const close = hostHeader.indexOf(']');
    if (close < 0) return null;
    host = canonicalIPv6(hostHeader.slice(1, close));
    rest = hostHeader.slice(close + 1);
  } else {
    const colon = hostHeader.indexOf(':');
    const name = colon < 0 ? hostHeader : hostHeader.slice(0, colon);
    host = isHostName(name) ? name.toLowerCase() : null;
    rest = colon < 0 ? '' : hostHeader.slice(colon);
  }
  if (host === null) return null;
  if (rest !== '' && (rest.charCodeAt(0) !== 0x3a || !isPort(rest.slice(1)))) return null;
  return host;
}

/**
 * A host as the configuration names an app's → its one spelling (lower-case name, `*.` and a
 * name, IPv4, or bracketed canonical IPv6, which may be written without brackets), or null:
 * a port, userinfo, path, whitespace, an empty or trailing-dot name, brackets around anything
 * but IPv6, an IPv6 zone id, or a name a browser would read as an IPv4 address.
 */
export function canonicalHost(v: string): string | null {
  const bracketed = v.startsWith('[') && v.endsWith(']');
  const inner = bracketed ? v.slice(1, -1) : v;
  if (isIPv6(inner)) return canonicalIPv6(inner);
  if (bracketed) return null;
  if (isIPv4(v)) return v;
  const name = v.startsWith('*.') ? v.slice(2) : v;
  if (name.endsWith('.') || !isHostName(name) || endsInNumber(name)) return null;
  return v.toLowerCase();
}

function equalsIgnoreCase(a: string, aFrom: number, b: string, bFrom: number, len: number): boolean {
  for (let i = 0; i < len; i++) {
    let x = a.charCodeAt(aFrom + i);
    let y = b.charCodeAt(bFrom + i);
    if (x >= 0x41 && x <= 0x5a) x |= 0x20;
    if (y >= 0x41 && y <= 0x5a) y |= 0x20;
    if (x !== y) return false;
  }
  return true;
}

/**
 * True when `hostname` (no port) equals one of `patterns` (canonical hosts), ASCII
 * case-insensitively. `*.dash.acme.test` matches exactly one more DNS label
 * (`a.dash.acme.test`; not `dash.acme.test`, `a.b.dash.acme.test` nor `-a.dash.acme.test`).
 * A trailing dot (`host.`) is not stripped, so it never matches.
 */
export function hostMatches(hostname: string, patterns: readonly string[]): boolean {
  for (const p of patterns) {
    if (p.startsWith('*.')) {
      const suffixLen = p.length - 1; // `.dash.acme.test`
      const labelLen = hostname.length - suffixLen;
      if (labelLen >= 1 && equalsIgnoreCase(hostname, labelLen, p, 1, suffixLen) && isLabel(hostname, 0, labelLen))
        return true;
    } else if (p.length === hostname.length && equalsIgnoreCase(hostname, 0, p, 0, p.length)) {
      return true;
    }
  }
  return false;
}

/** RFC 9112 §3.2: a request with more than one Host line must be refused. */
export function hasSingleHost(rawHeaders: readonly string[]): boolean {
  let n = 0;
  for (let i = 0; i < rawHeaders.length; i += 2)
    if (rawHeaders[i]!.length === 4 && rawHeaders[i]!.toLowerCase() === 'host') n++;
  return n <= 1;
}
