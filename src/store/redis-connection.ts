// The Redis store's one connection (standalone, Sentinel or Cluster), shared by every
// concern: it fails fast, and every call through it that fails becomes a
// StoreUnavailableError, so that no caller can mistake an outage for "no session".
import { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisConfig } from '../config/types.js';
import { RedisHealth } from './redis-health.js';
import { StoreUnavailableError } from './types.js';

export const CONNECT_TIMEOUT_MS = 1000;
/**
 * How long a command may go unanswered: what a request waits for a node that is there but
 * silent (hung, or a host gone without a reset). Redis answers our commands in well under
 * a millisecond and no script of ours runs longer than a few; 500 ms leaves room for a busy
 * gateway's event loop without holding a request for a second.
 */
export const COMMAND_TIMEOUT_MS = 500;
/**
 * Cluster: a command that meets a lost node (its connection refused or closed) or a cluster
 * that calls itself down (CLUSTERDOWN) fails at once. ioredis' defaults retry both every
 * 100 ms up to 16 times, refreshing the slot map each time: 1.3–3.5 s before the 503, while
 * a failover takes seconds anyway. TRYAGAIN (a multi-key command during a resharding) is
 * tried again after CLUSTER_RETRY_DELAY_MS, and a MOVED/ASK is followed at once, at most
 * CLUSTER_MAX_REDIRECTIONS times in all: after a failover one or two hops reach the
 * promoted replica.
 */
export const CLUSTER_RETRY_DELAY_MS = 25;
export const CLUSTER_MAX_REDIRECTIONS = 4;
/** Bound of one readiness check, and its background re-check period while the store cannot serve. */
const HEALTH_TIMEOUT_MS = 500;
const HEALTH_RECHECK_MS = 500;
/** Reconnect forever, backing off to at most 1 s, so a Redis that comes back is used again. */
export const backoff = (times: number): number => Math.min(50 * 2 ** Math.min(times, 5), 1000);

/**
 * The request path must not queue behind a dead Redis: no offline queue, no resending after
 * a reconnect, short timeouts, bounded Cluster retries. Every call then rejects within
 * COMMAND_TIMEOUT_MS while a node is silent, and at once when its connection is refused
 * or drops.
 */
export function connectRedis(cfg: RedisConfig, keyPrefix: string): Redis | Cluster {
  // Auto-pipelining: the commands of every request arriving in the same event-loop turn
  // leave in one socket write. Without it each lookup is a syscall of its own, which
  // profiling showed as 15% of the gateway's CPU on the cookie path.
  const node = {
    keyPrefix,
    // A command in flight when its connection drops fails (503) instead of waiting for
    // the reconnect and being sent again: a write might then be applied twice.
    maxRetriesPerRequest: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    enableAutoPipelining: true,
  };
  if ('cluster' in cfg) {
    return new Cluster(cfg.cluster, {
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      clusterRetryStrategy: backoff,
      retryDelayOnFailover: 0,
      retryDelayOnClusterDown: 0,
      retryDelayOnTryAgain: CLUSTER_RETRY_DELAY_MS,
      maxRedirections: CLUSTER_MAX_REDIRECTIONS,
      redisOptions: node,
    });
  }
  const failFast = { ...node, enableOfflineQueue: false, retryStrategy: backoff };
  if ('sentinels' in cfg) {
    return new Redis({ sentinels: cfg.sentinels, name: cfg.name, sentinelRetryStrategy: backoff, ...failFast });
  }
  return new Redis(cfg.url, failFast);
}

/**
 * How a script meets Redis' `maxmemory` (with `noeviction`), declared with Redis 7 script
 * flags on its first line. 'refused-when-full': no flags, so Redis refuses the script before
 * it runs while memory is over the limit — nothing is half written and the caller answers
 * 503 (a script without flags is checked only at its first write that may grow memory, and
 * ours often start with a DEL, which is always allowed: they ran to the end over the limit).
 * 'runs-when-full' (`allow-oom`): the script only deletes, or overwrites what exists, and
 * must work then — a revocation frees memory.
 */
export type MemoryRule = 'refused-when-full' | 'runs-when-full';

const SHEBANG: Readonly<Record<MemoryRule, string>> = {
  'refused-when-full': '#!lua\n',
  'runs-when-full': '#!lua flags=allow-oom\n',
};

/** Lua scripts of one concern: command name → [script, number of KEYS, memory rule]. */
export type ScriptTable = Readonly<Record<string, readonly [string, number, MemoryRule]>>;

/** What a Redis concern needs of the connection: the client, its scripts, calls that fail as an outage. */
export interface RedisCalls {
  readonly client: Redis | Cluster;
  defineScripts(scripts: ScriptTable): void;
  run<T>(what: string, call: () => Promise<T>): Promise<T>;
}

export class RedisConnection implements RedisCalls {
  readonly client: Redis | Cluster;
  readonly #log: Logger;
  readonly #health: RedisHealth;
  #connected = false;
  readonly #firstReady: Promise<void>;
  #initialWait: Promise<void> | undefined;

  constructor(cfg: RedisConfig, keyPrefix: string, log: Logger) {
    this.#log = log;
    const client = connectRedis(cfg, keyPrefix);
    this.#firstReady = new Promise((resolve) => client.once('ready', resolve));
    client.on('ready', () => {
      this.#connected = true;
      this.#log.info('redis store connected');
    });
    // An 'error' without a listener would throw; redis-health.ts logs the outage (once).
    client.on('error', () => {});
    this.client = client;
    this.#health = new RedisHealth(client, { timeoutMs: HEALTH_TIMEOUT_MS, recheckMs: HEALTH_RECHECK_MS, log });
  }

  /**
   * Resolves when the store can serve every key (Cluster: every slot's master answers),
   * else StoreUnavailableError: what /readyz asks.
   */
  async checkHealth(): Promise<void> {
    if (!this.#connected) await (this.#initialWait ??= this.#waitForFirstConnect());
    await this.#health.check();
  }

  /** Registers a concern's scripts as commands of the client (before it first connects). */
  defineScripts(scripts: ScriptTable): void {
    for (const [name, [lua, numberOfKeys, memory]] of Object.entries(scripts))
      this.client.defineCommand(name, { lua: SHEBANG[memory] + lua, numberOfKeys });
  }

  /** Connected right now. */
  get ready(): boolean {
    return this.client.status === 'ready';
  }

  /**
   * Runs one Redis call; any failure becomes StoreUnavailableError. Before the very first
   * connection, waits for it (bounded), because without an offline queue a command sent
   * while connecting fails.
   */
  async run<T>(what: string, call: () => Promise<T>): Promise<T> {
    if (!this.#connected) await (this.#initialWait ??= this.#waitForFirstConnect());
    try {
      return await call();
    } catch (err) {
      throw new StoreUnavailableError(`redis ${what} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  /** One shared wait: once it has run out, calls fail fast like during any other outage. */
  async #waitForFirstConnect(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#firstReady, new Promise((resolve) => (timer = setTimeout(resolve, CONNECT_TIMEOUT_MS)))]);
    clearTimeout(timer);
  }

  async close(): Promise<void> {
    this.#health.close();
    // quit() lets pending replies arrive; while Redis is away, just drop the connection
    // (this also stops the reconnect loop).
    if (this.client.status === 'ready') {
      try {
        await this.client.quit();
        return;
      } catch {
        // fall through
      }
    }
    this.client.disconnect();
  }
}
