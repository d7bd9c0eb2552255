// The Redis store's event subscription: one dedicated subscriber connection per store,
// subscribed to `<keyPrefix>events` (ioredis does not prefix channel names).
//
// We subscribe ourselves on every 'ready' (autoResubscribe off) instead of relying on
// ioredis's automatic re-subscription: ioredis writes that SUBSCRIBE during its ready
// handler but nobody can await its reply, so "reconnected" could be announced before
// the server has the subscription. Here onReconnect runs only after the SUBSCRIBE reply,
// so anything published after it is delivered.
//
// Standalone and Sentinel: a duplicate of the main client, which reconnects forever (and
// a Sentinel duplicate asks the sentinels for the current master each time).
// Cluster: a plain connection to one cluster node (PUBLISH reaches every node's
// subscribers); when it ends, a new connection to a node picked again replaces it.
// ioredis's own cluster subscription does the same internally but reports no event when
// it has re-subscribed, and that event is what our callers need.
import { randomInt } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisConfig } from '../config/types.js';
import type { EventHandlers } from './events.js';

export interface SubscriberOptions {
  channel: string;
  /** A new, connecting subscriber connection. */
  open(): Redis;
  /** Delay before opening a replacement after a connection ended for good (attempt ≥ 1). */
  backoff(attempt: number): number;
  log: Logger;
}

export class RedisSubscriber {
  readonly #opts: SubscriberOptions;
  readonly #handlers = new Set<EventHandlers>();
  #conn: Redis | null = null;
  #subscribed = false;
  #everSubscribed = false;
  #closed = false;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  #resolveFirst!: () => void;
  readonly #first = new Promise<void>((resolve) => (this.#resolveFirst = resolve));

  constructor(opts: SubscriberOptions) {
    this.#opts = opts;
    this.#connect();
  }

  /** Subscribed right now: every message published from here on is delivered. */
  get subscribed(): boolean {
    return this.#subscribed;
  }

  #connect(): void {
    if (this.#closed) return;
    const conn = this.#opts.open();
    this.#conn = conn;
    conn.on('ready', () => void this.#onReady(conn));
    conn.on('message', (channel: string, message: string) => {
      if (conn === this.#conn && channel === this.#opts.channel) this.#deliver(message);
    });
    // Errors surface as 'close' and reconnects; an 'error' without a listener would throw.
    conn.on('error', () => {});
    conn.on('close', () => {
      if (conn !== this.#conn || !this.#subscribed) return;
      this.#subscribed = false;
      this.#opts.log.warn({ channel: this.#opts.channel }, 'store event subscription lost');
    });
    conn.once('end', () => {
      if (conn !== this.#conn || this.#closed) return;
      // This connection will not come back by itself (Cluster node connection): replace it.
      this.#conn = null;
      this.#timer = setTimeout(() => this.#connect(), this.#opts.backoff(++this.#attempt));
      this.#timer.unref();
    });
  }

  async #onReady(conn: Redis): Promise<void> {
    try {
      await conn.subscribe(this.#opts.channel);
    } catch (err) {
      // The connection went away again; its next 'ready' (or its replacement) retries.
      this.#opts.log.debug({ err: (err as Error).message }, 'store event subscribe failed');
      return;
    }
    if (conn !== this.#conn || this.#closed || this.#subscribed) return;
    this.#subscribed = true;
    this.#attempt = 0;
    if (!this.#everSubscribed) {
      this.#everSubscribed = true;
      this.#resolveFirst();
      return;
    }
    this.#opts.log.info({ channel: this.#opts.channel }, 'store event subscription re-established');
    for (const h of [...this.#handlers]) this.#call(() => h.onReconnect());
  }

  #deliver(message: string): void {
    for (const h of [...this.#handlers]) this.#call(() => h.onMessage(message));
  }

  /** One failing handler must neither stop the others nor kill the connection's emitter. */
  #call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#opts.log.error({ err: (err as Error).message }, 'store event handler failed');
    }
  }

  /**
   * Adds the handlers; resolves once the channel has been subscribed at least once (a later
   * loss is reported through onReconnect), rejects when that has not happened in time.
   */
  async add(h: EventHandlers, timeoutMs: number): Promise<() => void> {
    if (this.#closed) throw new Error('store closed');
    const entry = { ...h };
    this.#handlers.add(entry);
    if (!this.#everSubscribed) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
      const ok = await Promise.race([this.#first.then(() => true), timedOut]);
      clearTimeout(timer);
      if (!ok) {
        this.#handlers.delete(entry);
        throw new Error(`no subscription to ${this.#opts.channel} within ${timeoutMs} ms`);
      }
    }
    return () => void this.#handlers.delete(entry);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#handlers.clear();
    this.#conn?.disconnect();
    this.#conn = null;
  }
}

/**
 * A new subscriber connection: a duplicate of a standalone or Sentinel client, or for a
 * Cluster a connection to one node picked at random (from the nodes the cluster client
 * knows, else the configured ones) that never reconnects by itself.
 */
export function openSubscriber(
  client: Redis | Cluster,
  cfg: RedisConfig,
  timeouts: { connectTimeout: number; commandTimeout: number },
): Redis {
  if (!(client instanceof Cluster)) return client.duplicate({ autoResubscribe: false, lazyConnect: false });
  const known = client
    .nodes('all')
    .flatMap((n) => (n.options.host && n.options.port ? [{ host: n.options.host, port: n.options.port }] : []));
  const nodes = known.length > 0 ? known : 'cluster' in cfg ? cfg.cluster : [];
  const node = nodes[randomInt(Math.max(1, nodes.length))];
  return new Redis({
    host: node?.host,
    port: node?.port,
    ...timeouts,
    enableOfflineQueue: false,
    autoResubscribe: false,
    // Never back to the same node by itself: on 'end' RedisSubscriber picks a node again.
    retryStrategy: () => null,
  });
}
