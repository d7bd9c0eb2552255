// The worker thread of load-in-worker.ts: loads the configuration file (YAML, schema, users
// and routes files: the very loader start and check-config use, so the errors are the same)
// and sorts each tenant's users for the index, off the gateway's event loop. It hands back
// the users as JSON strings of USERS_PER_MESSAGE users, one each time the main thread asks
// for the next (Node delivers every queued message in one turn: unasked, 100k users would
// arrive as one long task), the sort orders as transferred Int32Arrays, then the
// configuration without its user lists. The worker is terminated once done.
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { ConfigError, loadConfigFile, type Env } from '../config/load.js';
import type { GatewayConfig, TenantConfig } from '../config/types.js';
import { indexOrder } from './user-index.js';
import type { FromWorker, WorkerInput } from './load-protocol.js';

const USERS_PER_MESSAGE = 500;

function send(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(msg, transfer);
}

/** Resolves when the main thread asks for the next message. */
const asked = (): Promise<void> => new Promise((resolve) => parentPort!.once('message', () => resolve()));

async function run({ path, env }: WorkerInput): Promise<void> {
  let config: GatewayConfig;
  try {
    config = loadConfigFile(path, { env: env as Env | undefined });
  } catch (err) {
    if (err instanceof ConfigError) {
      send({ type: 'invalid', errors: [...err.errors] });
      return;
    }
    throw err;
  }
  const tenants: Record<string, TenantConfig> = {};
  for (const [slug, t] of Object.entries(config.tenants)) {
    const users = t.users;
    for (let i = 0; i < users.length; i += USERS_PER_MESSAGE) {
      send({ type: 'users', slug, json: JSON.stringify(users.slice(i, i + USERS_PER_MESSAGE)) });
      await asked();
    }
    const order = indexOrder(users);
    send({ type: 'order', slug, count: users.length, order }, [
      order.byKey.buffer as ArrayBuffer,
      order.emailRank.buffer as ArrayBuffer,
      order.wordRank.buffer as ArrayBuffer,
      order.wordStart.buffer as ArrayBuffer,
      order.wordLength.buffer as ArrayBuffer,
    ]);
    tenants[slug] = { ...t, users: [] };
  }
  send({ type: 'config', config: { ...config, tenants } });
}

// Lowest CPU priority for this thread only (on Linux a nice value is per thread): on a busy
// machine the reload takes longer rather than taking a core from the threads serving requests.
try {
  setPriority(19);
} catch {
  // not permitted here: the reload runs at normal priority
}

run(workerData as WorkerInput).catch((err: unknown) =>
  send({ type: 'crash', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
);
