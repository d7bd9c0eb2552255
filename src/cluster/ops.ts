// The ops listener of a cluster primary (server.ops.listen with server.workers > 1).
// /healthz: the primary is up. /readyz: every worker is there and its own /readyz says
// ready — the primary asks each worker's ops handler (the same code a single process
// answers with, src/http/handlers/ops.ts) on the worker's private Unix socket, so a
// worker's readiness is exactly what its /readyz would answer. /metrics: every worker's
// registry summed (prom-client's AggregatorRegistry over the cluster IPC channel).
import http from 'node:http';
import { GatewayError } from '../errors.js';
import { tagError } from '../http/error-code.js';
import { OPS_PATHS } from '../http/handlers/ops.js';
import { sendError, sendJson } from '../http/respond.js';

/** How long a worker may take to answer its /readyz before it counts as not ready. */
export const WORKER_PROBE_TIMEOUT_MS = 2_000;

export interface PrimaryOpsDeps {
  /** Workers that are listening: id and the Unix socket of their ops handler. */
  listening(): { id: number; ops: string }[];
  /** How many workers there should be (server.workers). */
  expected: number;
  shuttingDown(): boolean;
  metrics: { metrics(): Promise<string>; contentType: string };
}

interface Probe {
  id: number;
  status: number;
  body: Record<string, unknown>;
}

/** GET /readyz on one worker's ops socket; a worker that does not answer in time is a 503. */
function probe(id: number, socketPath: string): Promise<Probe> {
  return new Promise((resolve) => {
    const fail = (why: string): void => resolve({ id, status: 503, body: { status: 'worker_unavailable', why } });
    const req = http.get({ socketPath, path: '/readyz', timeout: WORKER_PROBE_TIMEOUT_MS }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('error', () => fail('answer cut'));
      res.on('end', () => {
        try {
          resolve({ id, status: res.statusCode ?? 503, body: JSON.parse(text) as Record<string, unknown> });
        } catch {
          fail('unreadable answer');
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => fail(err.message === 'timeout' ? 'no answer in time' : 'not reachable'));
  });
}

async function readiness(res: http.ServerResponse, deps: PrimaryOpsDeps): Promise<void> {
  if (deps.shuttingDown()) {
    tagError(res, 'ERR_GK_SHUTTING_DOWN');
    return sendJson(res, 503, { status: 'shutting_down', code: 'ERR_GK_SHUTTING_DOWN' });
  }
  const workers = deps.listening();
  const probes = await Promise.all(workers.map((w) => probe(w.id, w.ops)));
  const notReady = probes.find((p) => p.status !== 200);
  if (notReady) {
    // The worker's own answer (its status, code and store), naming the worker.
    const code = notReady.body.code;
    if (code === 'ERR_GK_SHUTTING_DOWN' || code === 'ERR_GK_STORE_UNAVAILABLE') tagError(res, code);
    return sendJson(res, notReady.status, { ...notReady.body, worker: notReady.id });
  }
  if (workers.length < deps.expected)
    return sendJson(res, 503, { status: 'workers_starting', workers: workers.length, expected: deps.expected });
  return sendJson(res, 200, { ...probes[0]?.body, status: 'ready', workers: workers.length });
}

export function primaryOpsHandler(deps: PrimaryOpsDeps): http.RequestListener {
  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    if (!OPS_PATHS.has(path)) return sendError(req, res, new GatewayError('ERR_GK_NOT_FOUND'));
    const answer = async (): Promise<void> => {
      if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
      if (path === '/readyz') return readiness(res, deps);
      const body = await deps.metrics.metrics();
      res.writeHead(200, { 'content-type': deps.metrics.contentType, 'cache-control': 'no-store' });
      res.end(body);
    };
    answer().catch(() => {
      if (!res.headersSent) sendError(req, res, 'ERR_GK_INTERNAL');
      else res.destroy();
    });
  };
}
