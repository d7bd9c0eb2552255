// The desync fuzzer's request shapes (fast-check arbitraries) and their rendering as exact
// bytes, plus the oracle of what the gateway may do with each (SPEC §2 routes and case
// rule, §3.4 one request in / one out, §3.5 WebSocket Origin, §6 forward-auth). Used by
// test/e2e/desync-fuzz.test.ts (fixed seed) and scripts/fuzz.mjs (random seed, minutes).
import fc from 'fast-check';

export const HOST = 'dashboard.acme.test';
export const PUBLIC_ORIGIN = 'http://gw.acme.test';

/** How a request carries its body (RFC 9112 §6): the odd ways included. */
export type Framing =
  | { kind: 'none' }
  | { kind: 'cl'; value: 'exact' | 'leading-zeros' | 'plus' | 'list' | 'padded' | 'tab' }
  | { kind: 'cl-twice'; same: boolean }
  | { kind: 'te'; value: string }
  | { kind: 'te-twice'; first: string; second: string }
  | { kind: 'cl-and-te'; teFirst: boolean; te: string }
  | { kind: 'te-space-before-colon' }
  | { kind: 'te-folded' };

export type Credential = 'none' | 'cookie' | 'bearer' | 'bogus-cookie';
export type BodyKind = 'empty' | 'text' | 'inner-admin' | 'inner-admin-no-id' | 'inner-post';

export interface Chunking {
  /** Where the body is cut into chunks, as fractions of its length. */
  cuts: number[];
  sizeStyle: 'lower' | 'upper' | 'leading-zeros';
  ext: string | null;
  trailers: string[];
}

export interface RequestShape {
  /** `proxy`: the request itself goes to the app; `forward-auth`: GET /t/acme/auth asks about method + path. */
  target: 'proxy' | 'forward-auth';
  method: string;
  path: string;
  version: '1.1' | '1.0';
  credential: Credential;
  /** Other tenants' and the login flow's gateway cookies next to an app cookie. */
  otherCookies: boolean;
  framing: Framing;
  body: BodyKind;
  chunking: Chunking;
  /** Tokens of the Connection header (null: none sent). */
  connection: string[] | null;
  upgrade: 'none' | 'websocket' | 'h2c';
  origin: 'none' | 'own' | 'public' | 'evil';
  expect100: boolean;
  trailerHeader: boolean;
  nameCase: 'canonical' | 'lower' | 'upper' | 'mixed';
  /** Spoofed identity, forwarding and rewrite headers, and harmless ones. */
  extras: string[];
  /** One extra header written with an obs-fold continuation line (RFC 9112 §5.2). */
  obsFold: boolean;
  requestId: 'own' | 'none' | 'twice';
}

export interface PipelineShape {
  /** The untrusted peer connects from 127.0.0.2 (the fuzz gateway trusts 127.0.0.1/32 only). */
  peer: 'trusted' | 'untrusted';
  requests: RequestShape[];
}

// ---------------------------------------------------------------- arbitraries

const METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'TRACE',
  'CONNECT',
  'PROPFIND',
  'QUERY',
  'get',
];
const ANY_PATHS = [
  '/public/a',
  '/public/x?q=1',
  '/healthz',
  '/reports',
  '/reports/2024?x=%2F',
  '/admin/x',
  '/ADMIN/x',
  '/PUBLIC/x',
  '/Public/a',
  '/ws',
];
/** What a smuggler wants to reach: the second request of a pipeline aims here. */
const PROTECTED_PATHS = ['/admin/x', '/ADMIN/x', '/reports', '/PUBLIC/x', '/admin'];
const TE_VALUES = [
  'chunked',
  'Chunked',
  'CHUNKED',
  ' chunked',
  'chunked ',
  'gzip, chunked',
  'identity, chunked',
  'chunked, identity',
  'chunked, chunked',
  'xchunked',
  'chunked;q=1',
  'identity',
];
export const CONNECTION_TOKENS = [
  'keep-alive',
  'close',
  'upgrade',
  'transfer-encoding',
  'content-length',
  'host',
  'x-auth-user',
  'X-Auth-Roles',
  'x_auth_user',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-request-id',
  'cookie',
  'authorization',
  'te',
  'trailer',
  'expect',
  'x-foo',
  'x-real-ip',
  'forwarded',
  'Upgrade, HOST',
];
export const EXTRA_HEADERS = [
  'X-Auth-User: u-alice',
  'x_auth_roles: admin',
  'X-AUTH-SESSION: sess_forged',
  'X-Auth-Jwt: forged',
  'X-Auth-User: u-alice, u-bob',
  'Forwarded: for=1.2.3.4;host=evil.example;proto=https',
  'X-Forwarded-For: 1.2.3.4',
  'X-Forwarded-Host: evil.example',
  'X-Forwarded-Proto: https',
  'X-Forwarded-Port: 8443',
  'X-Forwarded-Prefix: /admin',
  'X-Forwarded-Server: evil',
  'X-Real-IP: 1.2.3.4',
  'True-Client-IP: 1.2.3.4',
  'X-Client-IP: 1.2.3.4',
  'X-Cluster-Client-IP: 1.2.3.4',
  'CF-Connecting-IP: 1.2.3.4',
  'Fastly-Client-IP: 1.2.3.4',
  'X-Original-URL: /admin/x',
  'X-Original-URI: /admin/x',
  'X-Rewrite-URL: /admin/x',
  'X-Original-Method: DELETE',
  'X-HTTP-Method-Override: DELETE',
  'X-HTTP-Method: PUT',
  'X-Method-Override: PATCH',
  'TE: trailers',
  'X-Foo: bar',
  'Accept: text/html',
  'X-Requested-With: XMLHttpRequest',
  'Content-Type: application/x-www-form-urlencoded',
  'X-Forwarded-Uri: /admin/x',
  'X-Forwarded-Method: DELETE',
];
const TRAILERS = [
  'X-Foo: bar',
  'X-Auth-User: u-alice',
  'Content-Length: 5',
  'Transfer-Encoding: chunked',
  'Host: evil.example',
];

const oddFramingArb: fc.Arbitrary<Framing> = fc.oneof(
  { weight: 2, arbitrary: fc.constant<Framing>({ kind: 'none' }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('cl' as const),
      value: fc.constantFrom(
        'exact',
        'exact',
        'leading-zeros',
        'plus',
        'list',
        'padded',
        'tab',
      ) as fc.Arbitrary<'exact'>,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cl-twice' as const), same: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('te' as const), value: fc.constantFrom(...TE_VALUES) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('te-twice' as const),
      first: fc.constantFrom('chunked', 'gzip', 'identity'),
      second: fc.constantFrom('chunked', 'identity'),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('cl-and-te' as const),
      teFirst: fc.boolean(),
      te: fc.constantFrom('chunked', 'chunked, identity', ' chunked'),
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom<Framing>({ kind: 'te-space-before-colon' }, { kind: 'te-folded' }) },
);
/** Framing every HTTP/1.1 parser agrees on. */
const plainFramingArb: fc.Arbitrary<Framing> = fc.constantFrom<Framing>(
  { kind: 'none' },
  { kind: 'cl', value: 'exact' },
  { kind: 'te', value: 'chunked' },
  { kind: 'te', value: 'chunked' },
);

const oddChunkingArb: fc.Arbitrary<Chunking> = fc.record({
  cuts: fc.array(fc.double({ min: 0.05, max: 0.95, noNaN: true }), { maxLength: 2 }),
  sizeStyle: fc.constantFrom('lower', 'upper', 'leading-zeros'),
  ext: fc.option(fc.constantFrom(';a=b', ';ext="q;x"', '; sp', ';x', ';=bad'), { nil: null, freq: 3 }),
  trailers: fc.subarray(TRAILERS, { maxLength: 2 }),
});
const plainChunkingArb: fc.Arbitrary<Chunking> = fc.record({
  cuts: fc.array(fc.double({ min: 0.05, max: 0.95, noNaN: true }), { maxLength: 2 }),
  sizeStyle: fc.constantFrom('lower', 'upper'),
  ext: fc.option(fc.constantFrom(';a=b', ';x'), { nil: null, freq: 3 }),
  trailers: fc.subarray(['X-Foo: bar', 'X-Auth-User: u-alice'], { maxLength: 1 }),
});

/** Connection tokens that name no framing, Host nor gateway header: the request stays forwardable. */
const HARMLESS_CONNECTION = ['keep-alive', 'x-foo', 'TE', 'trailer', 'X-Custom'];

/**
 * `odd`: anything in the pools, most of it refused somewhere. `plain`: requests every parser
 * frames alike (bodies, hidden requests in them, pipelining, WebSocket GETs, spoofed
 * headers), so that the invariants on what reaches the app get exercised too.
 */
function requestArb(paths: readonly string[], odd: boolean): fc.Arbitrary<RequestShape> {
  const shape = fc.record({
    target: fc.constantFrom('proxy', 'proxy', 'proxy', 'forward-auth'),
    method: odd ? fc.constantFrom(...METHODS) : fc.constantFrom(...METHODS.slice(0, 8)),
    path: fc.constantFrom(...paths),
    version: fc.constantFrom('1.1', '1.1', '1.1', '1.0'),
    credential: fc.constantFrom('none', 'cookie', 'cookie', 'bearer', 'bogus-cookie'),
    otherCookies: fc.boolean(),
    framing: odd ? oddFramingArb : plainFramingArb,
    body: fc.constantFrom('empty', 'text', 'inner-admin', 'inner-admin', 'inner-admin-no-id', 'inner-post'),
    chunking: odd ? oddChunkingArb : plainChunkingArb,
    connection: fc.option(fc.subarray(odd ? CONNECTION_TOKENS : HARMLESS_CONNECTION, { minLength: 1, maxLength: 3 }), {
      nil: null,
      freq: 2,
    }),
    upgrade: odd
      ? fc.constantFrom('none', 'none', 'none', 'none', 'websocket', 'h2c')
      : fc.constantFrom('none', 'none', 'none', 'websocket'),
    origin: fc.constantFrom('none', 'none', 'own', 'public', 'evil'),
    expect100: fc.boolean(),
    trailerHeader: fc.boolean(),
    nameCase: fc.constantFrom('canonical', 'lower', 'upper', 'mixed'),
    extras: fc.subarray(EXTRA_HEADERS, { maxLength: 4 }),
    obsFold: odd ? fc.boolean() : fc.constant(false),
    requestId: odd ? fc.constantFrom('own', 'own', 'own', 'own', 'none', 'twice') : fc.constant('own'),
  });
  if (odd) return shape;
  // A WebSocket handshake is a bodiless GET on HTTP/1.1 (RFC 6455 §4.1).
  return shape.map((s) =>
    s.upgrade === 'websocket'
      ? { ...s, method: 'GET', version: '1.1', framing: { kind: 'none' }, expect100: false }
      : s,
  );
}

function anyRequestArb(paths: readonly string[]): fc.Arbitrary<RequestShape> {
  return fc.oneof(
    { weight: 3, arbitrary: requestArb(paths, false) },
    { weight: 2, arbitrary: requestArb(paths, true) },
  );
}

/** One to three requests on one connection; the later ones aim at protected paths. */
export const pipelineArb: fc.Arbitrary<PipelineShape> = fc.record({
  peer: fc.constantFrom('trusted', 'trusted', 'untrusted'),
  requests: fc
    .tuple(anyRequestArb(ANY_PATHS), fc.array(anyRequestArb(PROTECTED_PATHS), { maxLength: 2 }))
    .map(([first, rest]) => [first, ...rest]),
});

// ---------------------------------------------------------------- rendering

export interface Credentials {
  /** Bob's session cookie value and access token (bob has no roles). */
  cookie: string;
  bearer: string;
}

/** A rendered request: its bytes and what the oracle needs to know about it. */
export interface RenderedRequest {
  shape: RequestShape;
  /** The X-Request-Id the gateway must honour for it, when the shape sent one valid id. */
  rid: string | null;
  /** The request line's method (forward-auth asks with GET). */
  wireMethod: string;
  /** The body as the shape means it (what the app must receive if it is forwarded). */
  body: string;
  bytes: string;
}

function nameIn(name: string, style: RequestShape['nameCase']): string {
  switch (style) {
    case 'canonical':
      return name;
    case 'lower':
      return name.toLowerCase();
    case 'upper':
      return name.toUpperCase();
    case 'mixed':
      return [...name].map((c, i) => (i % 2 ? c.toLowerCase() : c.toUpperCase())).join('');
  }
}

function bodyOf(kind: BodyKind, rid: string): string {
  const spoof = 'X-Auth-User: u-alice\r\nX-Auth-Roles: admin\r\n';
  switch (kind) {
    case 'empty':
      return '';
    case 'text':
      return 'hello=world&n=1';
    case 'inner-admin':
      return `GET /admin/x HTTP/1.1\r\nHost: ${HOST}\r\n${spoof}X-Request-Id: smuggled-${rid}\r\n\r\n`;
    case 'inner-admin-no-id':
      return `GET /admin/x HTTP/1.1\r\nHost: ${HOST}\r\n${spoof}\r\n`;
    case 'inner-post':
      return `POST /reports HTTP/1.1\r\nHost: ${HOST}\r\n${spoof}X-Request-Id: smuggled-${rid}\r\nContent-Length: 2\r\n\r\nhi`;
  }
}

function chunked(body: string, c: Chunking): string {
  const cuts = [...new Set(c.cuts.map((f) => Math.floor(f * body.length)))]
    .filter((n) => n > 0 && n < body.length)
    .sort((a, b) => a - b);
  const parts: string[] = [];
  let at = 0;
  for (const cut of [...cuts, body.length]) {
    if (cut > at) parts.push(body.slice(at, cut));
    at = cut;
  }
  const size = (n: number): string => {
    const hex = n.toString(16);
    return c.sizeStyle === 'upper' ? hex.toUpperCase() : c.sizeStyle === 'leading-zeros' ? hex.padStart(4, '0') : hex;
  };
  const ext = c.ext ?? '';
  return (
    parts.map((p) => `${size(p.length)}${ext}\r\n${p}\r\n`).join('') +
    `0${ext}\r\n${c.trailers.map((t) => `${t}\r\n`).join('')}\r\n`
  );
}

/** The framing header lines and the body bytes for them (always consistent for a strict parser). */
function framed(
  f: Framing,
  body: string,
  c: Chunking,
  nc: RequestShape['nameCase'],
): { lines: string[]; wire: string } {
  const CL = nameIn('Content-Length', nc);
  const TE = nameIn('Transfer-Encoding', nc);
  const n = Buffer.byteLength(body);
  switch (f.kind) {
    case 'none':
      return { lines: [], wire: '' };
    case 'cl': {
      const v = {
        exact: `${n}`,
        'leading-zeros': `00${n}`,
        plus: `+${n}`,
        list: `${n}, ${n}`,
        padded: ` ${n} `,
        tab: `\t${n}`,
      }[f.value];
      return { lines: [`${CL}: ${v}`], wire: body };
    }
    case 'cl-twice':
      return { lines: [`${CL}: ${n}`, `${CL}: ${f.same ? n : n + 3}`], wire: body };
    case 'te':
      return { lines: [`${TE}: ${f.value}`], wire: chunked(body, c) };
    case 'te-twice':
      return { lines: [`${TE}: ${f.first}`, `${TE}: ${f.second}`], wire: chunked(body, c) };
    case 'cl-and-te': {
      const lines = [`${CL}: ${n}`, `${TE}: ${f.te}`];
      return { lines: f.teFirst ? lines.reverse() : lines, wire: chunked(body, c) };
    }
    case 'te-space-before-colon':
      return { lines: [`${TE} : chunked`], wire: chunked(body, c) };
    case 'te-folded':
      return { lines: [`${TE}: identity,\r\n chunked`], wire: chunked(body, c) };
  }
}

const ORIGINS = { none: null, own: `http://${HOST}`, public: PUBLIC_ORIGIN, evil: 'http://evil.example' } as const;

export function renderRequest(s: RequestShape, creds: Credentials, rid: string, last: boolean): RenderedRequest {
  const nc = s.nameCase;
  const lines: string[] = [`Host: ${HOST}`];
  if (s.requestId === 'own') lines.push(`${nameIn('X-Request-Id', nc)}: ${rid}`);
  if (s.requestId === 'twice') lines.push(`X-Request-Id: ${rid}`, `X-Request-Id: ${rid}-again`);
  const cookies: string[] = [];
  if (s.otherCookies)
    cookies.push(
      'theme=dark',
      'gk_globex=g1',
      '__Host-gk_acme=h1',
      '__Secure-gk_globex=s1',
      'gk_acme_login=n1',
      'gk_globex_login=n2',
    );
  if (s.credential === 'cookie') cookies.push(`gk_acme=${creds.cookie}`);
  if (s.credential === 'bogus-cookie') cookies.push('gk_acme=sess_bogus.c2VjcmV0');
  if (cookies.length > 0) lines.push(`${nameIn('Cookie', nc)}: ${cookies.join('; ')}`);
  if (s.credential === 'bearer') lines.push(`${nameIn('Authorization', nc)}: Bearer ${creds.bearer}`);
  let wireMethod = s.method;
  let requestTarget = s.path;
  if (s.target === 'forward-auth') {
    // What nginx's auth_request location sends (deploy/nginx): the original request in headers.
    wireMethod = 'GET';
    requestTarget = '/t/acme/auth';
    lines.push(`X-Original-URI: ${s.path}`, `X-Original-Method: ${s.method}`, `X-Forwarded-Proto: http`);
  }
  const body = bodyOf(s.body, rid);
  const { lines: framing, wire } = framed(s.framing, s.framing.kind === 'none' ? '' : body, s.chunking, nc);
  lines.push(...framing);
  const connection = [...(s.connection ?? [])];
  if (s.upgrade !== 'none') {
    connection.push('Upgrade');
    lines.push(`${nameIn('Upgrade', nc)}: ${s.upgrade}`);
    if (s.upgrade === 'websocket')
      lines.push('Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==');
  }
  const origin = ORIGINS[s.origin];
  if (origin) lines.push(`Origin: ${origin}`);
  // The last request asks the gateway to close, so the exchange ends when the answers do.
  if (last && !(s.version === '1.0' && !connection.some((t) => /keep-alive/i.test(t)))) connection.push('close');
  if (connection.length > 0) lines.push(`${nameIn('Connection', nc)}: ${connection.join(', ')}`);
  if (s.expect100) lines.push(`${nameIn('Expect', nc)}: 100-continue`);
  if (s.trailerHeader) lines.push(`${nameIn('Trailer', nc)}: X-Foo`);
  s.extras.forEach((e, i) => {
    const colon = e.indexOf(':');
    const name = nameIn(e.slice(0, colon), nc);
    const value = e.slice(colon + 1).trim();
    const sp = value.indexOf(' ');
    // obs-fold: the first extra's value continues on a line starting with a space.
    lines.push(
      s.obsFold && i === 0 && sp > 0
        ? `${name}: ${value.slice(0, sp)}\r\n ${value.slice(sp + 1)}`
        : `${name}: ${value}`,
    );
  });
  const bytes = `${wireMethod} ${requestTarget} HTTP/${s.version}\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n${wire}`;
  return {
    shape: s,
    rid: s.requestId === 'own' ? rid : null,
    wireMethod,
    body: s.framing.kind === 'none' ? '' : body,
    bytes,
  };
}

export function renderPipeline(p: PipelineShape, creds: Credentials, ridPrefix: string): RenderedRequest[] {
  return p.requests.map((r, i) => renderRequest(r, creds, `${ridPrefix}-${i}`, i === p.requests.length - 1));
}

// ---------------------------------------------------------------- the oracle

/** What the gateway may do with a request it reads as the client meant it. */
export type Expected = 'anonymous' | 'bob' | 'refused';

/** Headers a client's Connection may not name (SPEC §3.4): such a request gets 400. */
const CONNECTION_FORBIDDEN =
  /^(host|content-length|transfer-encoding|x[-_]auth[-_].*|x-forwarded-(for|proto|host)|x-request-id)$/i;

export function connectionNamesForbidden(s: RequestShape): boolean {
  return (s.connection ?? []).flatMap((t) => t.split(',')).some((t) => CONNECTION_FORBIDDEN.test(t.trim()));
}

/**
 * SPEC §2: `/public/**` and `/healthz` are anonymous only when the path matches as written
 * and lower-cased; `/admin/**` (any case) needs the admin role, which bob lacks; the rest
 * needs a valid credential. §3.5: a cookie-authenticated WebSocket upgrade with a foreign
 * Origin is refused.
 */
export function expectedFor(s: RequestShape): Expected {
  const path = s.path.split('?', 1)[0]!;
  const lower = path.toLowerCase();
  const anonymous = (p: string): boolean => p.startsWith('/public/') || p === '/healthz';
  if (anonymous(path) && anonymous(lower)) return 'anonymous';
  if (s.credential !== 'cookie' && s.credential !== 'bearer') return 'refused';
  if (lower === '/admin' || lower.startsWith('/admin/')) return 'refused';
  if (s.target === 'proxy' && s.upgrade === 'websocket' && s.credential === 'cookie' && s.origin === 'evil')
    return 'refused';
  return 'bob';
}

/** Header names an app would read as X-Auth-* (any case, `_` for `-`). */
export function authLike(headers: Record<string, unknown>): string[] {
  return Object.keys(headers).filter((n) => n.toLowerCase().replace(/_/g, '-').startsWith('x-auth-'));
}

/** Removed from every peer (SPEC §3.4): they would make the app see another request. */
export const REWRITE_HEADERS = [
  'x-original-url',
  'x-original-uri',
  'x-rewrite-url',
  'x-original-method',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
];
/** Removed from untrusted peers (SPEC §3.4), besides X-Forwarded-For/-Proto/-Host which the gateway sets. */
export const FORWARDING_FAMILY = [
  'forwarded',
  'x-real-ip',
  'true-client-ip',
  'x-client-ip',
  'x-cluster-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-forwarded-server',
];
/** Any tenant's gateway cookie, login cookies included (SPEC §3.4). */
export const GATEWAY_COOKIE = /^(__Host-|__Secure-)?gk_/;
