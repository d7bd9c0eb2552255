// SessionsStore over Redis. Key layout (after keyPrefix; see redis-keys.ts for the slots):
//   {<tenant>:<tag>}:s:<sessionId>  HASH  one SessionRecord (redis-session-codec.ts).
//                                         TTL = the session's effective expiry.
//   {<tenant>:<tag>}:u:<userId>     ZSET  the user's sessions: member = session id,
//                                         score = lastActiveAt. TTL ≥ every member's TTL.
//                                         Lists, pages, revoke-all and the per-user cap.
//   {<tenant>:<tag>}:ul:<userId>    ZSET  the user's login (browser) sessions by lastActiveAt:
//                                         the concurrency limit evicts from its head.
//   {<tenant>:<tag>}:ux:<userId>    ZSET  the user's sessions by effective expiry: creation
//                                         drops a bounded batch of the dead from its head.
//   {<tenant>:<tag>}:rv             HASH  per user of the tag: g:<userId> = revocation
//                                         generation, x:<userId> = the session it spared.
//   {<tenant>:<tag>}:t:<sessionId>  STRING "1": a tombstone, the session was removed before
//                                         its time (revoked, evicted). TTL = what was left
//                                         of the session's life. Reads refuse the session,
//                                         creation refuses the id (redis-sessions-scripts.ts).
// Every session hash carries `g`, the generation at its creation: a revoke-all raises the
// generation first (one O(1) script, the instant it takes effect), which every read of a
// session checks, and then removes the records in chunks of REVOKE_CHUNK — so no script
// grows with the user's sessions, and creation never walks them (O(log n + evicted)).
// A user's sessions, index and refresh-token chains share one hash tag, so one slot; the
// scripts (redis-sessions-scripts.ts) delete a session's chain with the session.
//
// Creation and revocations go through `writes` (by default the shared connection) and then
// wait for the store's ReplicaBarrier: nothing with store.durability local, a replica's
// acknowledgement with replicated (redis-durability.ts, which says why `writes` is then a
// connection of its own).
//
// TTLs are set relative to the gateway's clock (PEXPIRE effectiveExpiry − now) rather than
// with PEXPIREAT, so a clock skew between gateway and Redis cannot expire a key early.
// Liveness is always judged from the record (session/model.ts); the TTL only cleans up.
import type { Logger } from 'pino';
import { isSessionId, tagOfSessionId, userTag } from '../session/ids.js';
import { effectiveExpiry, isAlive } from '../session/model.js';
import type { RedisCalls } from './redis-connection.js';
import { NO_BARRIER, ReplicaUnconfirmedError, type ReplicaBarrier } from './redis-durability.js';
import { slot } from './redis-keys.js';
import { decodeSession, encodeSession } from './redis-session-codec.js';
import { REVOKE_CHUNK, SESSION_SCRIPTS } from './redis-sessions-scripts.js';
import {
  decodeSessionCursor,
  encodeSessionCursor,
  MAX_SESSIONS_PER_USER,
  type ConcurrencyLimit,
  type CreateSessionResult,
  type DeleteUserSessionsOptions,
  type SessionPage,
  type SessionPageRequest,
  type SessionPatch,
  type SessionRecord,
  type SessionsStore,
} from './sessions.js';

const PATCH_FIELDS = [
  'secretHash',
  'authTime',
  'lastActiveAt',
  'ipAddress',
  'amr', // comma-joined, as the codec writes it
  'mfaAt',
] as const satisfies readonly (keyof SessionPatch)[];

export interface RedisSessionsOptions {
  /** The full key prefix, for the keys that scripts build themselves. */
  keyPrefix: string;
  log: Logger;
  /** Only for tests and benches (users written before the cap existed). */
  maxPerUser?: number;
  /** The connection creation and revocations go through (default: the shared one). */
  writes?: RedisCalls;
  /** What those writes wait for before they count (default: nothing, durability local). */
  barrier?: ReplicaBarrier;
}

type Hash = Record<string, string>;

/** Revoked by a revoke-all: stamped with an older generation than the user's, and not spared. */
function revokedBy(generations: Hash, hash: Hash, record: SessionRecord): boolean {
  const gen = Number(generations[`g:${record.userId}`] ?? 0);
  if (gen === 0 || generations[`x:${record.userId}`] === record.id) return false;
  return Number(hash.g ?? 0) < gen;
}

function toHash(flat: string[]): Hash {
  const hash: Hash = {};
  for (let i = 0; i + 1 < flat.length; i += 2) hash[flat[i]!] = flat[i + 1]!;
  return hash;
}

export class RedisSessions implements SessionsStore {
  readonly #redis: RedisCalls;
  readonly #prefix: string;
  readonly #log: Logger;
  readonly #maxPerUser: number;
  readonly #writes: RedisCalls;
  readonly #barrier: ReplicaBarrier;

  constructor(redis: RedisCalls, opts: RedisSessionsOptions) {
    this.#redis = redis;
    this.#prefix = opts.keyPrefix;
    this.#log = opts.log;
    this.#maxPerUser = opts.maxPerUser ?? MAX_SESSIONS_PER_USER;
    this.#writes = opts.writes ?? redis;
    this.#barrier = opts.barrier ?? NO_BARRIER;
    redis.defineScripts(SESSION_SCRIPTS);
    if (this.#writes !== redis) this.#writes.defineScripts(SESSION_SCRIPTS);
  }

  get #client() {
    return this.#redis.client;
  }

  get #writer() {
    return this.#writes.client;
  }

  #sessionKey(tenant: string, id: string): string {
    return `${slot(tenant, tagOfSessionId(id))}s:${id}`;
  }

  async createSession(session: SessionRecord, limit: ConcurrencyLimit, now: number): Promise<CreateSessionResult> {
    const tag = userTag(session.tenant, session.userId);
    if (!isSessionId(session.id) || tagOfSessionId(session.id) !== tag) {
      throw new TypeError('session id does not carry the user tag of (tenant, userId)');
    }
    const base = slot(session.tenant, tag);
    const ttl = Math.max(1, effectiveExpiry(session) - now);
    const key = `${base}s:${session.id}`;
    const reply = await this.#writes.run('createSession', () =>
      this.#writer.gkCreateSession(
        key,
        `${base}u:${session.userId}`,
        String(now),
        String(limit.max),
        limit.policy,
        `${this.#prefix}${base}`,
        session.id,
        String(session.lastActiveAt),
        String(ttl),
        String(this.#maxPerUser),
        session.userId,
        session.kind,
        String(effectiveExpiry(session)),
        String(Math.max(1, session.expiresAt - now)),
        ...encodeSession(session),
      ),
    );
    if (reply[0] === 'tombstoned') throw new Error('session id already used by a revoked session');
    if (reply[0] === 'limit') return { ok: false, reason: 'limit' };
    try {
      await this.#barrier.confirm('createSession', key, reply[1]);
    } catch (err) {
      // The login fails closed (503) and its session goes at once: its cookie never left,
      // so nobody could use it, and it must not show in lists or count against the limit.
      // The evictions stand (err.ended): the caller announces them.
      await this.#writes
        .run('createSession', () => this.#writer.gkDeleteSession(key, ...this.#chain(base, session.id)))
        .catch(() => this.#log.warn({ sessionId: session.id }, 'unconfirmed session left to expire'));
      throw err instanceof ReplicaUnconfirmedError ? new ReplicaUnconfirmedError('createSession', reply[1]) : err;
    }
    return { ok: true, evicted: reply[1] };
  }

  /** gkDeleteSession's arguments after the session key: chain keys, id, slot base. */
  #chain(base: string, id: string): [string, string, string, string] {
    return [`${base}rt:${id}`, `${base}rtu:${id}`, id, `${this.#prefix}${base}`];
  }

  async getSession(tenant: string, id: string): Promise<SessionRecord | null> {
    if (!isSessionId(id)) return null;
    const base = slot(tenant, tagOfSessionId(id));
    // The record, the revocation generations of its slot and its tombstone, in one round trip.
    const [[hash, generations], [buried]] = await this.#redis.run('getSession', () =>
      this.#hashes([`${base}s:${id}`, `${base}rv`], [`${base}t:${id}`]),
    );
    const record = decodeSession(hash!);
    if (record === null && Object.keys(hash!).length > 0)
      this.#log.warn({ sessionId: id }, 'unreadable session record ignored');
    if (record === null || record.tenant !== tenant || record.id !== id || buried) return null;
    return revokedBy(generations!, hash!, record) ? null : record;
  }

  /**
   * HGETALL of each key and EXISTS of each tombstone, in one pipeline (they share a slot,
   * so also on a Cluster).
   */
  async #hashes(keys: readonly string[], tombstones: readonly string[] = []): Promise<[Hash[], boolean[]]> {
    const pipeline = this.#client.pipeline();
    for (const key of keys) pipeline.hgetall(key);
    for (const key of tombstones) pipeline.exists(key);
    const results = (await pipeline.exec()) ?? [];
    const values = results.map(([err, value]) => {
      if (err) throw err;
      return value;
    });
    return [values.slice(0, keys.length) as Hash[], values.slice(keys.length).map((n) => n === 1)];
  }

  async updateSession(tenant: string, id: string, patch: SessionPatch, now: number): Promise<boolean> {
    if (!isSessionId(id)) return false;
    // Only the patchable fields, even if a caller's object carries more.
    const fields = PATCH_FIELDS.flatMap((k) => (patch[k] === undefined ? [] : [k, String(patch[k])]));
    const updated = await this.#redis.run('updateSession', () =>
      this.#client.gkUpdateSession(
        this.#sessionKey(tenant, id),
        String(now),
        id,
        `${this.#prefix}${slot(tenant, tagOfSessionId(id))}`,
        ...fields,
      ),
    );
    return updated === 1;
  }

  async deleteSession(tenant: string, id: string): Promise<boolean> {
    if (!isSessionId(id)) return false;
    const base = slot(tenant, tagOfSessionId(id));
    const key = `${base}s:${id}`;
    const deleted = await this.#writes.run('deleteSession', () =>
      this.#writer.gkDeleteSession(key, ...this.#chain(base, id)),
    );
    // Unconfirmed: the revocation stands on the master (and the caller announces it).
    await this.#barrier.confirm('deleteSession', key, [id]);
    return deleted === 1;
  }

  async listUserSessions(tenant: string, userId: string, now: number): Promise<SessionRecord[]> {
    const base = slot(tenant, userTag(tenant, userId));
    const ids = await this.#redis.run('listUserSessions', () => this.#client.zrange(`${base}u:${userId}`, 0, -1));
    if (ids.length === 0) return [];
    return (await this.#records(tenant, userId, ids, now)).sort(
      (a, b) => b.lastActiveAt - a.lastActiveAt || (a.id < b.id ? -1 : 1),
    );
  }

  /** The records of these ids that are the user's and alive (one round trip). */
  async #records(tenant: string, userId: string, ids: readonly string[], now: number): Promise<SessionRecord[]> {
    const base = slot(tenant, userTag(tenant, userId));
    const [hashes, buried] = await this.#redis.run('listUserSessions', () =>
      this.#hashes(
        [`${base}rv`, ...ids.map((id) => `${base}s:${id}`)],
        ids.map((id) => `${base}t:${id}`),
      ),
    );
    const generations = hashes.shift()!;
    return hashes.flatMap((hash, i) => {
      const s = decodeSession(hash);
      return s !== null &&
        !buried[i] &&
        s.tenant === tenant &&
        s.userId === userId &&
        isAlive(s, now) &&
        !revokedBy(generations, hash, s)
        ? [s]
        : [];
    });
  }

  async listUserSessionsPage(
    tenant: string,
    userId: string,
    now: number,
    page: SessionPageRequest,
  ): Promise<SessionPage> {
    const after = page.cursor ? decodeSessionCursor(page.cursor) : null;
    if (page.cursor && !after) throw new TypeError('not a session cursor');
    const base = slot(tenant, userTag(tenant, userId));
    const [flat, more] = await this.#redis.run('listUserSessionsPage', () =>
      this.#client.gkUserSessionsPage(
        `${base}u:${userId}`,
        String(page.limit),
        String(after?.at ?? 0),
        after?.id ?? '',
      ),
    );
    const entries: { id: string; at: number }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) entries.push({ id: flat[i]!, at: Number(flat[i + 1]) });
    // After a cursor whose session moved: skip the ties at its score already listed.
    const fresh = after ? entries.filter((e) => e.at < after.at || (e.at === after.at && e.id < after.id)) : entries;
    const last = entries.at(-1);
    const byId = new Map(
      (fresh.length
        ? await this.#records(
            tenant,
            userId,
            fresh.map((e) => e.id),
            now,
          )
        : []
      ).map((s) => [s.id, s]),
    );
    return {
      // Index order (score, then id, descending) — also for a record whose activity moved on.
      sessions: fresh.flatMap((e) => byId.get(e.id) ?? []),
      nextCursor: more === 1 && last ? encodeSessionCursor({ at: last.at, id: last.id }) : null,
    };
  }

  async deleteUserSessions(
    tenant: string,
    userId: string,
    exceptId?: string,
    opts: DeleteUserSessionsOptions = {},
  ): Promise<SessionRecord[]> {
    const base = slot(tenant, userTag(tenant, userId));
    const index = `${base}u:${userId}`;
    const slotBase = `${this.#prefix}${base}`;
    const gen = await this.#writes.run('deleteUserSessions', () =>
      this.#writer.gkMarkUserRevoked(index, slotBase, userId, exceptId ?? ''),
    );
    // Announced as soon as it stands on the master, confirmed or not.
    await opts.onMarked?.();
    await this.#barrier.confirm('deleteUserSessions', index);
    const removed: SessionRecord[] = [];
    let cursor = '0';
    do {
      const [next, records] = await this.#writes.run('deleteUserSessions', () =>
        this.#writer.gkDeleteUserSessionsChunk(
          index,
          slotBase,
          userId,
          String(gen),
          exceptId ?? '',
          cursor,
          String(REVOKE_CHUNK),
        ),
      );
      cursor = String(next);
      for (const flat of records) {
        const hash = toHash(flat);
        const record = decodeSession(hash);
        // Only our own writes are ever read here; an unreadable hash never authenticated anything.
        if (record === null) this.#log.warn({ sessionId: hash.id }, 'unreadable session record removed');
        else removed.push(record);
      }
    } while (cursor !== '0');
    // One WAIT for every chunk: it covers all the writes this connection made before it
    // (the user's keys share one slot, so one node).
    await this.#barrier.confirm(
      'deleteUserSessions',
      index,
      removed.map((s) => s.id),
    );
    return removed;
  }
}
