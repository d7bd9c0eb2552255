// /healthz, /readyz and /metrics for probes and Prometheus. The probes answer on the ops
// listener and on the main listener for non-app hosts; /metrics only on the ops listener.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Deps } from '../../deps.js';
import type { SessionStore } from '../../store/types.js';
import { tagError } from '../error-code.js';
import { sendJson } from '../respond.js';

/** Answered on the main listener too (for a Host that is not an app's). */
export const PROBE_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz']);
/** Everything the ops listener (server.ops.listen) answers. */
export const OPS_PATHS: ReadonlySet<string> = new Set([...PROBE_PATHS, '/metrics']);

/** The shutdown flag, the store's ping and the metrics registry. */
export type OpsDeps = Pick<Deps, 'shuttingDown' | 'metrics'> & { store: Pick<SessionStore, 'ping' | 'kind'> };

export async function handleOps(
  path: string,
  _req: IncomingMessage,
  res: ServerResponse,
  deps: OpsDeps,
): Promise<void> {
  if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
  if (path === '/readyz') {
    if (deps.shuttingDown) {
      tagError(res, 'ERR_GK_SHUTTING_DOWN');
      return sendJson(res, 503, { status: 'shutting_down', code: 'ERR_GK_SHUTTING_DOWN' });
    }
    try {
      await deps.store.ping();
      return sendJson(res, 200, { status: 'ready', store: deps.store.kind });
    } catch {
      tagError(res, 'ERR_GK_STORE_UNAVAILABLE');
      return sendJson(res, 503, {
        status: 'store_unavailable',
        store: deps.store.kind,
        code: 'ERR_GK_STORE_UNAVAILABLE',
      });
    }
  }
  const body = await deps.metrics.registry.metrics();
  res.writeHead(200, { 'content-type': deps.metrics.registry.contentType, 'cache-control': 'no-store' });
  res.end(body);
}
