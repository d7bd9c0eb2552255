// Proxied traffic: build the pipeline input from the request, run the pipeline, then
// forward (HTTP or WebSocket) or answer the refusal.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Deps } from '../deps.js';
import { runPipeline } from '../pipeline/run.js';
import type { PipelineInput } from '../pipeline/scope.js';
import type { Forwarder } from '../proxy/forward.js';
import { hostnameOf } from '../registry.js';
import { clientIp, peerIsTrusted } from '../util/client-ip.js';
import { ERRORS } from '../errors.js';
import { decisionLabel } from '../pipeline/scope.js';
import { observeDecision } from '../util/metrics.js';
import { signIdentity } from '../proxy/sign-identity.js';
import { answerDenied } from './deny.js';
import { sendError } from './respond.js';

function inputOf(req: IncomingMessage, deps: Deps): PipelineInput {
  return { method: req.method ?? 'GET', hostname: hostnameOf(req.headers.host), target: req.url ?? '/', headers: req.headers, clientIp: clientIp(req, deps.trust) };
}

/** The URL the browser asked for, for `rd` after login. */
function originalUrl(req: IncomingMessage, deps: Deps): string {
  const fwdProto = peerIsTrusted(req, deps.trust) ? req.headers['x-forwarded-proto'] : undefined;
  const proto = typeof fwdProto === 'string' ? fwdProto.split(',')[0]!.trim() : (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  return `${proto}://${req.headers.host ?? ''}${req.url ?? '/'}`;
}

export async function handleProxied(req: IncomingMessage, res: ServerResponse, deps: Deps, forwarder: Forwarder): Promise<void> {
  const started = process.hrtime.bigint();
  const input = inputOf(req, deps);
  const { decision, scope } = await runPipeline(input, deps);
  observeDecision(deps.metrics, decisionLabel(decision), scope.tenant?.slug, started);
  if (decision.kind === 'deny') {
    if (decision.code !== 'ERR_GK_UNAUTHENTICATED') deps.log.info({ reqId: req.headers['x-request-id'], reason: decision.reason, code: decision.code, ip: input.clientIp }, 'request refused');
    return answerDenied(req, res, decision, scope.tenant?.slug, originalUrl(req, deps));
  }
  const app = scope.app!;
  const identity = await signIdentity(deps, decision.identity, app);
  forwarder.web(req, res, {
    app,
    target: scope.target!,
    identity,
    clientIp: input.clientIp,
    onError: (err) => {
      deps.log.warn({ reqId: req.headers['x-request-id'], app: app.name, code: err.code, detail: err.detail }, 'upstream error');
      sendError(req, res, err, { slug: app.tenant.slug });
    },
  });
}

export async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, deps: Deps, forwarder: Forwarder): Promise<void> {
  const input = inputOf(req, deps);
  const { decision, scope } = await runPipeline(input, deps);
  if (decision.kind === 'deny') {
    const e = ERRORS[decision.code];
    socket.end(`HTTP/1.1 ${e.status} ${e.error}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    return;
  }
  const identity = await signIdentity(deps, decision.identity, scope.app!);
  const keys = [identity?.sessionId, scope.token?.jti].filter((k): k is string => typeof k === 'string');
  if (keys.length > 0) deps.live.add(keys, socket);
  forwarder.ws(req, socket, head, { app: scope.app!, target: scope.target!, identity, clientIp: input.clientIp, onError: () => socket.destroy() });
}
