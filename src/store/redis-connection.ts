// The Redis store's one connection (standalone, Sentinel or Cluster), shared by every
// concern: it fails fast, and every call through it that fails becomes a
// StoreUnavailableError, so that no caller can mistake an outage for "no session".
import { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisConfig } from '../config/types.js';
import { StoreUnavailableError } from './types.js';

export const CONNECT_TIMEOUT_MS = 1000;
export const COMMAND_TIMEOUT_MS = 1000;
/** Reconnect forever, backing off to at most 1 s, so a Redis that comes back is used again. */
export const backoff = (times: number): number => Math.min(50 * 2 ** Math.min(times, 5), 1000);

/**
 * The request path must not queue behind a dead Redis: no offline queue, one retry, short
 * timeouts. Every call then rejects within about a second while Redis is away.
 */
export function connectRedis(cfg: RedisConfig, keyPrefix: string): Redis | Cluster {
  // Auto-pipelining: the commands of every request arriving in the same event-loop turn
  // leave in one socket write. Without it each lookup is a syscall of its own, which
  // profiling showed as 15% of the gateway's CPU on the cookie path.
  const node = {
    keyPrefix,
    maxRetriesPerRequest: 1,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    enableAutoPipelining: true,
  };
  if ('cluster' in cfg) {
    return new Cluster(cfg.cluster, {
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      clusterRetryStrategy: backoff,
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
  #connected = false;
  readonly #firstReady: Promise<void>;
  #initialWait: Promise<void> | undefined;

  constructor(cfg: RedisConfig, keyPrefix: string, log: Logger) {
    this.#log = log;
    const client = connectRedis(cfg, keyPrefix);
    let up = false;
    this.#firstReady = new Promise((resolve) => client.once('ready', resolve));
    client.on('ready', () => {
      this.#connected = up = true;
      this.#log.info('redis store connected');
    });
    // Log the transition, not every reconnect attempt of an outage.
    client.on('error', (err: Error) => {
      if (up) this.#log.warn({ err: err.message }, 'redis store unavailable');
      up = false;
    });
    this.client = client;
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
