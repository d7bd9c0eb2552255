// Validates the post-login `rd` target (SPEC §5) so the login page can never become an open redirect.
//
// Only two shapes pass: a path on this host starting with a single `/`, or an absolute
// http(s) URL for the gateway itself or one of the tenant's app hosts. Hosts are compared
// after WHATWG URL parsing (what the browser will do), never by string prefix.
//
// Decisions where the SPEC is silent:
// - Anything with a control character, space, `\` or non-ASCII is refused outright: browsers
//   strip tab/newline inside schemes (`java\tscript:`) and read `\` as `/` (WHATWG URL
//   "special" schemes), and Node refuses to write non-latin1 into a `Location` header.
// - Absolute URLs must spell `scheme://` literally: `http:evil.com` and `https:/evil.com` are
//   parsed by browsers as `http://evil.com/`, a shape no legitimate caller sends.
// - Userinfo is refused: `https://app.test@evil.com` goes to evil.com, and even a harmless
//   `user@` is phishing material.
// - Gateway host: same origin as `publicUrl` (scheme, host and port).
// - App host: hostname matched by `hostMatches` (util/host.ts); the scheme may not be weaker than
//   `publicUrl`'s (no https → http downgrade), and the port must be `publicUrl`'s port or the
//   scheme's default, so an app's upstream port published on the host cannot be targeted.
// - A relative path whose path part holds an encoded `/` or `\` (`/%2F%2Fevil.com`) is refused:
//   the gateway itself answers 400 to such paths (SPEC §2), and an upstream that decodes them
//   before redirecting would turn them into a protocol-relative URL.
// - Longer than 2048 characters: refused (`/`).

import { hostMatches } from '../util/host.js';

export const MAX_RD_LENGTH = 2048;

const DEFAULT_PORT: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443' };

function hasUnsafeChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x5c) return true;
  }
  return false;
}

/** `/` + something that a browser, or a decoding upstream, cannot read as `//host`. */
function isSafeRelative(rd: string): boolean {
  const c1 = rd.charCodeAt(1);
  if (c1 === 0x2f) return false; // `//evil.com` is protocol-relative
  let end = rd.length;
  for (let i = 1; i < rd.length; i++) {
    const c = rd.charCodeAt(i);
    if (c === 0x3f || c === 0x23) {
      end = i;
      break;
    } // the query and fragment may hold anything
  }
  for (let i = rd.indexOf('%'); i !== -1 && i < end; i = rd.indexOf('%', i + 1)) {
    const hi = rd.charCodeAt(i + 1);
    const lo = rd.charCodeAt(i + 2) | 0x20;
    if ((hi === 0x32 && lo === 0x66) || (hi === 0x35 && lo === 0x63)) return false; // %2F, %5C
  }
  return true;
}

function effectivePort(u: URL): string {
  return u.port !== '' ? u.port : (DEFAULT_PORT[u.protocol] ?? '');
}

function hasSchemeSlashes(rd: string): boolean {
  const lower = rd.slice(0, 8).toLowerCase();
  return lower.startsWith('http://') || lower.startsWith('https://');
}

export function safeRedirect(rd: string | undefined, allowed: { publicUrl: string; hosts: readonly string[] }): string {
  if (rd === undefined || rd === '' || rd.length > MAX_RD_LENGTH || hasUnsafeChar(rd)) return '/';
  if (rd.charCodeAt(0) === 0x2f) return isSafeRelative(rd) ? rd : '/';
  if (!hasSchemeSlashes(rd)) return '/';

  let url: URL;
  let pub: URL;
  try {
    url = new URL(rd);
    pub = new URL(allowed.publicUrl);
  } catch {
    return '/';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return '/';
  if (url.username !== '' || url.password !== '') return '/';

  if (url.origin === pub.origin) return rd;

  if (!hostMatches(url.hostname, allowed.hosts)) return '/';
  if (pub.protocol === 'https:' && url.protocol !== 'https:') return '/';
  const port = effectivePort(url);
  if (port !== effectivePort(pub) && port !== DEFAULT_PORT[url.protocol]) return '/';
  return rd;
}
