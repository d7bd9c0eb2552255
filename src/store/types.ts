// The storage contract. `SessionStore` is the sum of the store's concerns, each a small
// interface in a file named for it, with its memory and Redis implementation beside it:
//   sessions.ts  SessionsStore  session records and the per-user index
//   tokens.ts    TokensStore    refresh-token chains, authorization codes, the deny list
//   throttle.ts  ThrottleStore  password and client-secret throttling
//   settings.ts  SettingsStore  tenant settings saved through the API
//   events.ts    EventsStore    publish/subscribe between instances
// plus the lifecycle below. MemoryStore (memory.ts) and RedisStore (redis.ts) compose
// them; every concern passes its suite in test/store/contract-*.ts on both. Code that
// needs one concern should ask for that interface (or a Pick of it), not the whole.
// The record types of each concern are re-exported here for the code that imports them
// from this module.
import type { EventsStore } from './events.js';
import type { SessionsStore } from './sessions.js';
import type { SettingsStore } from './settings.js';
import type { ThrottleStore } from './throttle.js';
import type { TokensStore } from './tokens.js';

export type { EventHandlers, EventsStore } from './events.js';
export type {
  ConcurrencyLimit,
  CreateSessionResult,
  SessionKind,
  SessionPatch,
  SessionRecord,
  SessionsStore,
} from './sessions.js';
export type { SettingsStore } from './settings.js';
export type { AttemptOutcome, ThrottleAdmission, ThrottleAttempt, ThrottleRule, ThrottleStore } from './throttle.js';
export type { RefreshChain, RotateArgs, RotateResult, TokensStore } from './tokens.js';

/** Thrown by a store when its backend cannot answer (Redis down). Never means "no session". */
export class StoreUnavailableError extends Error {
  readonly code = 'ERR_GK_STORE_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * A change the master applied but no replica acknowledged within the bound. It is a
 * StoreUnavailableError (the API answers 503: never a 2xx that a failover could take back).
 * `ended`: sessions the change removed on the master anyway (evicted by a creation, or the
 * revoked ones): the caller still announces them, so no instance keeps serving them.
 */
export class ReplicaUnconfirmedError extends StoreUnavailableError {
  readonly ended: readonly string[];
  constructor(what: string, ended: readonly string[] = []) {
    super(`redis ${what}: no replica acknowledged the change in time`);
    this.name = 'ReplicaUnconfirmedError';
    this.ended = ended;
  }
}

/** What a store is and whether it can answer: the part of the contract no concern owns. */
export interface StoreLifecycle {
  readonly kind: 'memory' | 'redis';
  /** Resolves when the backend answers; rejects with StoreUnavailableError otherwise. */
  ping(): Promise<void>;
  /**
   * Synchronous and free: whether an answer this store gave a moment ago may stand in for
   * asking it again — the backend is connected AND this instance hears every change (its
   * event subscription is up). Redis: both connections ready. While false, the request
   * path asks the store itself: an outage is a 503 at once, and with the subscription
   * down a revocation made elsewhere is seen on the very next request.
   */
  canServeCached(): boolean;
  close(): Promise<void>;
}

/** The whole store: every concern plus the lifecycle, over one backend. */
export interface SessionStore
  extends SessionsStore, TokensStore, ThrottleStore, SettingsStore, EventsStore, StoreLifecycle {}
