// Forwarding to the upstream with http-proxy over keep-alive agents: the request is
// rewritten (normalised path, stripped headers, identity headers, X-Forwarded-*), and
// the upstream's Set-Cookie for the gateway's cookie is dropped on the way back.
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { parse as parseUrl, type Url } from 'node:url';
import httpProxy from 'http-proxy';
import type { Deps } from '../deps.js';
import { GatewayError } from '../errors.js';
import type { AppRuntime } from '../registry.js';
import type { Identity, NormalizedTarget } from '../pipeline/scope.js';
import { peerIsTrusted } from '../util/client-ip.js';
import { setIdentityHeaders, stripClientHeaders, withoutCookies } from './identity-headers.js';
import { TurnBatch } from './turn-batch.js';

export interface Forwarder {
  web(req: http.IncomingMessage, res: http.ServerResponse, fwd: ForwardInfo): void;
  ws(req: http.IncomingMessage, socket: Duplex, head: Buffer, fwd: ForwardInfo): void;
  close(): void;
}

export interface ForwardInfo {
  app: AppRuntime;
  target: NormalizedTarget;
  identity: Identity | null;
  clientIp: string;
  onError(err: GatewayError): void;
}

export function createForwarder(deps: Deps): Forwarder {
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 64 });
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 64 });
  const proxy = httpProxy.createProxyServer({ xfwd: false, ws: true, changeOrigin: false });
  const batch = new TurnBatch((err) => deps.log.error({ err }, 'batched forwarding failed'));

  // Per-request facts http-proxy's events need, without decorating the request object.
  const cookieNamesOf = new WeakMap<http.IncomingMessage, ReadonlySet<string>>();
  const timedOut = new WeakSet<http.IncomingMessage>();

  proxy.on('proxyReq', (proxyReq, req, res) => {
    proxyReq.once('timeout', () => timedOut.add(req));
    // A client that goes away mid-response must free the upstream socket too: otherwise the
    // piped upstream response stalls under back-pressure and its keep-alive socket is never
    // returned to the agent (http-proxy #1559) — enough of them and every request queues.
    res.once('close', () => {
      if (!res.writableFinished) proxyReq.destroy();
    });
  });

  proxy.on('proxyRes', (proxyRes, req, res) => {
    // Connection management is hop-by-hop: the client's connection follows the client's
    // request (Node decided keep-alive from it), never the upstream's Connection header.
    delete proxyRes.headers['keep-alive'];
    proxyRes.headers.connection = (res as http.ServerResponse).shouldKeepAlive ? 'keep-alive' : 'close';
    const names = cookieNamesOf.get(req);
    const setCookie = proxyRes.headers['set-cookie'];
    if (names && setCookie) {
      const kept = setCookie.filter((c) => !names.has(c.slice(0, Math.max(0, c.indexOf('='))).trim()));
      if (kept.length > 0) proxyRes.headers['set-cookie'] = kept;
      else delete proxyRes.headers['set-cookie'];
    }
  });

  function prepare(req: http.IncomingMessage, fwd: ForwardInfo, upgrade: boolean): void {
    const tenant = fwd.app.tenant;
    const h = req.headers;
    const trustedPeer = peerIsTrusted(req, deps.trust);
    const priorXff = trustedPeer && typeof h['x-forwarded-for'] === 'string' ? h['x-forwarded-for'] : null;
    const proto = trustedPeer && typeof h['x-forwarded-proto'] === 'string' ? h['x-forwarded-proto'] : (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    const host = trustedPeer && typeof h['x-forwarded-host'] === 'string' ? h['x-forwarded-host'] : h.host;
    stripClientHeaders(h, upgrade);
    const names = tenant.cookie.gatewayNames;
    cookieNamesOf.set(req, names);
    const cookie = withoutCookies(typeof h.cookie === 'string' ? h.cookie : undefined, names);
    if (cookie === undefined) delete h.cookie;
    else h.cookie = cookie;
    const peer = req.socket.remoteAddress ?? fwd.clientIp;
    h['x-forwarded-for'] = priorXff ? `${priorXff}, ${peer}` : peer;
    h['x-forwarded-proto'] = proto;
    if (host !== undefined) h['x-forwarded-host'] = host;
    if (fwd.identity && fwd.app.config.identityHeaders) setIdentityHeaders(h, fwd.identity);
    req.url = fwd.target.path + fwd.target.query;
  }

  function agentFor(app: AppRuntime): http.Agent {
    return app.target.startsWith('https:') ? httpsAgent : httpAgent;
  }

  // http-proxy parses a string target on every request; each app's options are built once
  // (the legacy parser is what http-proxy itself uses; the input is configuration).
  const webOptions = new WeakMap<AppRuntime, { target: Url; agent: http.Agent; proxyTimeout: number }>();
  function optionsFor(app: AppRuntime): { target: Url; agent: http.Agent; proxyTimeout: number } {
    let o = webOptions.get(app);
    if (!o) webOptions.set(app, (o = { target: parseUrl(app.target), agent: agentFor(app), proxyTimeout: app.config.timeout * 1000 }));
    return o;
  }

  return {
    web(req, res, fwd) {
      prepare(req, fwd, false);
      batch.add(() => {
        // The client may have gone while the request waited for the end of the turn.
        if (res.destroyed) return;
        try {
          proxy.web(req, res, optionsFor(fwd.app), (err: NodeJS.ErrnoException) => {
            fwd.onError(timedOut.has(req) ? new GatewayError('ERR_GK_UPSTREAM_TIMEOUT', err.message) : new GatewayError('ERR_GK_UPSTREAM_UNREACHABLE', `${err.code ?? ''} ${err.message}`));
          });
        } catch (err) {
          // Outside the request's promise chain now: answer here (e.g. node:http refusing a header).
          deps.log.error({ err, app: fwd.app.name }, 'forwarding failed');
          fwd.onError(new GatewayError('ERR_GK_INTERNAL', 'forwarding failed'));
        }
      });
    },
    ws(req, socket, head, fwd) {
      prepare(req, fwd, true);
      proxy.ws(req, socket, head, { target: fwd.app.target, agent: agentFor(fwd.app) }, (err: NodeJS.ErrnoException) => {
        deps.log.warn({ err: err.message, app: fwd.app.name }, 'websocket upstream error');
        socket.destroy();
      });
    },
    close() {
      proxy.close();
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
