// The whole store as the sum of its concerns: every SessionStore method hands the call to
// the concern that owns it. MemoryStore and RedisStore extend this with their backend's
// concern implementations and their own lifecycle (ping, canServeCached, close).
import type { EventsStore } from './events.js';
import type {
  ConcurrencyLimit,
  CreateSessionResult,
  DeleteUserSessionsOptions,
  SessionPage,
  SessionPageRequest,
  SessionPatch,
  SessionRecord,
  SessionsStore,
} from './sessions.js';
import type { SettingsStore } from './settings.js';
import type { AttemptOutcome, ThrottleAdmission, ThrottleAttempt, ThrottleRule, ThrottleStore } from './throttle.js';
import type { RefreshChain, RotateArgs, RotateResult, TokensStore } from './tokens.js';
import type { SessionStore } from './types.js';

/** One implementation of each concern, over one backend. */
export interface StoreConcerns {
  sessions: SessionsStore;
  tokens: TokensStore;
  throttle: ThrottleStore;
  settings: SettingsStore;
  events: EventsStore;
}

export abstract class ComposedStore implements SessionStore {
  abstract readonly kind: 'memory' | 'redis';
  readonly #c: StoreConcerns;

  protected constructor(concerns: StoreConcerns) {
    this.#c = concerns;
  }

  abstract ping(): Promise<void>;
  abstract canServeCached(): boolean;
  abstract close(): Promise<void>;

  // ---- sessions

  createSession(session: SessionRecord, limit: ConcurrencyLimit, now: number): Promise<CreateSessionResult> {
    return this.#c.sessions.createSession(session, limit, now);
  }

  getSession(tenant: string, id: string): Promise<SessionRecord | null> {
    return this.#c.sessions.getSession(tenant, id);
  }

  updateSession(tenant: string, id: string, patch: SessionPatch, now: number): Promise<boolean> {
    return this.#c.sessions.updateSession(tenant, id, patch, now);
  }

  deleteSession(tenant: string, id: string): Promise<boolean> {
    return this.#c.sessions.deleteSession(tenant, id);
  }

  listUserSessions(tenant: string, userId: string, now: number): Promise<SessionRecord[]> {
    return this.#c.sessions.listUserSessions(tenant, userId, now);
  }

  listUserSessionsPage(tenant: string, userId: string, now: number, page: SessionPageRequest): Promise<SessionPage> {
    return this.#c.sessions.listUserSessionsPage(tenant, userId, now, page);
  }

  deleteUserSessions(
    tenant: string,
    userId: string,
    exceptId?: string,
    opts?: DeleteUserSessionsOptions,
  ): Promise<SessionRecord[]> {
    return this.#c.sessions.deleteUserSessions(tenant, userId, exceptId, opts);
  }

  // ---- tokens

  saveRefreshChain(tenant: string, sessionId: string, chain: RefreshChain, now: number): Promise<void> {
    return this.#c.tokens.saveRefreshChain(tenant, sessionId, chain, now);
  }

  getRefreshChain(tenant: string, sessionId: string): Promise<RefreshChain | null> {
    return this.#c.tokens.getRefreshChain(tenant, sessionId);
  }

  rotateRefreshToken(tenant: string, sessionId: string, args: RotateArgs): Promise<RotateResult> {
    return this.#c.tokens.rotateRefreshToken(tenant, sessionId, args);
  }

  saveAuthCode(tenant: string, codeHash: string, payload: string, ttlMs: number): Promise<void> {
    return this.#c.tokens.saveAuthCode(tenant, codeHash, payload, ttlMs);
  }

  takeAuthCode(tenant: string, codeHash: string): Promise<string | null> {
    return this.#c.tokens.takeAuthCode(tenant, codeHash);
  }

  denyToken(tenant: string, jti: string, expiresAt: number, now: number): Promise<void> {
    return this.#c.tokens.denyToken(tenant, jti, expiresAt, now);
  }

  isTokenDenied(tenant: string, jti: string): Promise<boolean> {
    return this.#c.tokens.isTokenDenied(tenant, jti);
  }

  // ---- throttle

  admitAttempt(tenant: string, attempt: ThrottleAttempt, rule: ThrottleRule, now: number): Promise<ThrottleAdmission> {
    return this.#c.throttle.admitAttempt(tenant, attempt, rule, now);
  }

  settleAttempt(
    tenant: string,
    attempt: ThrottleAttempt,
    outcome: AttemptOutcome,
    rule: ThrottleRule,
    now: number,
  ): Promise<void> {
    return this.#c.throttle.settleAttempt(tenant, attempt, outcome, rule, now);
  }

  // ---- settings

  getTenantSettings(tenant: string): Promise<string | null> {
    return this.#c.settings.getTenantSettings(tenant);
  }

  setTenantSettings(tenant: string, json: string): Promise<void> {
    return this.#c.settings.setTenantSettings(tenant, json);
  }

  // ---- events

  publish(message: string): Promise<void> {
    return this.#c.events.publish(message);
  }

  subscribe(onMessage: (message: string) => void, onReconnect: () => void): Promise<() => Promise<void>> {
    return this.#c.events.subscribe(onMessage, onReconnect);
  }
}
