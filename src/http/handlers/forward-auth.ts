// GET /t/{slug}/auth: the forward-auth decision for nginx `auth_request` and Traefik
// `forwardAuth` (SPEC §6). It runs the proxy's pipeline; only the input and the answer differ.
import type { IncomingMessage } from 'node:http';
import { GatewayError, type ErrorCode } from '../../errors.js';
import { runPipeline } from '../../pipeline/run.js';
import { decisionLabel } from '../../pipeline/scope.js';
import { observeDecision } from '../../util/metrics.js';
import type { Decision } from '../../pipeline/scope.js';
import { setIdentityHeaders } from '../../proxy/identity-headers.js';
import { signIdentity } from '../../proxy/sign-identity.js';
import { hostnameOf } from '../../util/host.js';
import { peerIsTrusted } from '../../util/client-ip.js';
import type { Deps } from '../../deps.js';
import type { ProxyDeps } from '../../pipeline/index.js';
import type { RunDeps } from '../../pipeline/run.js';
import type { GatewayContext, Handler } from '../context.js';
import { challenge, STEP_CODES, stepUpExtra, stepUrl } from '../deny.js';
import { tagError } from '../error-code.js';
import { isBrowserRequest, redirect, sendError } from '../respond.js';

type Deny = Extract<Decision, { kind: 'deny' }>;

/** The request the proxy in front of us is asking about. */
export interface OriginalRequest {
  method: string;
  /** Path and query exactly as the client sent them; the pipeline normalises. */
  uri: string;
  /** Host header value (with its port, if any). */
  host: string;
  proto: 'http' | 'https';
}

const FORWARDED = [
  'x-original-uri',
  'x-original-method',
  'x-forwarded-uri',
  'x-forwarded-method',
  'x-forwarded-host',
  'x-forwarded-proto',
] as const;
type ForwardedName = (typeof FORWARDED)[number];
const FORWARDED_NAMES: ReadonlySet<string> = new Set(FORWARDED);
const isForwardedName = (name: string): name is ForwardedName => FORWARDED_NAMES.has(name);

// RFC 9110 §5.6.2 token: a method is nothing else.
const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}$/;
// Traefik's entrypoint reports WebSocket upgrades as ws/wss.
const PROTO: Readonly<Record<string, 'http' | 'https'>> = { http: 'http', https: 'https', ws: 'http', wss: 'https' };

export type ParsedOriginal = { ok: true; original: OriginalRequest } | { ok: false; reason: string };

/**
 * Reads the original request from the nginx or the Traefik header set. Both sets at once
 * is refused: Traefik copies every client header into its auth request, so a client could
 * otherwise add an `X-Original-URI` naming a harmless path while asking for another one
 * (and nginx passes a client's `X-Forwarded-Uri` through unless the config clears it).
 * A repeated header is refused too: we cannot tell which proxy wrote which copy.
 */
export function readOriginal(req: IncomingMessage): ParsedOriginal {
  const v: Partial<Record<ForwardedName, string>> = {};
  // One pass over the raw headers (headersDistinct would build arrays for every header).
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!isForwardedName(name)) continue;
    if (v[name] !== undefined) return { ok: false, reason: `repeated_${name}` };
    v[name] = raw[i + 1]!;
  }
  const nginx = v['x-original-uri'];
  const traefik = v['x-forwarded-uri'];
  if (nginx !== undefined && traefik !== undefined) return { ok: false, reason: 'both_original_and_forwarded_uri' };
  const uri = nginx ?? traefik;
  if (uri === undefined || uri === '') return { ok: false, reason: 'missing_original_uri' };
  if (!uri.startsWith('/')) return { ok: false, reason: 'bad_original_uri' };
  // No default method: guessing GET would let a POST pass under a GET-only policy.
  const method = nginx !== undefined ? v['x-original-method'] : v['x-forwarded-method'];
  if (method === undefined || !METHOD.test(method)) return { ok: false, reason: 'bad_original_method' };
  const host = v['x-forwarded-host'] ?? req.headers.host;
  // Nothing hostnameOf accepts can turn the absolute login URL built from it into another origin.
  if (host === undefined || hostnameOf(host) === null) return { ok: false, reason: 'bad_original_host' };
  const rawProto = v['x-forwarded-proto'];
  const proto =
    rawProto !== undefined
      ? PROTO[rawProto.split(',', 1)[0]!.trim().toLowerCase()]
      : (req.socket as { encrypted?: boolean }).encrypted
        ? 'https'
        : 'http';
  if (proto === undefined) return { ok: false, reason: 'bad_original_proto' };
  return { ok: true, original: { method, uri, host, proto } };
}

/** The proxy's step table and its runner, the trusted proxies and the identity signer. */
type ForwardAuthDeps = ProxyDeps & RunDeps & Pick<Deps, 'trust' | 'assertions'>;

function refuse(ctx: GatewayContext<ForwardAuthDeps>, code: ErrorCode, reason: string): void {
  ctx.deps.log.info({ reqId: ctx.req.headers['x-request-id'], code, reason, ip: ctx.clientIp }, 'forward-auth refused');
  sendError(ctx.req, ctx.res, new GatewayError(code, reason), { slug: ctx.tenant.slug });
}

/**
 * 401 carries the absolute login URL (nginx's `error_page 401` sends the browser there, on
 * the app's own host); `?mode=redirect` (Traefik) turns it into 302/303 for browsers.
 */
function answerDenied(ctx: GatewayContext<ForwardAuthDeps>, d: Deny, o: OriginalRequest, redirectMode: boolean): void {
  const { req, res, tenant } = ctx;
  const slug = tenant.slug;
  // As the proxy does: every refusal but "no credential" is logged with its reason.
  if (d.code !== 'ERR_GK_UNAUTHENTICATED')
    ctx.deps.log.info(
      { reqId: req.headers['x-request-id'], code: d.code, reason: d.reason, ip: ctx.clientIp },
      'forward-auth refused',
    );
  if (!STEP_CODES.has(d.code)) return sendError(req, res, new GatewayError(d.code, d.reason), { slug });
  const origin = `${o.proto}://${o.host}`;
  const login = origin + stepUrl(slug, d.code, origin + o.uri, d.maxAge);
  // SPEC §3: a browser accepts text/html and is no XHR; the headers are the client's own,
  // copied into the auth request by nginx and Traefik.
  if (redirectMode && isBrowserRequest(req)) {
    tagError(res, d.code);
    return redirect(res, o.method === 'GET' || o.method === 'HEAD' ? 302 : 303, login);
  }
  sendError(req, res, new GatewayError(d.code, d.reason), {
    slug,
    headers: { 'www-authenticate': challenge(slug, d), 'x-auth-redirect': login, location: login },
    extra: stepUpExtra(d.code, d.maxAge),
  });
}

export const forwardAuth: Handler<ForwardAuthDeps> = async (ctx) => {
  // Forwarded headers from anyone else would let a client ask about any URL it likes.
  if (!peerIsTrusted(ctx.req, ctx.deps.trust)) return refuse(ctx, 'ERR_GK_BAD_FORWARDED', 'untrusted_peer');
  const mode = ctx.req.url?.includes('?') ? ctx.url.searchParams.get('mode') : null;
  if (mode !== null && mode !== 'redirect') return refuse(ctx, 'ERR_GK_BAD_REQUEST', 'unknown_mode');
  const parsed = readOriginal(ctx.req);
  if (!parsed.ok) return refuse(ctx, 'ERR_GK_BAD_REQUEST', parsed.reason);
  return decide(ctx, parsed.original, mode === 'redirect');
};

/**
 * Envoy's ext_authz HTTP service: the original method, `path_prefix` + the original path
 * and query, the original Host. Envoy hands a denial straight to the client, so browsers
 * get the redirect to login (as Traefik's mode=redirect).
 */
export async function envoyForwardAuth(ctx: GatewayContext<ForwardAuthDeps>, rawRest: string): Promise<void> {
  const { req } = ctx;
  if (!peerIsTrusted(req, ctx.deps.trust)) return refuse(ctx, 'ERR_GK_BAD_FORWARDED', 'untrusted_peer');
  const host = req.headers.host;
  const method = req.method ?? '';
  if (host === undefined || hostnameOf(host) === null) return refuse(ctx, 'ERR_GK_BAD_REQUEST', 'bad_original_host');
  if (!METHOD.test(method)) return refuse(ctx, 'ERR_GK_BAD_REQUEST', 'bad_original_method');
  const xfp = req.headersDistinct['x-forwarded-proto'];
  const proto = xfp
    ? PROTO[xfp[0]!.split(',', 1)[0]!.trim().toLowerCase()]
    : (req.socket as { encrypted?: boolean }).encrypted
      ? 'https'
      : 'http';
  if (proto === undefined || (xfp && xfp.length !== 1)) return refuse(ctx, 'ERR_GK_BAD_REQUEST', 'bad_original_proto');
  return decide(ctx, { method, uri: rawRest, host, proto }, true);
}

async function decide(ctx: GatewayContext<ForwardAuthDeps>, o: OriginalRequest, redirectMode: boolean): Promise<void> {
  const started = process.hrtime.bigint();
  const { req, res, deps, tenant } = ctx;
  const { decision, scope } = await runPipeline(
    {
      method: o.method,
      hostname: hostnameOf(o.host),
      target: o.uri,
      headers: req.headers,
      clientIp: ctx.clientIp,
      tenantSlug: tenant.slug,
    },
    deps,
  );
  observeDecision(deps.metrics, decisionLabel(decision), tenant.slug, started);
  if (decision.kind === 'deny') return answerDenied(ctx, decision, o, redirectMode);
  // Only the pipeline's identity goes back (with its X-Auth-Jwt, as the proxy sends it, and
  // only for apps with identityHeaders on): nothing from the request is echoed.
  const app = scope.app!;
  const headers: Record<string, string | number> = { 'cache-control': 'no-store', 'content-length': 0 };
  const identity = app.config.identityHeaders ? await signIdentity(deps, decision.identity, app) : null;
  if (identity) setIdentityHeaders(headers, identity);
  res.writeHead(200, headers);
  res.end();
}
