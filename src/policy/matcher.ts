// Compiles an app's route table (SPEC §2) once and finds the rule for a normalised request path.
//
// Patterns are split into segment arrays at compile time; no pattern ever becomes a RegExp,
// so a configured path cannot cause catastrophic backtracking. `**` is matched with the
// classic single-backtrack-point wildcard walk, which is O(pattern × path) however many `**`
// a pattern holds.
//
// Decisions where the SPEC is silent:
// - A trailing slash is insignificant on both sides: `/admin` and `/admin/` are one route,
//   because common upstreams (Express's default non-strict routing, most frameworks) serve
//   them alike, so a rule on `/admin` must also guard `/admin/`.
// - A rule listing GET also matches HEAD: HEAD is GET without a body (RFC 9110 §9.3.2), and
//   letting HEAD fall through to a weaker rule would leak what GET protects.
// - Literal pattern segments are canonicalised like request paths (unreserved characters
//   decoded, other percent-encoding upper-cased, non-ASCII UTF-8 encoded), so `/%7Euser`
//   and `/~user` in the config mean the same thing as on the wire.
// - Case-insensitive apps lower-case both sides; both are ASCII by then (non-ASCII is
//   percent-encoded) and hex is upper-cased first, so encoded octets still compare equal.
import type { RouteRule } from '../config/types.js';
import { normalizePath } from './normalize-path.js';

export interface RouteMatcher {
  /** The first rule whose methods and path match, or null (the caller then requires authentication). */
  match(method: string, matchPath: string): RouteRule | null;
  /**
   * Every rule the request must satisfy (SPEC §2, case): the one its path matches as written
   * and the one its lower-cased path matches among lower-cased patterns, so an app that
   * folds case cannot be reached at `/ADMIN/x` under a weaker rule than `/admin/**`, nor
   * `/PUBLIC/x` made anonymous by `/public/**`. One rule when the app is case-insensitive.
   */
  matchAll(method: string, matchPath: string): readonly (RouteRule | null)[];
}

const ONE = 1; // `*`: exactly one non-empty segment
const ANY = 2; // `**`: zero or more segments
type Token = typeof ONE | typeof ANY | string;

interface Compiled {
  rule: RouteRule;
  tokens: readonly Token[];
  methods: readonly string[] | null;
}

type Canonical = { ok: true; path: string } | { ok: false; error: string };

/** Validates a pattern and spells it the way `normalizePath` spells request paths. */
function canonicalPattern(path: string): Canonical {
  if (!path.startsWith('/')) return { ok: false, error: 'must start with /' };
  const body = path.endsWith('/') ? path.slice(1, -1) : path.slice(1);
  if (body !== '') {
    for (const seg of body.split('/')) {
      if (seg === '') return { ok: false, error: 'must not contain an empty segment (//)' };
      if (seg === '.' || seg === '..') return { ok: false, error: 'must not contain . or .. segments' };
      if (seg !== '*' && seg !== '**' && seg.includes('*'))
        return { ok: false, error: '* and ** must be a whole segment' };
      if (seg.includes(';'))
        return { ok: false, error: 'must not contain ;-parameters (they are ignored when matching)' };
    }
  }
  // Config text is UTF-16; put non-ASCII in its UTF-8 percent-encoded wire form first.
  let ascii = '';
  try {
    for (const ch of path) ascii += ch.charCodeAt(0) < 0x80 ? ch : encodeURIComponent(ch);
  } catch {
    return { ok: false, error: 'invalid Unicode' };
  }
  if (ascii.includes('?')) return { ok: false, error: 'must not contain ?' };
  const n = normalizePath(ascii);
  if (!n.ok) return { ok: false, error: n.reason };
  return { ok: true, path: n.path };
}

/** Why `path` is not a usable route pattern, or null when it is fine. For config validation. */
export function routePatternError(path: string): string | null {
  const c = canonicalPattern(path);
  return c.ok ? null : c.error;
}

function compileOne(rule: RouteRule, ci: boolean): Compiled {
  const c = canonicalPattern(rule.path);
  // Config validation should have caught it: reaching here is a programming error.
  if (!c.ok) throw new TypeError(`route path ${JSON.stringify(rule.path)}: ${c.error}`);
  const tokens: Token[] = [];
  for (const seg of splitPath(ci ? c.path.toLowerCase() : c.path)) {
    if (seg === '*') tokens.push(ONE);
    else if (seg === '**') {
      if (tokens[tokens.length - 1] !== ANY) tokens.push(ANY); // `**/**` is one `**`
    } else tokens.push(seg);
  }
  return { rule, tokens, methods: rule.methods };
}

function methodMatches(allowed: readonly string[] | null, method: string): boolean {
  if (allowed === null) return true;
  if (allowed.includes(method)) return true;
  return method === 'HEAD' && allowed.includes('GET');
}

/** Wildcard walk over segments: literal/`*` advance both, `**` records one backtrack point. */
function tokensMatch(tokens: readonly Token[], segs: readonly string[]): boolean {
  let t = 0;
  let s = 0;
  let starT = -1;
  let starS = 0;
  while (s < segs.length) {
    const tok = tokens[t];
    if (tok === ANY) {
      starT = t++;
      starS = s;
      continue;
    }
    const seg = segs[s] as string;
    if (tok !== undefined && (tok === ONE ? seg !== '' : tok === seg)) {
      t++;
      s++;
      continue;
    }
    if (starT === -1) return false;
    t = starT + 1; // let the last `**` swallow one more segment and retry
    s = ++starS;
  }
  while (tokens[t] === ANY) t++;
  return t === tokens.length;
}

/** Splits a normalised path into segments, dropping the leading and any trailing slash. */
function splitPath(p: string): string[] {
  if (p === '/' || p === '') return [];
  const end = p.endsWith('/') ? p.length - 1 : p.length;
  return p.slice(1, end).split('/');
}

function firstMatch(compiled: readonly Compiled[], method: string, segs: readonly string[]): RouteRule | null {
  for (const c of compiled) {
    if (methodMatches(c.methods, method) && tokensMatch(c.tokens, segs)) return c.rule;
  }
  return null;
}

export function compileRoutes(rules: readonly RouteRule[], opts: { caseInsensitive: boolean }): RouteMatcher {
  const ci = opts.caseInsensitive;
  const compiled = rules.map((r) => compileOne(r, ci));
  const lowered = ci ? compiled : rules.map((r) => compileOne(r, true));
  // Patterns without upper-case letters match a lower-case path the same way both times.
  const patternsLower = rules.every((r) => r.path === r.path.toLowerCase());
  const match = (method: string, matchPath: string): RouteRule | null =>
    firstMatch(compiled, method, splitPath(ci ? matchPath.toLowerCase() : matchPath));
  return {
    match,
    matchAll(method, matchPath) {
      const asWritten = match(method, matchPath);
      if (ci) return [asWritten];
      const lower = matchPath.toLowerCase();
      // Most paths are lower-case already: then both matches are the same rule.
      return lower === matchPath && patternsLower
        ? [asWritten]
        : [asWritten, firstMatch(lowered, method, splitPath(lower))];
    },
  };
}
