// The messages between load-in-worker.ts and its worker (load-worker.ts).
import type { ConfigIssue } from '../config/zod-helpers.js';
import type { GatewayConfig } from '../config/types.js';
import type { IndexOrder } from './user-index.js';

export interface WorkerInput {
  path: string;
  /** Where ${NAME} is looked up; undefined: the worker's copy of process.env. */
  env?: Record<string, string | undefined>;
}

export type FromWorker =
  /** The configuration is invalid: every error, as the synchronous loader reports them. */
  | { type: 'invalid'; errors: ConfigIssue[] }
  /** The next users of a tenant's list, in file order, as a JSON array of UserRecord. */
  | { type: 'users'; slug: string; json: string }
  /** The tenant's users are all sent; their index order. */
  | { type: 'order'; slug: string; count: number; order: IndexOrder }
  /** Last: the configuration, every tenant's `users` left empty (sent above). */
  | { type: 'config'; config: GatewayConfig }
  | { type: 'crash'; message: string };
