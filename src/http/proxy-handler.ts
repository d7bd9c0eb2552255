// Proxied traffic: refuse what cannot be forwarded as exactly one request, run the
// pipeline, then forward (HTTP or WebSocket) or answer the refusal.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Deps } from '../deps.js';
import { runPipeline } from '../pipeline/run.js';
import type { PipelineInput } from '../pipeline/scope.js';
import type { Forwarder } from '../proxy/forward.js';
import { framingError } from '../proxy/outgoing-request.js';
import { upgradeOriginAllowed } from '../proxy/upgrade-origin.js';
import { hostnameOf } from '../util/host.js';
import { clientIp, peerIsTrusted } from '../util/client-ip.js';
import { GatewayError, type ErrorCode } from '../errors.js';
import { decisionLabel } from '../pipeline/scope.js';
import { observeDecision } from '../util/metrics.js';
import { signIdentity } from '../proxy/sign-identity.js';
import { requestOrigin } from '../util/request-origin.js';
import { answerDenied } from './deny.js';
import { rawErrorAnswer } from './error-code.js';
import { sendError } from './respond.js';

function inputOf(req: IncomingMessage, deps: Deps): PipelineInput {
  return {
    method: req.method ?? 'GET',
    hostname: hostnameOf(req.headers.host),
    target: req.url ?? '/',
    headers: req.headers,
    clientIp: clientIp(req, deps.trust),
  };
}

/** The URL the browser asked for, for `rd` after login. */
function originalUrl(req: IncomingMessage, deps: Deps): string {
  return `${requestOrigin(req, peerIsTrusted(req, deps.trust))}${req.url ?? '/'}`;
}

export async function handleProxied(
  req: IncomingMessage,
  res: ServerResponse,
  deps: Deps,
  forwarder: Forwarder,
): Promise<void> {
  const started = process.hrtime.bigint();
  const bad = framingError(req, false);
  if (bad !== null) {
    deps.log.info({ reqId: req.headers['x-request-id'], reason: bad, code: 'ERR_GK_BAD_FRAMING' }, 'request refused');
    // The rest of this connection cannot be read safely (RFC 9112 §6.3): answer and close.
    res.shouldKeepAlive = false;
    return sendError(req, res, new GatewayError('ERR_GK_BAD_FRAMING', bad));
  }
  const input = inputOf(req, deps);
  const { decision, scope } = await runPipeline(input, deps);
  observeDecision(deps.metrics, decisionLabel(decision), scope.tenant?.slug, started);
  if (decision.kind === 'deny') {
    if (decision.code !== 'ERR_GK_UNAUTHENTICATED')
      deps.log.info(
        { reqId: req.headers['x-request-id'], reason: decision.reason, code: decision.code, ip: input.clientIp },
        'request refused',
      );
    return answerDenied(req, res, decision, scope.tenant?.slug, originalUrl(req, deps));
  }
  const app = scope.app!;
  const identity = app.config.identityHeaders ? await signIdentity(deps, decision.identity, app) : null;
  forwarder.web(req, res, {
    app,
    target: scope.target!,
    identity,
    onError: (err) => {
      deps.log.warn(
        { reqId: req.headers['x-request-id'], app: app.name, code: err.code, detail: err.detail },
        'upstream error',
      );
      sendError(req, res, err, { slug: app.tenant.slug });
    },
  });
}

function refuseUpgrade(socket: Duplex, code: ErrorCode): void {
  socket.end(rawErrorAnswer(code));
}

/**
 * Node hands over a pipelined upgrade as soon as it is parsed, while the answers to the
 * requests before it on the connection may still be on their way: anything written to the
 * socket now would overtake them. Wait until every one has finished — when one finishes,
 * Node attaches the next queued answer to the socket, so look again each time (found by
 * npm run fuzz: the answer after the current one was overtaken). An answer still attached
 * is waited for even when all its bytes are written (`writableFinished`): its 'finish' event,
 * whose handler in Node detaches it and attaches the next one, has not run yet (found by
 * npm run fuzz, seed 787837129: the upgrade overtook the answer queued behind a refusal).
 */
async function previousAnswersDone(socket: Duplex): Promise<void> {
  for (;;) {
    const pending = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (!pending || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        pending.off('finish', done);
        pending.off('close', done);
        socket.off('close', done);
        resolve();
      };
      pending.once('finish', done);
      pending.once('close', done);
      socket.once('close', done);
    });
    // Node's own 'finish' listener attaches the next answer; let it run before looking again.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

export async function handleUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  deps: Deps,
  forwarder: Forwarder,
): Promise<void> {
  await previousAnswersDone(socket);
  if (socket.destroyed) return;
  const bad = framingError(req, true);
  if (bad !== null) {
    deps.log.info({ reason: bad, code: 'ERR_GK_BAD_FRAMING' }, 'upgrade refused');
    return refuseUpgrade(socket, 'ERR_GK_BAD_FRAMING');
  }
  const input = inputOf(req, deps);
  const { decision, scope } = await runPipeline(input, deps);
  if (decision.kind === 'deny') {
    // As for plain requests: every refusal but "no credential" is logged with its reason.
    if (decision.code !== 'ERR_GK_UNAUTHENTICATED')
      deps.log.info({ reason: decision.reason, code: decision.code, ip: input.clientIp }, 'upgrade refused');
    return refuseUpgrade(socket, decision.code);
  }
  if (
    scope.credential === 'cookie' &&
    !upgradeOriginAllowed(req, peerIsTrusted(req, deps.trust), deps.registry.publicOrigin)
  ) {
    deps.log.info(
      { reason: 'cross_origin_upgrade', code: 'ERR_GK_CROSS_ORIGIN', origin: req.headers.origin, ip: input.clientIp },
      'upgrade refused',
    );
    return refuseUpgrade(socket, 'ERR_GK_CROSS_ORIGIN');
  }
  const app = scope.app!;
  const identity = app.config.identityHeaders ? await signIdentity(deps, decision.identity, app) : null;
  const keys = [decision.identity?.sessionId, scope.token?.jti].filter((k): k is string => typeof k === 'string');
  if (keys.length > 0) {
    deps.live.add(keys, socket, scope.session);
    // A revocation announced while this upgrade was decided found no socket to close.
    if (keys.some((k) => deps.revocations.has(k))) return refuseUpgrade(socket, 'ERR_GK_UNAUTHENTICATED');
  }
  forwarder.ws(req, socket, head, {
    app,
    target: scope.target!,
    identity,
    onError: (err) => refuseUpgrade(socket, err.code),
  });
}
