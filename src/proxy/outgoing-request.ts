// The request the upstream receives, built by allow-list (SPEC §3.4 "one request in, one
// request out"): the method and normalised path the pipeline decided on, the client's Host,
// framing the gateway chooses, the client's end-to-end headers minus the families below,
// then the gateway's own headers. Nothing a client sends can remove or replace a header
// the gateway sets, or make the app parse a request the gateway never saw.
import type { IncomingMessage } from 'node:http';
import type { Identity } from '../authn/identity.js';
import { identityHeaderList } from './identity-headers.js';
import { withoutGatewayCookies } from './gateway-cookies.js';

/** Header names as an app may read them: lower-case, `_` as `-` (CGI, PHP, Rack, WSGI…). */
export function canonicalName(name: string): string {
  const lower = name.toLowerCase();
  return lower.includes('_') ? lower.replace(/_/g, '-') : lower;
}

// Hop-by-hop (RFC 9110 §7.6.1) and framing: the gateway writes its own. `cookie`,
// `x-request-id` and the three X-Forwarded-* it sets are also written by the gateway.
const GATEWAY_WRITES = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'host',
  'content-length',
  'proxy-authorization',
  'http2-settings',
  'cookie',
  'x-request-id',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
]);

// Headers that would make the app see another URL or method than the one decided on
// (a route bypass on IIS/Symfony-style apps, or past a `methods:` rule): from every peer.
const REWRITES = new Set([
  'x-original-url',
  'x-original-uri',
  'x-rewrite-url',
  'x-original-method',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
]);

// Who the client is and how it came: believed only from trusted proxies.
const FORWARDING = new Set([
  'forwarded',
  'x-real-ip',
  'true-client-ip',
  'x-client-ip',
  'x-cluster-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
]);

function isForwarding(name: string): boolean {
  return FORWARDING.has(name) || name.startsWith('x-forwarded-');
}

/** Names a client's `Connection` header may never list: framing, Host, what the gateway sets. */
function protectedFromConnection(name: string): boolean {
  return (
    name === 'host' ||
    name === 'content-length' ||
    name === 'transfer-encoding' ||
    name === 'x-request-id' ||
    name.startsWith('x-auth-') ||
    isForwarding(name)
  );
}

const NO_TOKENS: readonly string[] = Object.freeze([]);
// The last Connection value and its tokens: nearly every client sends the same one
// (`keep-alive`) on every request, and the list is read twice per request.
let lastConnection = '';
let lastTokens: readonly string[] = NO_TOKENS;

function connectionTokens(req: IncomingMessage): readonly string[] {
  const c = req.headers.connection;
  if (c === undefined) return NO_TOKENS;
  if (c === lastConnection) return lastTokens;
  const tokens: string[] = [];
  for (const t of c.split(',')) {
    const name = canonicalName(t.trim());
    if (name !== '') tokens.push(name);
  }
  lastConnection = c;
  return (lastTokens = Object.freeze(tokens));
}

/** What outgoingHeaders does with a client header, by its name as sent. */
interface NameRule {
  canon: string;
  /** Never forwarded: the gateway writes it, it rewrites the target, or it is X-Auth-*. */
  drop: boolean;
  /** Forwarded only from a trusted proxy. */
  forwarding: boolean;
}

// Header names as clients spell them repeat on every request: their rule is kept (bounded,
// since the names are the client's: past the bound the map starts over).
const MAX_RULES = 512;
const rules = new Map<string, NameRule>();

function ruleFor(name: string): NameRule {
  let rule = rules.get(name);
  if (rule === undefined) {
    const canon = canonicalName(name);
    rule = {
      canon,
      drop: GATEWAY_WRITES.has(canon) || REWRITES.has(canon) || canon.startsWith('x-auth-'),
      forwarding: isForwarding(canon),
    };
    if (rules.size >= MAX_RULES) rules.clear();
    rules.set(name, rule);
  }
  return rule;
}

/**
 * Why this request cannot be forwarded as exactly one request (answered 400), or null.
 * Node's parser has already refused Content-Length with Transfer-Encoding, repeated or
 * invalid lengths and a Transfer-Encoding that does not end in chunked.
 */
export function framingError(req: IncomingMessage, upgrade: boolean): string | null {
  for (const name of connectionTokens(req)) {
    if (protectedFromConnection(name)) return `Connection names ${name}`;
  }
  const te = req.headers['transfer-encoding'];
  // Another transfer coding (gzip, chunked) would be lost when the gateway re-frames the body.
  if (te !== undefined && te.trim().toLowerCase() !== 'chunked') return 'unsupported Transfer-Encoding';
  if (upgrade) {
    if (req.method !== 'GET') return 'upgrade with a method other than GET';
    if (te !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0'))
      return 'upgrade with a body';
    if (req.headers.upgrade?.toLowerCase() !== 'websocket') return 'upgrade to something other than websocket';
  }
  return null;
}

/** The request carries a body to forward (chunked, or a non-zero Content-Length). */
export function bodyLength(req: IncomingMessage): number | 'chunked' | 0 {
  if (req.headers['transfer-encoding'] !== undefined) return 'chunked';
  const cl = req.headers['content-length'];
  return cl === undefined ? 0 : Number(cl);
}

export interface OutgoingFacts {
  trustedPeer: boolean;
  /** Identity headers to add (null: anonymous route, or the app turned them off). */
  identity: Identity | null;
  upgrade: boolean;
}

/**
 * The upstream request's headers as a flat [name, value, name, value…] list (repetitions
 * kept in order): every client header but the families removed above, then the gateway's.
 */
export function outgoingHeaders(req: IncomingMessage, facts: OutgoingFacts): string[] {
  const h = req.headers;
  const named = connectionTokens(req);
  const raw = req.rawHeaders;
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const rule = ruleFor(name);
    if (rule.drop) continue;
    if (!facts.trustedPeer && rule.forwarding) continue;
    if (named.length > 0 && named.includes(rule.canon)) continue;
    out.push(name, raw[i + 1]!);
  }
  out.push('host', h.host!);
  const cookie = withoutGatewayCookies(h.cookie);
  if (cookie !== undefined) out.push('cookie', cookie);
  const length = bodyLength(req);
  if (typeof length === 'number' && length > 0) out.push('content-length', String(length));
  const tls = (req.socket as { encrypted?: boolean }).encrypted === true;
  const priorXff = facts.trustedPeer ? h['x-forwarded-for'] : undefined;
  const peer = req.socket.remoteAddress ?? '';
  out.push('x-forwarded-for', priorXff ? `${priorXff}, ${peer}` : peer);
  out.push(
    'x-forwarded-proto',
    (facts.trustedPeer && typeof h['x-forwarded-proto'] === 'string' && h['x-forwarded-proto']) ||
      (tls ? 'https' : 'http'),
  );
  out.push(
    'x-forwarded-host',
    (facts.trustedPeer && typeof h['x-forwarded-host'] === 'string' && h['x-forwarded-host']) || h.host!,
  );
  out.push('x-request-id', h['x-request-id'] as string);
  if (facts.upgrade) out.push('connection', 'upgrade', 'upgrade', 'websocket');
  if (facts.identity) out.push(...identityHeaderList(facts.identity));
  return out;
}
