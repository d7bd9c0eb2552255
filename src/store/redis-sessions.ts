// SessionsStore over Redis. Key layout (after keyPrefix; see redis-keys.ts for the slots):
//   {<tenant>:<tag>}:s:<sessionId>  HASH  one SessionRecord (redis-session-codec.ts).
//                                         TTL = the session's effective expiry.
//   {<tenant>:<tag>}:u:<userId>     ZSET  the user's sessions: member = session id,
//                                         score = lastActiveAt. TTL ≥ every member's TTL.
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
import { SESSION_SCRIPTS } from './redis-sessions-scripts.js';
import type { ConcurrencyLimit, CreateSessionResult, SessionPatch, SessionRecord, SessionsStore } from './sessions.js';

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
}

export class RedisSessions implements SessionsStore {
  readonly #redis: RedisCalls;
  readonly #prefix: string;
  readonly #log: Logger;

  constructor(redis: RedisCalls, opts: RedisSessionsOptions) {
    this.#redis = redis;
    this.#prefix = opts.keyPrefix;
    this.#log = opts.log;
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
        ...encodeSession(session),
      ),
    );
    return reply[0] === 'ok' ? { ok: true, evicted: reply[1] } : { ok: false, reason: 'limit' };
  }

  async getSession(tenant: string, id: string): Promise<SessionRecord | null> {
    if (!isSessionId(id)) return null;
    const key = this.#sessionKey(tenant, id);
    const hash = await this.#redis.run('getSession', () => this.#client.hgetall(key));
    const record = decodeSession(hash);
    if (record === null && Object.keys(hash).length > 0)
      this.#log.warn({ sessionId: id }, 'unreadable session record ignored');
    return record !== null && record.tenant === tenant && record.id === id ? record : null;
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
        `${this.#prefix}${slot(tenant, tagOfSessionId(id))}u:`,
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
        `${this.#prefix}${base}u:`,
      ),
    );
    return deleted === 1;
  }

  async listUserSessions(tenant: string, userId: string, now: number): Promise<SessionRecord[]> {
    const base = slot(tenant, userTag(tenant, userId));
    const ids = await this.#redis.run('listUserSessions', () => this.#client.zrange(`${base}u:${userId}`, 0, -1));
    if (ids.length === 0) return [];
    // One round trip for all hashes; they share the slot, so this works on a Cluster too.
    const replies = await this.#redis.run('listUserSessions', async () => {
      const pipeline = this.#client.pipeline();
      for (const id of ids) pipeline.hgetall(`${base}s:${id}`);
      const results = (await pipeline.exec()) ?? [];
      return results.map(([err, hash]) => {
        if (err) throw err;
        return hash as Record<string, string>;
      });
    });
    return replies
      .map(decodeSession)
      .filter((s): s is SessionRecord => s !== null && s.tenant === tenant && s.userId === userId && isAlive(s, now))
      .sort((a, b) => b.lastActiveAt - a.lastActiveAt || (a.id < b.id ? -1 : 1));
  }

  async deleteUserSessions(tenant: string, userId: string, exceptId?: string): Promise<SessionRecord[]> {
    const base = slot(tenant, userTag(tenant, userId));
    const removed = await this.#redis.run('deleteUserSessions', () =>
      this.#client.gkDeleteUserSessions(`${base}u:${userId}`, `${this.#prefix}${base}`, exceptId ?? ''),
    );
    return removed.flatMap((flat) => {
      const hash: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) hash[flat[i]!] = flat[i + 1]!;
      const record = decodeSession(hash);
      // Only our own writes are ever read here; an unreadable hash never authenticated anything.
      if (record === null) this.#log.warn({ sessionId: hash.id }, 'unreadable session record removed');
      return record === null ? [] : [record];
    });
  }
}
