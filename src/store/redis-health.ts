// Whether the Redis store can serve every key right now, for /readyz, and one warn line when
// it stops and one when it serves again (never a line per request or per reconnect attempt).
//
// Standalone and Sentinel: the connection is ready and answers PING.
// Cluster: the client's slot map covers every slot, every master it names answers PING, and
// the cluster does not call itself down. A killed master is then noticed at once (its
// connection ends, or a new one is refused), before Redis itself marks it failed; after the
// failover the slot map is refreshed and the promoted replica answers. ioredis keeps a
// Cluster client 'ready' through all of that, so its status alone says nothing.
//
// Checks run when a probe asks and, in the background, on every connection error or lost
// node, then every recheckMs while the store cannot serve, so that the recovery is logged
// even when nobody probes.
import { Cluster, type Redis } from 'ioredis';
import type { Logger } from 'pino';
import { StoreUnavailableError } from './types.js';

const CLUSTER_SLOTS = 16384;

export interface RedisHealthOptions {
  /** Bound of one whole check (the PINGs run in parallel). */
  timeoutMs: number;
  /** Background re-check period while the store cannot serve. */
  recheckMs: number;
  log: Pick<Logger, 'warn'>;
}

/** Why the store cannot serve: node addresses and reasons only, never a credential. */
export interface Unhealthy {
  reason: string;
  /** host:port of the masters that did not answer. */
  lost: string[];
}

const nodeKey = (r: Redis): string => `${r.options.host ?? '127.0.0.1'}:${r.options.port ?? 6379}`;

export class RedisHealth {
  readonly #client: Redis | Cluster;
  readonly #opts: RedisHealthOptions;
  #down: (Unhealthy & { since: number }) | null = null;
  #running: Promise<Unhealthy | null> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Connected once: before that, connecting is not an outage to report. */
  #started = false;

  constructor(client: Redis | Cluster, opts: RedisHealthOptions) {
    this.#client = client;
    this.#opts = opts;
    client.once('ready', () => (this.#started = true));
    const soon = (): void => this.#schedule(0);
    if (client instanceof Cluster) {
      client.on('node error', soon);
      client.on('-node', soon);
    } else {
      client.on('close', soon);
    }
    client.on('error', soon);
  }

  /** Resolves when the store can serve every key; else StoreUnavailableError naming why. */
  async check(): Promise<void> {
    const problem = await this.#check();
    if (problem) {
      const lost = problem.lost.length > 0 ? ` (no answer from ${problem.lost.join(', ')})` : '';
      throw new StoreUnavailableError(`redis store cannot serve: ${problem.reason}${lost}`);
    }
  }

  /** One check at a time: concurrent probes share it. */
  #check(): Promise<Unhealthy | null> {
    this.#running ??= this.#probe()
      .catch((err: unknown): Unhealthy => ({ reason: (err as Error).message, lost: [] }))
      .then((problem) => {
        this.#running = undefined;
        this.#record(problem);
        return problem;
      });
    return this.#running;
  }

  #record(problem: Unhealthy | null): void {
    if (this.#closed || !this.#started) return;
    if (problem && !this.#down) {
      this.#down = { ...problem, since: Date.now() };
      this.#opts.log.warn({ reason: problem.reason, lost: problem.lost }, 'redis store cannot serve');
    } else if (!problem && this.#down) {
      const { reason, lost, since } = this.#down;
      this.#down = null;
      this.#opts.log.warn({ reason, lost, downMs: Date.now() - since }, 'redis store serving again');
    }
    if (this.#down) this.#schedule(this.#opts.recheckMs);
  }

  #schedule(delayMs: number): void {
    if (this.#closed || !this.#started || (this.#timer && delayMs > 0)) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#check();
    }, delayMs);
    this.#timer.unref();
  }

  async #probe(): Promise<Unhealthy | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Unhealthy>((resolve) => {
      timer = setTimeout(
        () => resolve({ reason: `no answer within ${this.#opts.timeoutMs} ms`, lost: [] }),
        this.#opts.timeoutMs,
      );
    });
    try {
      return await Promise.race([
        this.#client instanceof Cluster ? this.#probeCluster(this.#client) : this.#probeOne(this.#client),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #probeOne(client: Redis): Promise<Unhealthy | null> {
    if (client.status !== 'ready') return { reason: `connection ${client.status}`, lost: [] };
    await client.ping();
    return null;
  }

  async #probeCluster(client: Cluster): Promise<Unhealthy | null> {
    if (client.status !== 'ready') return { reason: `cluster connection ${client.status}`, lost: [] };
    let problem = await this.#probeMasters(client);
    if (problem?.lost.length) {
      // After a failover the client's slot map still names the dead master until it is
      // refreshed (on the next MOVED): refresh it now and look again.
      await new Promise<void>((resolve) => client.refreshSlotsCache(() => resolve()));
      problem = await this.#probeMasters(client);
    }
    if (problem) return problem;
    const info = await client.cluster('INFO');
    return /cluster_state:ok/.test(info) ? null : { reason: 'cluster_state is not ok', lost: [] };
  }

  /** Every slot has a master in the client's map, and each of those masters answers PING. */
  async #probeMasters(client: Cluster): Promise<Unhealthy | null> {
    const masters = new Set<string>();
    let uncovered = 0;
    for (let s = 0; s < CLUSTER_SLOTS; s++) {
      const owner = client.slots[s]?.[0];
      if (owner) masters.add(owner);
      else uncovered++;
    }
    if (uncovered > 0) return { reason: `${uncovered} slots without a master`, lost: [] };
    const conns = new Map(client.nodes('master').map((r) => [nodeKey(r), r]));
    const lost: string[] = [];
    await Promise.all(
      [...masters].map(async (key) => {
        try {
          const conn = conns.get(key);
          if (!conn) throw new Error('no connection');
          await conn.ping();
        } catch {
          lost.push(key);
        }
      }),
    );
    return lost.length > 0 ? { reason: 'master not answering', lost: lost.sort() } : null;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }
}
