// RedisStore: the SessionStore over ioredis (standalone, Sentinel or Cluster), failing fast.
// It composes one Redis implementation per concern over one shared connection
// (redis-connection.ts): redis-sessions.ts, redis-tokens.ts, redis-throttle.ts,
// redis-settings.ts and redis-events.ts, each documenting its own keys and carrying its
// own Lua scripts. ioredis adds `keyPrefix` (default "gk:") in front of every key; the
// hash tags that keep each script inside one Cluster slot are in redis-keys.ts.
// Every key but a tenant's saved settings carries a TTL, set relative to the gateway's
// clock (every method that decides by time takes `now`); liveness is always judged from
// the records, the TTLs only clean up.
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisConfig } from '../config/types.js';
import { RedisConnection } from './redis-connection.js';
import { RedisEvents } from './redis-events.js';
import { RedisSessions } from './redis-sessions.js';
import { RedisSettings } from './redis-settings.js';
import { RedisThrottle } from './redis-throttle.js';
import { RedisTokens } from './redis-tokens.js';
import type { ConcurrencyLimit, CreateSessionResult, SessionPatch, SessionRecord } from './sessions.js';
import type { AttemptOutcome, ThrottleAdmission, ThrottleAttempt, ThrottleRule } from './throttle.js';
import type { RefreshChain, RotateArgs, RotateResult } from './tokens.js';
import type { SessionStore } from './types.js';

export interface RedisStoreOptions {
  keyPrefix: string;
  log: Logger;
}

export class RedisStore implements SessionStore {
  readonly kind = 'redis' as const;
  readonly #redis: RedisConnection;
  readonly #sessions: RedisSessions;
  readonly #tokens: RedisTokens;
  readonly #throttle: RedisThrottle;
  readonly #settings: RedisSettings;
  readonly #events: RedisEvents;

  constructor(cfg: RedisConfig, opts: RedisStoreOptions) {
    this.#redis = new RedisConnection(cfg, opts.keyPrefix, opts.log);
    this.#sessions = new RedisSessions(this.#redis, { keyPrefix: opts.keyPrefix, log: opts.log });
    this.#tokens = new RedisTokens(this.#redis);
    this.#throttle = new RedisThrottle(this.#redis);
    this.#settings = new RedisSettings(this.#redis);
    this.#events = new RedisEvents(this.#redis, cfg, { keyPrefix: opts.keyPrefix, log: opts.log });
  }

  /** The ioredis client (standalone/Sentinel `Redis` or `Cluster`), for the federation store beside it. */
  get client(): Redis | Cluster {
    return this.#redis.client;
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

  async ping(): Promise<void> {
    await this.#redis.run('ping', () => this.#redis.client.ping());
  }

  canServeCached(): boolean {
    return this.#redis.ready && this.#events.subscribed;
  }

  async close(): Promise<void> {
    this.#events.close();
    await this.#redis.close();
  }
}
