// Open WebSocket connections by the session (and token) that opened them, so that a
// revocation — made here or announced by another instance — closes them at once. For the
// sessions they belong to, a sweep on the injected clock: an open socket is activity of its
// session (it does not idle out), and the session's absolute expiry closes it (SPEC §3.5).
import type { Duplex } from 'node:stream';
import { activityDue } from '../session/model.js';
import type { SessionRecord } from '../store/types.js';

export type LiveSession = Pick<
  SessionRecord,
  'tenant' | 'id' | 'userId' | 'expiresAt' | 'lastActiveAt' | 'idleTimeoutMs'
>;

const userKey = (tenant: string, userId: string): string => `${tenant}\0${userId}`;

/** What the sweep does with the sessions of open sockets (session/live-watch.ts). */
export interface SessionWatch {
  now(): number;
  /** The session reached its absolute expiry while sockets were open; they are closed already. */
  expired(session: LiveSession): Promise<void>;
  /** Records activity at `now`; false when the session no longer exists (its sockets close). */
  active(session: LiveSession, now: number): Promise<boolean>;
}

/** How often open sockets are checked against their session's expiry (real time; the clock decides). */
export const SWEEP_INTERVAL_MS = 1000;

interface Watched {
  session: LiveSession;
  sockets: number;
}

export class LiveConnections {
  private readonly byKey = new Map<string, Set<Duplex>>();
  /** Session id → the session of open sockets, with how many are open. */
  private readonly watched = new Map<string, Watched>();
  /** tenant\0userId → ids of that user's sessions with open sockets (for a revoke-all). */
  private readonly byUser = new Map<string, Set<string>>();
  private watch: SessionWatch | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly sweepIntervalMs = SWEEP_INTERVAL_MS) {}

  /** Set once the dependencies exist; until then sockets are only closed on revocation. */
  watchSessions(watch: SessionWatch): void {
    this.watch = watch;
  }

  /**
   * Tracks the socket under each key until it closes; with the session that opened it, also
   * its expiry and activity.
   */
  add(keys: readonly string[], socket: Duplex, session?: LiveSession | null): void {
    for (const k of keys) {
      let set = this.byKey.get(k);
      if (!set) this.byKey.set(k, (set = new Set()));
      set.add(socket);
    }
    if (session) this.follow(session);
    socket.once('close', () => {
      for (const k of keys) {
        const set = this.byKey.get(k);
        set?.delete(socket);
        if (set?.size === 0) this.byKey.delete(k);
      }
      if (session) this.unfollow(session.id);
    });
  }

  /** Closes every connection opened with this session id or jti; returns how many. */
  close(key: string): number {
    const set = this.byKey.get(key);
    if (!set) return 0;
    this.byKey.delete(key);
    for (const s of set) s.destroy();
    return set.size;
  }

  /**
   * A revoke-all of this user: the sockets of each of the user's sessions but `except` close
   * unless `stillValid` (the store, which already refuses every revoked session) says the
   * session lives on — one created after the revoke-all keeps its sockets. A failed check
   * closes them (fail closed). Resolves with how many sockets were closed.
   */
  async closeUser(
    r: { tenant: string; userId: string; except: string | null },
    stillValid: (session: LiveSession) => Promise<boolean>,
  ): Promise<number> {
    const ids = [...(this.byUser.get(userKey(r.tenant, r.userId)) ?? [])].filter((id) => id !== r.except);
    const closed = await Promise.all(
      ids.map(async (id) => {
        const entry = this.watched.get(id);
        const valid = entry ? await stillValid(entry.session).catch(() => false) : false;
        return valid ? 0 : this.close(id);
      }),
    );
    return closed.reduce((a, b) => a + b, 0);
  }

  get size(): number {
    let n = 0;
    for (const s of this.byKey.values()) n += s.size;
    return n;
  }

  /**
   * One pass over the sessions of open sockets (the timer runs it every SWEEP_INTERVAL_MS;
   * resolves when what it started has settled). Past absolute expiry: the sockets close here
   * at once and the session is ended everywhere. Otherwise, when activity is due (the same
   * throttle as requests, SPEC §4), it is recorded; a session that is gone loses its sockets.
   */
  async sweep(): Promise<void> {
    const watch = this.watch;
    if (!watch) return;
    const now = watch.now();
    const pending: Promise<unknown>[] = [];
    for (const [id, entry] of this.watched) {
      const s = entry.session;
      if (now >= s.expiresAt) {
        this.forget(id);
        this.close(id);
        pending.push(watch.expired(s));
      } else if (activityDue(s, now)) {
        entry.session = { ...s, lastActiveAt: now };
        pending.push(watch.active(s, now).then((alive) => alive || this.close(id)));
      }
    }
    if (this.watched.size === 0) this.stopTimer();
    await Promise.allSettled(pending);
  }

  private follow(s: LiveSession): void {
    const entry = this.watched.get(s.id);
    if (entry) {
      entry.sockets++;
      if (s.lastActiveAt > entry.session.lastActiveAt)
        entry.session = { ...entry.session, lastActiveAt: s.lastActiveAt };
      return;
    }
    const { tenant, id, userId, expiresAt, lastActiveAt, idleTimeoutMs } = s;
    this.watched.set(id, { session: { tenant, id, userId, expiresAt, lastActiveAt, idleTimeoutMs }, sockets: 1 });
    const key = userKey(tenant, userId);
    let ids = this.byUser.get(key);
    if (!ids) this.byUser.set(key, (ids = new Set()));
    ids.add(id);
    if (!this.timer) {
      this.timer = setInterval(() => void this.sweep(), this.sweepIntervalMs);
      // Housekeeping must never keep the process alive.
      this.timer.unref();
    }
  }

  private unfollow(id: string): void {
    const entry = this.watched.get(id);
    if (entry && --entry.sockets === 0) this.forget(id);
    if (this.watched.size === 0) this.stopTimer();
  }

  /** No longer watched: out of the session map and the user index. */
  private forget(id: string): void {
    const entry = this.watched.get(id);
    if (!entry) return;
    this.watched.delete(id);
    const key = userKey(entry.session.tenant, entry.session.userId);
    const ids = this.byUser.get(key);
    ids?.delete(id);
    if (ids?.size === 0) this.byUser.delete(key);
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
