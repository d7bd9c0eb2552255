// MemoryStore: the embedded single-instance SessionStore (the default and the demo's).
// It composes one memory implementation per concern (memory-sessions.ts, memory-tokens.ts,
// memory-throttle.ts, memory-settings.ts, memory-events.ts) and runs their sweep.
// Everything lives in Maps; JavaScript runs each call to completion, so every method is
// atomic without locks, which is what the Redis store gets from Lua.
import type { Clock } from '../util/clock.js';
import { MemoryEvents } from './memory-events.js';
import { MemorySessions } from './memory-sessions.js';
import { MemorySettings } from './memory-settings.js';
import { MemoryThrottle } from './memory-throttle.js';
import { MemoryTokens } from './memory-tokens.js';
import type { ConcurrencyLimit, CreateSessionResult, SessionPatch, SessionRecord } from './sessions.js';
import type { AttemptOutcome, ThrottleAdmission, ThrottleAttempt, ThrottleRule } from './throttle.js';
import type { RefreshChain, RotateArgs, RotateResult } from './tokens.js';
import type { SessionStore } from './types.js';

export interface MemoryStoreOptions {
  clock: Clock;
  /** How often dead sessions are dropped (ms); they are never returned as alive meanwhile. */
  sweepIntervalMs?: number;
}

export class MemoryStore implements SessionStore {
  readonly kind = 'memory' as const;
  readonly #clock: Clock;
  readonly #tokens: MemoryTokens;
  readonly #sessions: MemorySessions;
  readonly #throttle = new MemoryThrottle();
  readonly #settings = new MemorySettings();
  readonly #events = new MemoryEvents();
  readonly #timer: NodeJS.Timeout;

  constructor(opts: MemoryStoreOptions) {
    this.#clock = opts.clock;
    this.#tokens = new MemoryTokens(opts.clock);
    // A session leaves with its refresh-token chain, however it leaves.
    this.#sessions = new MemorySessions((tenant, id) => this.#tokens.dropChain(tenant, id));
    this.#timer = setInterval(() => this.sweep(), opts.sweepIntervalMs ?? 60_000);
    // The sweep is housekeeping: it must never keep the process alive.
    this.#timer.unref();
  }

  /** Drops every session that is dead now (and expired tokens and throttles); returns how many sessions. */
  sweep(): number {
    const now = this.#clock.now();
    this.#tokens.sweep(now);
    this.#throttle.sweep(now);
    return this.#sessions.sweep(now);
  }

  // ---- sessions

  createSession(session: SessionRecord, limit: ConcurrencyLimit, now: number): Promise<CreateSessionResult> {
    return this.#sessions.createSession(session, limit, now);
  }

  getSession(tenant: string, id: string): Promise<SessionRecord | null> {
    return this.#sessions.getSession(tenant, id);
  }

  updateSession(tenant: string, id: string, patch: SessionPatch, now: number): Promise<boolean> {
    return this.#sessions.updateSession(tenant, id, patch, now);
  }

  deleteSession(tenant: string, id: string): Promise<boolean> {
    return this.#sessions.deleteSession(tenant, id);
  }

  listUserSessions(tenant: string, userId: string, now: number): Promise<SessionRecord[]> {
    return this.#sessions.listUserSessions(tenant, userId, now);
  }

  deleteUserSessions(tenant: string, userId: string, exceptId?: string): Promise<SessionRecord[]> {
    return this.#sessions.deleteUserSessions(tenant, userId, exceptId);
  }

  // ---- tokens

  saveRefreshChain(tenant: string, sessionId: string, chain: RefreshChain, now: number): Promise<void> {
    return this.#tokens.saveRefreshChain(tenant, sessionId, chain, now);
  }

  getRefreshChain(tenant: string, sessionId: string): Promise<RefreshChain | null> {
    return this.#tokens.getRefreshChain(tenant, sessionId);
  }

  rotateRefreshToken(tenant: string, sessionId: string, args: RotateArgs): Promise<RotateResult> {
    return this.#tokens.rotateRefreshToken(tenant, sessionId, args);
  }

  saveAuthCode(tenant: string, codeHash: string, payload: string, ttlMs: number): Promise<void> {
    return this.#tokens.saveAuthCode(tenant, codeHash, payload, ttlMs);
  }

  takeAuthCode(tenant: string, codeHash: string): Promise<string | null> {
    return this.#tokens.takeAuthCode(tenant, codeHash);
  }

  denyToken(tenant: string, jti: string, expiresAt: number, now: number): Promise<void> {
    return this.#tokens.denyToken(tenant, jti, expiresAt, now);
  }

  isTokenDenied(tenant: string, jti: string): Promise<boolean> {
    return this.#tokens.isTokenDenied(tenant, jti);
  }

  // ---- throttle

  admitAttempt(tenant: string, attempt: ThrottleAttempt, rule: ThrottleRule, now: number): Promise<ThrottleAdmission> {
    return this.#throttle.admitAttempt(tenant, attempt, rule, now);
  }

  settleAttempt(
    tenant: string,
    attempt: ThrottleAttempt,
    outcome: AttemptOutcome,
    rule: ThrottleRule,
    now: number,
  ): Promise<void> {
    return this.#throttle.settleAttempt(tenant, attempt, outcome, rule, now);
  }

  // ---- settings

  getTenantSettings(tenant: string): Promise<string | null> {
    return this.#settings.getTenantSettings(tenant);
  }

  setTenantSettings(tenant: string, json: string): Promise<void> {
    return this.#settings.setTenantSettings(tenant, json);
  }

  // ---- events

  publish(message: string): Promise<void> {
    return this.#events.publish(message);
  }

  subscribe(onMessage: (message: string) => void, onReconnect: () => void): Promise<() => Promise<void>> {
    return this.#events.subscribe(onMessage, onReconnect);
  }

  // ---- lifecycle

  async ping(): Promise<void> {}

  canServeCached(): boolean {
    return true;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#events.clear();
  }
}
