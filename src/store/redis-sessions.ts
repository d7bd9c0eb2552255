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
// Every session hash carries `g`, the generation at its creation: a revoke-all raises the
// generation first (one O(1) script, the instant it takes effect), which every read of a
// session checks, and then removes the records in chunks of REVOKE_CHUNK — so no script
// grows with the user's sessions, and creation never walks them (O(log n + evicted)).
// A user's sessions, index and refresh-token chains share one hash tag, so one slot; the
// scripts (redis-sessions-scripts.ts) delete a session's chain with the session.
//
// TTLs are set relative to the gateway's clock (PEXPIRE effectiveExpiry − now) rather than
// with PEXPIREAT, so a clock skew between gateway and Redis cannot expire a key early.
// Liveness is always judged from the record (session/model.ts); the TTL only cleans up.
import type { Logger } from 'pino';
import { isSessionId, tagOfSessionId, userTag } from '../session/ids.js';
import { effectiveExpiry, isAlive } from '../session/model.js';
import type { RedisCalls } from './redis-connection.js';
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

  constructor(redis: RedisCalls, opts: RedisSessionsOptions) {
    this.#redis = redis;
    this.#prefix = opts.keyPrefix;
    this.#log = opts.log;
    this.#maxPerUser = opts.maxPerUser ?? MAX_SESSIONS_PER_USER;
    redis.defineScripts(SESSION_SCRIPTS);
  }

  get #client() {
    return this.#redis.client;
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
    const reply = await this.#redis.run('createSession', () =>
      this.#client.gkCreateSession(
        `${base}s:${session.id}`,
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
    return reply[0] === 'ok' ? { ok: true, evicted: reply[1] } : { ok: false, reason: 'limit' };
  }

  async getSession(tenant: string, id: string): Promise<SessionRecord | null> {
    if (!isSessionId(id)) return null;
    const base = slot(tenant, tagOfSessionId(id));
    // The record and the revocation generations of its slot, in one round trip.
    const [hash, generations] = await this.#redis.run('getSession', () =>
      this.#hashes([`${base}s:${id}`, `${base}rv`]),
    );
    const record = decodeSession(hash!);
    if (record === null && Object.keys(hash!).length > 0)
      this.#log.warn({ sessionId: id }, 'unreadable session record ignored');
    if (record === null || record.tenant !== tenant || record.id !== id) return null;
    return revokedBy(generations!, hash!, record) ? null : record;
  }

  /** HGETALL of each key in one pipeline (they share a slot, so also on a Cluster). */
  async #hashes(keys: readonly string[]): Promise<Hash[]> {
    const pipeline = this.#client.pipeline();
    for (const key of keys) pipeline.hgetall(key);
    const results = (await pipeline.exec()) ?? [];
    return results.map(([err, hash]) => {
      if (err) throw err;
      return hash as Hash;
    });
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
    const deleted = await this.#redis.run('deleteSession', () =>
      this.#client.gkDeleteSession(
        `${base}s:${id}`,
        `${base}rt:${id}`,
        `${base}rtu:${id}`,
        id,
        `${this.#prefix}${base}`,
      ),
    );
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
    const hashes = await this.#redis.run('listUserSessions', () =>
      this.#hashes([`${base}rv`, ...ids.map((id) => `${base}s:${id}`)]),
    );
    const generations = hashes.shift()!;
    return hashes.flatMap((hash) => {
      const s = decodeSession(hash);
      return s !== null &&
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
    const gen = await this.#redis.run('deleteUserSessions', () =>
      this.#client.gkMarkUserRevoked(index, slotBase, userId, exceptId ?? ''),
    );
    await opts.onMarked?.();
    const removed: SessionRecord[] = [];
    let cursor = '0';
    do {
      const [next, records] = await this.#redis.run('deleteUserSessions', () =>
        this.#client.gkDeleteUserSessionsChunk(
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
    return removed;
  }
}
