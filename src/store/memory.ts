// MemoryStore: the embedded single-instance SessionStore (the default and the demo's).
// Everything lives in Maps; JavaScript runs each call to completion, so every method is
// atomic without locks, which is what the Redis store gets from Lua. Tokens, throttles and
// settings live in memory-tokens.ts, events in memory-events.ts.
import { isSessionId, tagOfSessionId, userTag } from '../session/ids.js';
import { isAlive } from '../session/model.js';
import type { Clock } from '../util/clock.js';
import { MemoryEvents } from './memory-events.js';
import { checkAttempt, checkThrottleRule, checkTtl, MemoryTokenState } from './memory-tokens.js';
import type {
  AttemptOutcome,
  ConcurrencyLimit,
  CreateSessionResult,
  RefreshChain,
  RotateArgs,
  RotateResult,
  SessionPatch,
  SessionRecord,
  SessionStore,
  ThrottleAdmission,
  ThrottleAttempt,
  ThrottleRule,
} from './types.js';

export interface MemoryStoreOptions {
  clock: Clock;
  /** How often dead sessions are dropped (ms); they are never returned as alive meanwhile. */
  sweepIntervalMs?: number;
}

const sessionKey = (tenant: string, id: string): string => `${tenant}\0${id}`;
const userKey = (tenant: string, userId: string): string => `${tenant}\0${userId}`;

export class MemoryStore implements SessionStore {
  readonly kind = 'memory' as const;
  readonly #clock: Clock;
  readonly #sessions = new Map<string, SessionRecord>();
  /** tenant\0userId → the user's session ids. */
  readonly #byUser = new Map<string, Set<string>>();
  readonly #tokens = new MemoryTokenState();
  readonly #events = new MemoryEvents();
  readonly #timer: NodeJS.Timeout;

  constructor(opts: MemoryStoreOptions) {
    this.#clock = opts.clock;
    this.#timer = setInterval(() => this.sweep(), opts.sweepIntervalMs ?? 60_000);
    // The sweep is housekeeping: it must never keep the process alive.
    this.#timer.unref();
  }

  /** Drops every session that is dead now (and expired tokens and throttles); returns how many sessions. */
  sweep(): number {
    const now = this.#clock.now();
    this.#tokens.sweep(now);
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
    this.#tokens.dropChain(s.tenant, s.id);
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

  async updateSession(tenant: string, id: string, patch: SessionPatch): Promise<boolean> {
    const s = this.#sessions.get(sessionKey(tenant, id));
    // A dead session is not updated: writing lastActiveAt would bring it back to life.
    if (!s || !isAlive(s, this.#clock.now())) return false;
    if (patch.secretHash !== undefined) s.secretHash = patch.secretHash;
    if (patch.authTime !== undefined) s.authTime = patch.authTime;
    if (patch.lastActiveAt !== undefined) s.lastActiveAt = patch.lastActiveAt;
    if (patch.ipAddress !== undefined) s.ipAddress = patch.ipAddress;
    return true;
  }

  async deleteSession(tenant: string, id: string): Promise<boolean> {
    const s = this.#sessions.get(sessionKey(tenant, id));
    // A chain whose session was swept already goes too.
    this.#tokens.dropChain(tenant, id);
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

  async deleteUserSessions(tenant: string, userId: string, exceptId?: string): Promise<SessionRecord[]> {
    const removed: SessionRecord[] = [];
    for (const s of this.#userSessions(tenant, userId)) {
      if (s.id === exceptId) continue;
      this.#remove(s);
      removed.push({ ...s });
    }
    return removed;
  }

  async saveRefreshChain(tenant: string, sessionId: string, chain: RefreshChain, _now: number): Promise<void> {
    this.#tokens.saveChain(tenant, sessionId, chain);
  }

  async getRefreshChain(tenant: string, sessionId: string): Promise<RefreshChain | null> {
    return this.#tokens.getChain(tenant, sessionId);
  }

  async rotateRefreshToken(tenant: string, sessionId: string, args: RotateArgs): Promise<RotateResult> {
    return this.#tokens.rotate(tenant, sessionId, args);
  }

  async saveAuthCode(tenant: string, codeHash: string, payload: string, ttlMs: number): Promise<void> {
    checkTtl(ttlMs);
    this.#tokens.saveCode(tenant, codeHash, payload, this.#clock.now() + ttlMs);
  }

  async takeAuthCode(tenant: string, codeHash: string): Promise<string | null> {
    return this.#tokens.takeCode(tenant, codeHash, this.#clock.now());
  }

  async denyToken(tenant: string, jti: string, expiresAt: number, now: number): Promise<void> {
    this.#tokens.deny(tenant, jti, expiresAt, now);
  }

  async isTokenDenied(tenant: string, jti: string): Promise<boolean> {
    return this.#tokens.isDenied(tenant, jti, this.#clock.now());
  }

  async admitAttempt(
    tenant: string,
    attempt: ThrottleAttempt,
    rule: ThrottleRule,
    now: number,
  ): Promise<ThrottleAdmission> {
    checkThrottleRule(rule);
    checkAttempt(attempt);
    return this.#tokens.admitAttempt(tenant, attempt, rule, now);
  }

  async settleAttempt(
    tenant: string,
    attempt: ThrottleAttempt,
    outcome: AttemptOutcome,
    rule: ThrottleRule,
    now: number,
  ): Promise<void> {
    checkThrottleRule(rule);
    checkAttempt(attempt);
    this.#tokens.settleAttempt(tenant, attempt, outcome, rule, now);
  }

  async getTenantSettings(tenant: string): Promise<string | null> {
    return this.#tokens.getSettings(tenant);
  }

  async setTenantSettings(tenant: string, json: string): Promise<void> {
    this.#tokens.setSettings(tenant, json);
  }

  async publish(message: string): Promise<void> {
    this.#events.publish(message);
  }

  async subscribe(onMessage: (message: string) => void, onReconnect: () => void): Promise<() => Promise<void>> {
    return this.#events.subscribe({ onMessage, onReconnect });
  }

  async ping(): Promise<void> {}

  canServeCached(): boolean {
    return true;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#events.clear();
  }
}
