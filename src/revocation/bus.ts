// Revocation everywhere: a revocation is added to this instance's LRU at once and
// published to every instance (Redis pub/sub, or in-process for the memory store).
// Receivers add it to their LRU and close what belongs to it (WebSockets, caches).
// After a pub/sub reconnect messages may have been missed: positive caches are dropped.
import type { Logger } from '../util/log.js';
import type { EventsStore } from '../store/types.js';
import type { RevocationCache } from './cache.js';

export type BusMessage =
  | { t: 'sid'; id: string; at: number }
  | { t: 'jti'; id: string; at: number }
  /** A session's record changed (re-authentication): cached copies must be dropped. */
  | { t: 'changed'; id: string; at: number }
  | { t: 'settings'; tenant: string; at: number }
  /**
   * A revoke-all: every session of the user that existed at `before` (the revoking
   * instance's clock), but `except`, is revoked — one message however many there were.
   */
  | { t: 'user'; tenant: string; userId: string; before: number; except: string | null; at: number };

/** A revoke-all as the bus carries it. */
export interface UserRevocation {
  tenant: string;
  userId: string;
  before: number;
  /** The session it spared (revoke all others), or null. */
  except: string | null;
}

export interface BusListener {
  onRevoked?(kind: 'sid' | 'jti', id: string): void;
  onSessionChanged?(id: string): void;
  /** A revoke-all: drop the user's cached sessions, close the sockets of the revoked ones. */
  onUserRevoked?(r: UserRevocation): void;
  onSettingsChanged?(tenant: string): void;
  /** Positive caches must be dropped. */
  onReconnect?(): void;
}

export class RevocationBus {
  private readonly listeners: BusListener[] = [];
  private unsubscribe: (() => Promise<void>) | null = null;
  private retry: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly store: EventsStore,
    private readonly revocations: RevocationCache,
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly onDelay: (ms: number) => void = () => {},
  ) {}

  listen(l: BusListener): void {
    this.listeners.push(l);
  }

  /**
   * Subscribes; when the store is unreachable at start the gateway still starts (it answers
   * 503 meanwhile) and the subscription is retried every second until it is made.
   */
  async start(): Promise<void> {
    this.stopped = false;
    try {
      this.unsubscribe = await this.store.subscribe(
        (raw) => this.receive(raw),
        () => {
          this.log.warn('revocation channel reconnected: dropping cached positive state');
          for (const l of this.listeners) l.onReconnect?.();
        },
      );
    } catch (err) {
      if (this.stopped) return;
      this.log.error({ err: String(err) }, 'could not subscribe to the revocation channel; retrying');
      this.retry = setTimeout(() => void this.start(), 1000);
      this.retry.unref();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    await this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** Local LRU first (this instance enforces at once), then every other instance. */
  async revoke(kind: 'sid' | 'jti', id: string): Promise<void> {
    this.revocations.add(id);
    for (const l of this.listeners) l.onRevoked?.(kind, id);
    await this.store.publish(JSON.stringify({ t: kind, id, at: this.now() } satisfies BusMessage));
  }

  /** A revoke-all, already in effect in the store: this instance at once, then every other one. */
  async userRevoked(r: UserRevocation): Promise<void> {
    for (const l of this.listeners) l.onUserRevoked?.(r);
    await this.store.publish(JSON.stringify({ t: 'user', ...r, at: this.now() } satisfies BusMessage));
  }

  /** This instance at once, then every other instance. */
  async sessionChanged(id: string): Promise<void> {
    for (const l of this.listeners) l.onSessionChanged?.(id);
    await this.store.publish(JSON.stringify({ t: 'changed', id, at: this.now() } satisfies BusMessage));
  }

  async settingsChanged(tenant: string): Promise<void> {
    await this.store.publish(JSON.stringify({ t: 'settings', tenant, at: this.now() } satisfies BusMessage));
  }

  private receive(raw: string): void {
    let m: BusMessage;
    try {
      m = JSON.parse(raw) as BusMessage;
    } catch {
      this.log.warn('ignoring a malformed bus message');
      return;
    }
    if (typeof m.at === 'number') this.onDelay(Math.max(0, this.now() - m.at));
    if ((m.t === 'sid' || m.t === 'jti') && typeof m.id === 'string') {
      this.revocations.add(m.id);
      for (const l of this.listeners) l.onRevoked?.(m.t, m.id);
    } else if (m.t === 'changed' && typeof m.id === 'string') {
      for (const l of this.listeners) l.onSessionChanged?.(m.id);
    } else if (
      m.t === 'user' &&
      typeof m.tenant === 'string' &&
      typeof m.userId === 'string' &&
      typeof m.before === 'number' &&
      (m.except === null || typeof m.except === 'string')
    ) {
      const r = { tenant: m.tenant, userId: m.userId, before: m.before, except: m.except };
      for (const l of this.listeners) l.onUserRevoked?.(r);
    } else if (m.t === 'settings' && typeof m.tenant === 'string') {
      for (const l of this.listeners) l.onSettingsChanged?.(m.tenant);
    }
  }
}
