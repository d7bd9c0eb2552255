// SessionsStore in memory: session records in a Map and the per-user index beside them.
// JavaScript runs each call to completion, so every method is atomic without locks, which
// is what the Redis implementation gets from Lua. A user's sessions are walked on create
// and revoke-all here (a few microseconds for the at most MAX_SESSIONS_PER_USER a user
// keeps); the Redis store keeps ordered indexes instead.
import { isSessionId, tagOfSessionId, userTag } from '../session/ids.js';
import { isAlive } from '../session/model.js';
import {
  decodeSessionCursor,
  encodeSessionCursor,
  MAX_SESSIONS_PER_USER,
  pageOrder,
  type ConcurrencyLimit,
  type CreateSessionResult,
  type DeleteUserSessionsOptions,
  type SessionPage,
  type SessionPageRequest,
  type SessionPatch,
  type SessionRecord,
  type SessionsStore,
} from './sessions.js';

/** Told whenever a session leaves, so what is kept beside it (its refresh chain) goes too. */
export type SessionRemoved = (tenant: string, sessionId: string) => void;

const sessionKey = (tenant: string, id: string): string => `${tenant}\0${id}`;
const userKey = (tenant: string, userId: string): string => `${tenant}\0${userId}`;

export class MemorySessions implements SessionsStore {
  readonly #sessions = new Map<string, SessionRecord>();
  /** tenant\0userId → the user's session ids. */
  readonly #byUser = new Map<string, Set<string>>();
  readonly #removed: SessionRemoved;
  readonly #maxPerUser: number;

  /** `maxPerUser` only for tests and benches (users written before the cap existed). */
  constructor(removed: SessionRemoved, opts: { maxPerUser?: number } = {}) {
    this.#removed = removed;
    this.#maxPerUser = opts.maxPerUser ?? MAX_SESSIONS_PER_USER;
  }

  /** Drops every session that is dead at `now`; returns how many. */
  sweep(now: number): number {
    let dropped = 0;
    for (const s of this.#sessions.values()) {
      if (!isAlive(s, now)) {
        this.#remove(s);
        dropped++;
      }
    }
    return dropped;
  }

  /** A session leaves with its refresh-token chain, however it leaves. */
  #remove(s: SessionRecord): void {
    this.#sessions.delete(sessionKey(s.tenant, s.id));
    this.#removed(s.tenant, s.id);
    const ids = this.#byUser.get(userKey(s.tenant, s.userId));
    ids?.delete(s.id);
    if (ids?.size === 0) this.#byUser.delete(userKey(s.tenant, s.userId));
  }

  /** The user's stored sessions (alive or not yet swept). */
  #userSessions(tenant: string, userId: string): SessionRecord[] {
    const ids = this.#byUser.get(userKey(tenant, userId)) ?? new Set<string>();
    return [...ids].flatMap((id) => this.#sessions.get(sessionKey(tenant, id)) ?? []);
  }

  async createSession(session: SessionRecord, limit: ConcurrencyLimit, now: number): Promise<CreateSessionResult> {
    // Same rule as the Redis store, whose keys depend on it: the id carries the user's tag.
    if (!isSessionId(session.id) || tagOfSessionId(session.id) !== userTag(session.tenant, session.userId)) {
      throw new TypeError('session id does not carry the user tag of (tenant, userId)');
    }
    const live: SessionRecord[] = [];
    for (const s of this.#userSessions(session.tenant, session.userId)) {
      if (isAlive(s, now)) live.push(s);
      else this.#remove(s);
    }
    const evicted: string[] = [];
    // Only login sessions count (token sessions of OAuth clients do not).
    const logins = live.filter((s) => s.kind === 'browser');
    if (limit.max > 0 && logins.length >= limit.max) {
      if (limit.policy === 'reject') return { ok: false, reason: 'limit' };
      // Least recently active first; ties broken by id, as Redis orders equal scores.
      logins.sort((a, b) => a.lastActiveAt - b.lastActiveAt || (a.id < b.id ? -1 : 1));
      for (const s of logins.slice(0, logins.length - limit.max + 1)) {
        this.#remove(s);
        evicted.push(s.id);
      }
    }
    // The per-user cap, whatever the limit: the least recently active of any kind go.
    const kept = live.filter((s) => !evicted.includes(s.id));
    if (kept.length >= this.#maxPerUser) {
      kept.sort((a, b) => a.lastActiveAt - b.lastActiveAt || (a.id < b.id ? -1 : 1));
      for (const s of kept.slice(0, kept.length - this.#maxPerUser + 1)) {
        this.#remove(s);
        evicted.push(s.id);
      }
    }
    this.#sessions.set(sessionKey(session.tenant, session.id), { ...session });
    const key = userKey(session.tenant, session.userId);
    const ids = this.#byUser.get(key) ?? new Set<string>();
    ids.add(session.id);
    this.#byUser.set(key, ids);
    return { ok: true, evicted };
  }

  async getSession(tenant: string, id: string): Promise<SessionRecord | null> {
    const s = this.#sessions.get(sessionKey(tenant, id));
    return s ? { ...s } : null;
  }

  async updateSession(tenant: string, id: string, patch: SessionPatch, now: number): Promise<boolean> {
    const s = this.#sessions.get(sessionKey(tenant, id));
    // A dead session is not updated: writing lastActiveAt would bring it back to life.
    if (!s || !isAlive(s, now)) return false;
    if (patch.secretHash !== undefined) s.secretHash = patch.secretHash;
    if (patch.authTime !== undefined) s.authTime = patch.authTime;
    if (patch.lastActiveAt !== undefined) s.lastActiveAt = patch.lastActiveAt;
    if (patch.ipAddress !== undefined) s.ipAddress = patch.ipAddress;
    if (patch.amr !== undefined) s.amr = [...patch.amr];
    if (patch.mfaAt !== undefined) s.mfaAt = patch.mfaAt;
    return true;
  }

  async deleteSession(tenant: string, id: string): Promise<boolean> {
    const s = this.#sessions.get(sessionKey(tenant, id));
    // A chain whose session was swept already goes too.
    this.#removed(tenant, id);
    if (!s) return false;
    this.#remove(s);
    return true;
  }

  async listUserSessions(tenant: string, userId: string, now: number): Promise<SessionRecord[]> {
    return this.#userSessions(tenant, userId)
      .filter((s) => isAlive(s, now))
      .sort((a, b) => b.lastActiveAt - a.lastActiveAt || (a.id < b.id ? -1 : 1))
      .map((s) => ({ ...s }));
  }

  async listUserSessionsPage(
    tenant: string,
    userId: string,
    now: number,
    page: SessionPageRequest,
  ): Promise<SessionPage> {
    const after = page.cursor ? decodeSessionCursor(page.cursor) : null;
    if (page.cursor && !after) throw new TypeError('not a session cursor');
    const all = this.#userSessions(tenant, userId).sort(pageOrder);
    const start = after ? all.findIndex((s) => pageOrder(s, { ...s, lastActiveAt: after.at, id: after.id }) > 0) : 0;
    const slice = start < 0 ? [] : all.slice(start, start + page.limit);
    const last = slice.at(-1);
    const more = start >= 0 && start + page.limit < all.length;
    return {
      sessions: slice.filter((s) => isAlive(s, now)).map((s) => ({ ...s })),
      nextCursor: more && last ? encodeSessionCursor({ at: last.lastActiveAt, id: last.id }) : null,
    };
  }

  async deleteUserSessions(
    tenant: string,
    userId: string,
    exceptId?: string,
    opts: DeleteUserSessionsOptions = {},
  ): Promise<SessionRecord[]> {
    // One synchronous pass: the revocation and the removal are the same instant here.
    const removed: SessionRecord[] = [];
    for (const s of this.#userSessions(tenant, userId)) {
      if (s.id === exceptId) continue;
      this.#remove(s);
      removed.push({ ...s });
    }
    await opts.onMarked?.();
    return removed;
  }
}
