// The forwarding engine. HTTP requests go to the upstream through undici (one keep-alive
// Pool per upstream origin; the response streamed straight into the client's, with
// back-pressure both ways); WebSocket upgrades through a node:http tunnel (ws-tunnel.ts
// says why not http-proxy). Both send the request built by allow-list in
// outgoing-request.ts, never the client's headers as they came.
//
// Error boundary: whatever fails for one request — a refusal by undici, an upstream that
// resets, a throw inside a callback — ends as that request's 400/502/504 (or a destroyed
// response once its head is sent) and frees its sockets; it never reaches the process.
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { Pool } from 'undici';
import type { Deps } from '../deps.js';
import { GatewayError } from '../errors.js';
import type { AppRuntime } from '../registry.js';
import type { Identity } from '../authn/identity.js';
import type { NormalizedTarget } from '../pipeline/scope.js';
import { peerIsTrusted } from '../util/client-ip.js';
import { bodyLength, outgoingHeaders } from './outgoing-request.js';
import { clientResponseHeaders } from './response-headers.js';
import { TurnBatch } from './turn-batch.js';
import { openTunnel } from './ws-tunnel.js';

export interface Forwarder {
  web(req: http.IncomingMessage, res: http.ServerResponse, fwd: ForwardInfo): void;
  ws(req: http.IncomingMessage, socket: Duplex, head: Buffer, fwd: ForwardInfo): void;
  close(): Promise<void>;
}

export interface ForwardInfo {
  app: AppRuntime;
  target: NormalizedTarget;
  identity: Identity | null;
  onError(err: GatewayError): void;
}

/** An undici failure as the client's answer: timeouts 504, refusals of the request 400, the rest 502. */
export function upstreamError(err: Error & { code?: string }): GatewayError {
  const code = err.code ?? '';
  const detail = `${code} ${err.message}`;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT')
    return new GatewayError('ERR_GK_UPSTREAM_TIMEOUT', detail);
  if (
    code === 'UND_ERR_INVALID_ARG' ||
    code === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH' ||
    code === 'UND_ERR_NOT_SUPPORTED'
  )
    return new GatewayError('ERR_GK_BAD_REQUEST', detail);
  return new GatewayError('ERR_GK_UPSTREAM_UNREACHABLE', detail);
}

export function createForwarder(deps: Pick<Deps, 'log' | 'trust'>): Forwarder {
  const pools = new Map<string, Pool>();
  const batch = new TurnBatch((err) => deps.log.error({ err }, 'batched forwarding failed'));

  function poolFor(app: AppRuntime): Pool {
    let pool = pools.get(app.target);
    if (!pool) {
      // pipelining 1: one request per upstream connection at a time, so one response can
      // never be read as another's.
      pool = new Pool(app.target, { connections: 512, pipelining: 1, keepAliveTimeout: 4000 });
      pools.set(app.target, pool);
    }
    return pool;
  }

  function dispatch(req: http.IncomingMessage, res: http.ServerResponse, fwd: ForwardInfo): void {
    const timeoutMs = fwd.app.config.timeout * 1000;
    const length = bodyLength(req);
    let abort: ((err?: Error) => void) | null = null;
    let done = false;
    const fail = (err: GatewayError): void => {
      if (done) return;
      done = true;
      abort?.(err);
      fwd.onError(err);
    };
    // A client that goes away cancels the upstream request and frees its socket.
    res.once('close', () => {
      if (!res.writableFinished && !done) {
        done = true;
        abort?.();
      }
    });
    poolFor(fwd.app).dispatch(
      {
        origin: fwd.app.target,
        path: fwd.target.path + fwd.target.query,
        method: req.method ?? 'GET',
        headers: outgoingHeaders(req, {
          trustedPeer: peerIsTrusted(req, deps.trust),
          identity: fwd.identity,
          upgrade: false,
        }),
        // undici frames the body itself: Content-Length when known, else chunked — for
        // every method, and it closes the upstream socket after a body on a method that
        // does not expect one, so nothing is left to be read as a second request.
        body: length === 0 ? null : req,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      },
      {
        onConnect(a) {
          abort = a;
          if (done) a();
        },
        onHeaders(statusCode, rawHeaders, resume) {
          if (done) return false;
          if (statusCode < 200) return true; // 1xx: Node answers the client's Expect itself
          try {
            // An object, not a flat list: the response already has headers (X-Request-Id),
            // and writeHead then sets each name once — a repeated Set-Cookie must be one array.
            res.writeHead(statusCode, clientResponseHeaders(rawHeaders));
            // An answer queued behind another on a pipelined connection: Node puts the head of
            // its first Buffer write at the FRONT of the queue, ahead of a 100 Continue queued
            // for it, so the client would read the interim answer inside this one. Flushing the
            // head now queues it in order (found by npm run fuzz).
            if (res.socket === null) res.flushHeaders();
          } catch (err) {
            fail(new GatewayError('ERR_GK_UPSTREAM_UNREACHABLE', `unusable response head: ${(err as Error).message}`));
            return false;
          }
          res.on('drain', resume);
          return true;
        },
        onData(chunk) {
          if (done) return false;
          return res.write(chunk);
        },
        onComplete() {
          if (done) return;
          done = true;
          res.end();
        },
        onError(err) {
          if (done) return;
          const mapped = upstreamError(err as Error & { code?: string });
          if (res.headersSent) {
            done = true;
            deps.log.warn(
              { app: fwd.app.name, code: mapped.code, detail: mapped.detail },
              'upstream failed mid-response',
            );
            res.destroy();
            return;
          }
          fail(mapped);
        },
      },
    );
  }

  return {
    web(req, res, fwd) {
      batch.add(() => {
        // The client may have gone while the request waited for the end of the turn.
        if (res.destroyed) return;
        try {
          dispatch(req, res, fwd);
        } catch (err) {
          deps.log.error({ err, app: fwd.app.name }, 'forwarding failed');
          fwd.onError(upstreamError(err as Error & { code?: string }));
        }
      });
    },
    ws(req, socket, head, fwd) {
      const headers = outgoingHeaders(req, {
        trustedPeer: peerIsTrusted(req, deps.trust),
        identity: fwd.identity,
        upgrade: true,
      });
      const target = {
        origin: new URL(fwd.app.target),
        path: fwd.target.path + fwd.target.query,
        headers,
        timeoutMs: fwd.app.config.timeout * 1000,
      };
      openTunnel(socket, head, target, (err) => {
        deps.log.warn({ err: err.message, app: fwd.app.name }, 'websocket upstream error');
        fwd.onError(
          err.code === 'ETIMEDOUT'
            ? new GatewayError('ERR_GK_UPSTREAM_TIMEOUT', err.message)
            : new GatewayError('ERR_GK_UPSTREAM_UNREACHABLE', err.message),
        );
      });
    },
    async close() {
      await Promise.all([...pools.values()].map((p) => p.destroy()));
      pools.clear();
    },
  };
}
