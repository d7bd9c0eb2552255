// createApp(deps): the HTTP server. Routes each request to ops endpoints, the gateway's
// own endpoints under /t/{slug}/, or the proxy pipeline (SPEC §3), and upgrades alike.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Deps } from './deps.js';
import { GatewayError, isGatewayError } from './errors.js';
import { findGatewayRoute } from './http/gateway-routes.js';
import { handleOps, OPS_PATHS, PROBE_PATHS } from './http/handlers/ops.js';
import { handleProxied, handleUpgrade } from './http/proxy-handler.js';
import { sendError } from './http/respond.js';
import { mfaChallenge, stepUpExtra } from './http/deny.js';
import { pageCsp } from './http/page-csp.js';
import { logAccess } from './http/access-log.js';
import { rawErrorAnswer } from './http/error-code.js';
import { envoyForwardAuth } from './http/handlers/forward-auth.js';
import { createForwarder } from './proxy/forward.js';
import { hasSingleHost, hostnameOf } from './util/host.js';
import { StoreUnavailableError } from './store/types.js';
import { clientIp } from './util/client-ip.js';
import type { GatewayContext } from './http/context.js';
import type { TenantRuntime } from './registry.js';

export interface App {
  server: http.Server;
  /** Ops-only listener handler (for server.ops.listen). */
  opsHandler: http.RequestListener;
  close(): Promise<void>;
}

const TENANT_PREFIX = /^\/t\/([a-z0-9-]{1,63})(\/[^?#]*)?(?:\?.*)?$/;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** X-Request-Id (SPEC §9): the client's when well-formed, else a new one; the upstream gets the same. */
function ensureRequestId(req: http.IncomingMessage): string {
  const rid = req.headers['x-request-id'];
  if (typeof rid === 'string' && REQUEST_ID.test(rid)) return rid;
  return (req.headers['x-request-id'] = randomUUID());
}

/** The context of a gateway endpoint; its URL is parsed only when a handler reads it. */
function gatewayContext(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  deps: Deps,
  tenant: TenantRuntime,
  url: string,
  params: Record<string, string>,
): GatewayContext {
  const publicUrl = deps.registry.config.server.publicUrl;
  let parsed: URL | undefined;
  return {
    req,
    res,
    deps,
    tenant,
    get url() {
      return (parsed ??= new URL(url, publicUrl));
    },
    params,
    clientIp: clientIp(req, deps.trust),
    publicUrl,
  };
}

export function createApp(deps: Deps): App {
  const forwarder = createForwarder(deps);

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    res.setHeader('x-request-id', ensureRequestId(req));
    logAccess(deps.log, req, res);
    const host = req.headers.host;
    // RFC 9112 §3.2: an HTTP/1.1 request without Host is refused (here rather than by Node, so
    // the answer carries its code); HTTP/1.0 may omit it.
    const hostMissing = host === undefined && (req.httpVersionMajor > 1 || req.httpVersionMinor >= 1);
    if (!hasSingleHost(req.rawHeaders) || hostMissing || (host !== undefined && hostnameOf(host) === null)) {
      // A missing or doubled Host is how front ends are made to disagree: answer, then close.
      res.shouldKeepAlive = false;
      return sendError(req, res, new GatewayError('ERR_GK_BAD_REQUEST', 'missing, repeated or malformed Host'));
    }
    const url = req.url ?? '/';
    const registry = deps.registry;
    const m = TENANT_PREFIX.exec(url);
    const tenant = m ? registry.tenants.get(m[1]!) : undefined;
    if (m && tenant) {
      const rest = m[2] ?? '/';
      // Envoy ext_authz: /t/{slug}/auth + the original path, any method (raw, not re-parsed).
      if (rest.startsWith('/auth/')) {
        return envoyForwardAuth(
          gatewayContext(req, res, deps, tenant, `/t/${tenant.slug}/auth`, {}),
          url.slice(`/t/${tenant.slug}/auth`.length),
        );
      }
      const found = findGatewayRoute(req.method ?? 'GET', rest);
      if (!found) return sendError(req, res, 'ERR_GK_NOT_FOUND', { slug: tenant.slug });
      if ('methodNotAllowed' in found) return sendError(req, res, 'ERR_GK_METHOD_NOT_ALLOWED', { slug: tenant.slug });
      res.setHeader('content-security-policy', pageCsp(tenant, deps.registry.config.server.publicUrl));
      return found.handler(gatewayContext(req, res, deps, tenant, url, found.params));
    }
    const path = url.split('?', 1)[0]!;
    // /metrics is not among them: it is served on the ops listener only.
    if (PROBE_PATHS.has(path)) {
      const host = hostnameOf(req.headers.host);
      if (!host || !registry.appForHost(host)) return handleOps(path, req, res, deps);
    }
    return handleProxied(req, res, deps, forwarder);
  }

  function fail(req: http.IncomingMessage, res: http.ServerResponse, err: unknown): void {
    if (isGatewayError(err)) {
      deps.log.info({ reqId: req.headers['x-request-id'], code: err.code, detail: err.detail }, 'request refused');
      const slug = TENANT_PREFIX.exec(req.url ?? '')?.[1];
      // RFC 6750 §3: a 401 names the scheme the API expects.
      // A refusal a second factor cures carries the RFC 9470 challenge (SPEC §13).
      const headers: Record<string, string> =
        err.status === 401 && slug
          ? {
              'www-authenticate':
                err.code === 'ERR_GK_MFA_REQUIRED' ? mfaChallenge(slug, err.maxAge) : `Bearer realm="${slug}"`,
            }
          : {};
      const extra = stepUpExtra(err.code, err.maxAge);
      return sendError(req, res, err, slug ? { slug, headers, extra } : { headers, extra });
    }
    if (err instanceof StoreUnavailableError) {
      deps.metrics.storeErrors.inc({ op: 'endpoint' });
      return sendError(req, res, err.code);
    }
    deps.log.error({ reqId: req.headers['x-request-id'], code: 'ERR_GK_INTERNAL', err }, 'unhandled error');
    sendError(req, res, 'ERR_GK_INTERNAL');
  }

  const server = http.createServer(
    // requireHostHeader: route() refuses a missing Host itself, with the error's code.
    { maxHeaderSize: deps.registry.config.server.maxHeaderBytes, requireHostHeader: false },
    (req, res) => {
      route(req, res).catch((err: unknown) => fail(req, res, err));
    },
  );
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    ensureRequestId(req);
    if (!hasSingleHost(req.rawHeaders)) return void socket.end(rawErrorAnswer('ERR_GK_BAD_REQUEST', 'Bad Request'));
    handleUpgrade(req, socket, head, deps, forwarder).catch((err: unknown) => {
      deps.log.error({ err }, 'upgrade failed');
      socket.destroy();
    });
  });
  // Malformed HTTP never crashes the process: answer 400 (431 for oversized headers).
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable) return socket.destroy();
    // The request was already handed over and its body failed to parse. A second answer here
    // would be read as the answer to the client's next request: never write one. An answer
    // already complete (a refusal) is let out first; one still in the making (a body being
    // forwarded) cannot end well and the connection is dropped, which also aborts upstream.
    const inFlight = (socket as Duplex & { _httpMessage?: http.ServerResponse | null })._httpMessage;
    if (inFlight) {
      if (inFlight.writableEnded && !inFlight.writableFinished)
        inFlight.once('finish', () => socket.destroy()).once('close', () => socket.destroy());
      else socket.destroy();
      return;
    }
    const code = err.code === 'HPE_HEADER_OVERFLOW' ? 'ERR_GK_HEADERS_TOO_LARGE' : 'ERR_GK_BAD_REQUEST';
    deps.log.info({ code, parser: err.code }, 'malformed request refused');
    socket.end(
      rawErrorAnswer(code, code === 'ERR_GK_HEADERS_TOO_LARGE' ? 'Request Header Fields Too Large' : 'Bad Request'),
    );
  });

  const opsHandler: http.RequestListener = (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    if (!OPS_PATHS.has(path)) return sendError(req, res, new GatewayError('ERR_GK_NOT_FOUND'));
    handleOps(path, req, res, deps).catch((err: unknown) => fail(req, res, err));
  };

  return {
    server,
    opsHandler,
    close() {
      return forwarder.close();
    },
  };
}
