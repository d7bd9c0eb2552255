// The IPC messages between a cluster primary and its workers (node:cluster's channel).
// Tagged `gk:` so they never collide with prom-client's own metrics requests on the same channel.

/** Worker → primary. */
export type WorkerMessage =
  /** The gateway is listening: its public URL, and the Unix socket its ops handler answers on. */
  { t: 'gk:listening'; url: string; ops: string };

/** Primary → worker. */
export type PrimaryMessage =
  /** Re-read the configuration file (as SIGHUP does to a single process). Stopping is SIGTERM. */
  { t: 'gk:reload' };

/** Where a worker learns the directory of the ops sockets (set by the primary for its forks). */
export const OPS_DIR_ENV = 'GATEKEEPER_CLUSTER_OPS_DIR';

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  return (
    typeof m === 'object' &&
    m !== null &&
    (m as { t?: unknown }).t === 'gk:listening' &&
    typeof (m as { url?: unknown }).url === 'string' &&
    typeof (m as { ops?: unknown }).ops === 'string'
  );
}

export function isPrimaryMessage(m: unknown): m is PrimaryMessage {
  const t = typeof m === 'object' && m !== null ? (m as { t?: unknown }).t : undefined;
  return t === 'gk:reload';
}
