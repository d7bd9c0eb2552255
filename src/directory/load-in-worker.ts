// Loads the configuration file in a worker thread (load-worker.ts) so a reload of 100k users
// never stalls requests: the worker reads, parses and validates; this side only parses the
// users a few thousand at a time as the messages arrive (each a short task between
// requests), freezes them, and builds each tenant's directory in slices. The result is the
// same frozen GatewayConfig loadConfigFile gives, with the same ConfigError when invalid.
// Memory: the worker holds one file's parse of a few thousand users at a time, and is gone
// once done; this side holds the users once (no YAML document, no parse tree).
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { ConfigError, type Env } from '../config/load.js';
import type { GatewayConfig, TenantConfig, UserRecord } from '../config/types.js';
import { deepFreeze } from '../util/deep-freeze.js';
import { prebuildDirectory } from './directory.js';
import type { FromWorker, WorkerInput } from './load-protocol.js';
import type { IndexOrder } from './user-index.js';

// Built, the worker is the .js beside this file. Under tsx (tests, `src/main.ts`) it is the
// .ts source, which a worker can load only once it has registered tsx itself (Node 20 workers
// do not inherit the loader hooks).
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(FROM_SOURCE ? './load-worker.ts' : './load-worker.js', import.meta.url);

function startWorker(input: WorkerInput): Worker {
  if (!FROM_SOURCE) return new Worker(WORKER_URL, { workerData: input });
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL.href)}); })`;
  return new Worker(boot, { eval: true, workerData: input });
}

/** Yields to the event loop: pending I/O (requests) runs before the next slice. */
const pause = (): Promise<void> => nextTurn();

/** Freezes a user; identical role lists share one frozen array (100k users, a handful of lists). */
function freezeUser(u: UserRecord, roles: Map<string, readonly string[]>): UserRecord {
  const key = u.roles.join(',');
  let shared = roles.get(key);
  if (!shared) roles.set(key, (shared = Object.freeze(u.roles)));
  u.roles = shared;
  return Object.freeze(u);
}

/**
 * `loadConfigFile(path)` in a worker thread, then each tenant's directory built ahead in
 * slices (so buildRegistry only picks it up). Rejects with ConfigError like the loader.
 */
export async function loadConfigInWorker(path: string, opts: { env?: Env } = {}): Promise<GatewayConfig> {
  const users = new Map<string, UserRecord[]>();
  const orders = new Map<string, { count: number; order: IndexOrder }>();
  const roles = new Map<string, readonly string[]>();
  const input: WorkerInput = { path, env: opts.env ? { ...opts.env } : undefined };
  const config = await new Promise<GatewayConfig>((resolve, reject) => {
    const worker = startWorker(input);
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      fn();
      void worker.terminate();
    };
    worker.on('message', (msg: FromWorker) => {
      switch (msg.type) {
        case 'users': {
          const list = users.get(msg.slug) ?? [];
          users.set(msg.slug, list);
          for (const u of JSON.parse(msg.json) as UserRecord[]) list.push(freezeUser(u, roles));
          // The next message once the event loop has served what waits (requests).
          void pause().then(() => worker.postMessage('next'));
          break;
        }
        case 'order':
          orders.set(msg.slug, { count: msg.count, order: msg.order });
          break;
        case 'config':
          settle(() => resolve(msg.config));
          break;
        case 'invalid':
          settle(() => reject(new ConfigError(msg.errors)));
          break;
        case 'crash':
          settle(() => reject(new Error(`directory worker: ${msg.message}`)));
          break;
      }
    });
    worker.once('error', (err) => settle(() => reject(err)));
    worker.once('exit', (code) =>
      settle(() => reject(new Error(`directory worker exited (${code}) before sending the configuration`))),
    );
  });
  const tenants: Record<string, TenantConfig> = {};
  for (const [slug, t] of Object.entries(config.tenants)) {
    const list = Object.freeze(users.get(slug) ?? []);
    const o = orders.get(slug);
    if (!o || o.count !== list.length) throw new Error(`directory worker: the users of ${slug} were not all received`);
    await prebuildDirectory(list, o.order, pause);
    tenants[slug] = { ...t, users: list };
  }
  return deepFreeze({ ...config, tenants });
}
