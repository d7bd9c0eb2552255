// store.durability for the Redis store: what a session creation or a revocation waits for
// before the gateway answers.
//   local       Redis has applied it (today's behaviour). Replication is asynchronous: a
//               failover right after the answer can promote a replica that never saw it.
//   replicated  Redis has applied it AND at least one replica has acknowledged it
//               (WAIT 1 <replicaTimeout>). No acknowledgement in time: the call fails with
//               ReplicaUnconfirmedError (a StoreUnavailableError: 503) — a creation is
//               undone, a revocation stands on the master and is still announced.
// WAIT makes the connection that sends it wait: every command queued behind it on that
// connection waits too. So the confirmed writes travel on a connection of their own
// (RedisStore opens it), and the cookie path's reads never queue behind a replica.
// WAIT counts the writes the connection itself made, so it is sent on the very connection
// (Cluster: to the very node) the write went through.
import type { Cluster, Redis } from 'ioredis';
import { ReplicaUnconfirmedError, StoreUnavailableError } from './types.js';

export type Durability = 'local' | 'replicated';

export { ReplicaUnconfirmedError };

/** Waits until the writes made so far on the confirmed-writes connection reached a replica. */
export interface ReplicaBarrier {
  readonly durability: Durability;
  /** The writes on `key`'s node (an unprefixed key, as given to commands). */
  confirm(what: string, key: string, ended?: readonly string[]): Promise<void>;
  /** The writes on every node (a write whose key this module does not know). */
  confirmAll(what: string): Promise<void>;
}

/** durability: local — nothing to wait for. */
export const NO_BARRIER: ReplicaBarrier = {
  durability: 'local',
  confirm: async () => {},
  confirmAll: async () => {},
};

type Client = Redis | Cluster;

const isCluster = (c: Client): c is Cluster => 'nodes' in c && typeof c.nodes === 'function';

/** durability: replicated — WAIT 1 timeoutMs on the connection the writes went through. */
export class WaitBarrier implements ReplicaBarrier {
  readonly durability = 'replicated' as const;
  readonly #client: Client;
  readonly #timeoutMs: number;

  constructor(client: Client, timeoutMs: number) {
    this.#client = client;
    this.#timeoutMs = timeoutMs;
  }

  async confirm(what: string, key: string, ended: readonly string[] = []): Promise<void> {
    const acked = await this.#wait(what, key);
    if (acked < 1) throw new ReplicaUnconfirmedError(what, ended);
  }

  async confirmAll(what: string): Promise<void> {
    const client = this.#client;
    const acks = isCluster(client)
      ? await this.#run(what, () => Promise.all(client.nodes('master').map((n) => n.wait(1, this.#timeoutMs))))
      : [await this.#wait(what, '')];
    // A node this connection never wrote to answers at once with its replica count.
    if (acks.some((n) => n < 1)) throw new ReplicaUnconfirmedError(what);
  }

  async #wait(what: string, key: string): Promise<number> {
    const client = this.#client;
    if (!isCluster(client)) {
      // Sent on the one connection: concurrent WAITs of one event-loop turn go out together
      // (auto-pipelining) and the second is answered as soon as the first.
      return this.#run(what, () => client.wait(1, this.#timeoutMs));
    }
    // A Cluster routes a keyless WAIT to any node: a pipeline goes to its key's node, so
    // the WAIT follows a cheap read of the key on the node that holds it.
    return this.#run(what, async () => {
      const replies = (await client.pipeline().exists(key).wait(1, this.#timeoutMs).exec()) ?? [];
      const [err, acked] = replies[1] ?? [new Error('no reply to WAIT'), 0];
      if (err) throw err;
      return Number(acked);
    });
  }

  async #run<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw new StoreUnavailableError(`redis ${what} (WAIT) failed: ${(err as Error).message}`, { cause: err });
    }
  }
}
