// Canonicalises a request-target (SPEC §2) into the path forwarded upstream and the path routes match against.
//
// Why this exists: a route policy is only as good as the agreement between the path the
// gateway matched and the path the upstream serves. Every spelling the upstream may treat
// as the same resource (`//admin`, `/x/../admin`, `/%61dmin`, `/admin;x`) must therefore
// collapse to one `matchPath`, and every spelling whose meaning differs between servers
// (encoded `/`, `\`, `/..;/`, NUL, `#`) is refused instead of guessed.
//
// Decisions where the SPEC is silent:
// - Only origin-form (`/path?query`, RFC 9112 §3.2.1) is accepted. An absolute-form target
//   (`http://host/a`) is rejected: RFC 9112 §3.2.2 would make its authority override `Host`,
//   and the app is resolved from `Host`, so taking just the path could route by one host and
//   check policy for another. `*` (asterisk-form) is rejected too (it does not start with `/`).
// - A raw `#` is rejected: a fragment is never sent (RFC 9112 §3.2), and upstreams that cut the
//   path at `#` would serve `/admin` for `/admin#x` while we matched something else.
// - Encoded C0 controls and DEL (`%00`–`%1F`, `%7F`) are rejected like raw ones: no real path
//   needs them, and an upstream that decodes them could be led into header or log injection.
// - A dot-segment carrying parameters (`/..;x/`, `/.;/`) is rejected: Tomcat-style servers
//   resolve it as `..`, others as a literal name, so any answer would be wrong for someone.
// - A segment that is empty after dropping its parameters (`/;x/admin`) is skipped in `matchPath`
//   (matches as `/admin`, the reading of servers that strip parameters) but kept in `path`.
// - Raw bytes 0x80–0xFF (only reachable through forward-auth headers, which Node reads as
//   latin1) are percent-encoded so they equal their encoded spelling; code points above 0xFF
//   cannot come off the wire and are rejected. ASCII that may not appear raw in a path
//   (`"<>[]^`{|}`, RFC 3986 §3.3) is percent-encoded for the same reason.
// - The query is passed through untouched, but a control character, space or non-latin1 char in
//   it is rejected because it could not be written into the upstream request line.

export type NormalizedPath =
  { ok: true; path: string; matchPath: string; query: string } | { ok: false; reason: string };

const HEX = '0123456789ABCDEF';

// Characters that may stay raw in a path segment: RFC 3986 §3.3 pchar without `%` (handled
// apart). 1 = unreserved (§2.3), 2 = sub-delim / `:` / `@` (kept as written, never decoded).
const RAW = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) RAW[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) RAW[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) RAW[c] = 1;
for (const ch of '-._~') RAW[ch.charCodeAt(0)] = 1;
for (const ch of "!$&'()*+,;=:@") RAW[ch.charCodeAt(0)] = 2;

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20; // ASCII fold to lower case
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

function encodeByte(b: number): string {
  return '%' + HEX[b >> 4] + HEX[b & 15];
}

/** True when `p` is already canonical: plain pchars and single `/`, no `%`, `;` or dot-segment. */
function isCanonical(p: string): boolean {
  let prev = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c === 0x2f) {
      if (prev === 0x2f) return false;
    } else if (c >= 128 || RAW[c] === 0 || c === 0x3b /* ; */) {
      return false;
    } else if (c === 0x2e /* . */ && prev === 0x2f) {
      return false; // might start `.` or `..`; the slow path decides
    }
    prev = c;
  }
  return true;
}

function checkQuery(q: string): string | null {
  for (let i = 1; i < q.length; i++) {
    const c = q.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || c > 0xff) return 'invalid character in query';
  }
  return null;
}

export function normalizePath(rawTarget: string): NormalizedPath {
  if (rawTarget.charCodeAt(0) !== 0x2f) {
    return {
      ok: false,
      reason: /^[a-z][a-z0-9+.-]*:\/\//i.test(rawTarget.slice(0, 64))
        ? 'absolute-form target not accepted'
        : 'path must start with /',
    };
  }
  const q = rawTarget.indexOf('?');
  const raw = q === -1 ? rawTarget : rawTarget.slice(0, q);
  const query = q === -1 ? '' : rawTarget.slice(q);
  if (query !== '') {
    const bad = checkQuery(query);
    if (bad !== null) return { ok: false, reason: bad };
  }
  if (isCanonical(raw)) return { ok: true, path: raw, matchPath: raw, query };

  // Parallel stacks so `..` pops a segment from both at once (RFC 3986 §5.2.4).
  const pathSegs: string[] = [];
  const matchSegs: string[] = [];
  let seg = '';
  let paramAt = -1; // index of the first `;` in `seg`
  let trailing = false;

  for (let i = 1; i <= raw.length; i++) {
    const c = i < raw.length ? raw.charCodeAt(i) : 0x2f; // the end closes the last segment
    if (c === 0x2f) {
      if (seg === '') {
        // `//` collapses (SPEC §2); a final empty segment is just the trailing slash.
      } else if (seg === '.') {
        // current directory: drop it
      } else if (seg === '..') {
        if (pathSegs.length === 0) return { ok: false, reason: 'path escapes the root' };
        pathSegs.pop();
        matchSegs.pop();
      } else {
        const name = paramAt === -1 ? seg : seg.slice(0, paramAt);
        if (paramAt !== -1 && (name === '.' || name === '..'))
          return { ok: false, reason: 'dot-segment with parameters' };
        pathSegs.push(seg);
        matchSegs.push(name);
      }
      // `/a/`, `/a/.` and `/b/a/..` end in a directory, so keep the slash (RFC 3986 §5.2.4).
      if (i === raw.length) trailing = seg === '' || seg === '.' || seg === '..';
      seg = '';
      paramAt = -1;
      continue;
    }
    if (c === 0x25 /* % */) {
      const hi = hexValue(raw.charCodeAt(i + 1));
      const lo = hexValue(raw.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return { ok: false, reason: 'invalid percent-encoding' };
      const b = (hi << 4) | lo;
      i += 2;
      if (b < 128 && RAW[b] === 1) {
        seg += String.fromCharCode(b);
        continue;
      } // RFC 3986 §6.2.2.2
      if (b === 0x2f) return { ok: false, reason: 'encoded slash' };
      if (b === 0x5c) return { ok: false, reason: 'encoded backslash' };
      if (b === 0) return { ok: false, reason: 'NUL in path' };
      if (b < 0x20 || b === 0x7f) return { ok: false, reason: 'encoded control character' };
      seg += encodeByte(b); // reserved stays encoded, hex upper-cased (RFC 3986 §6.2.2.1)
      continue;
    }
    if (c < 128 && RAW[c] !== 0) {
      if (c === 0x3b && paramAt === -1) paramAt = seg.length;
      seg += String.fromCharCode(c);
      continue;
    }
    if (c === 0) return { ok: false, reason: 'NUL in path' };
    if (c === 0x5c) return { ok: false, reason: 'backslash in path' };
    if (c <= 0x20 || c === 0x7f) return { ok: false, reason: 'control character or space in path' };
    if (c === 0x23) return { ok: false, reason: 'fragment in request-target' };
    if (c > 0xff) return { ok: false, reason: 'non-latin1 character in path' };
    seg += encodeByte(c); // "<>[]^`{|} and raw 0x80–0xFF
  }

  let path = '';
  for (const s of pathSegs) path += '/' + s;
  let matchPath = '';
  for (const s of matchSegs) if (s !== '') matchPath += '/' + s;
  const lastParamOnly = matchSegs.length > 0 && matchSegs[matchSegs.length - 1] === '';
  if (path === '') path = '/';
  else if (trailing) path += '/';
  if (matchPath === '') matchPath = '/';
  else if (trailing || lastParamOnly) matchPath += '/';
  return { ok: true, path, matchPath, query };
}
