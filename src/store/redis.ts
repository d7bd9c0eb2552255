// RedisStore: the SessionStore over ioredis (standalone, Sentinel or Cluster), failing fast.
//
// Key layout (ioredis adds `keyPrefix`, default "gk:", in front of every key):
//   {<tenant>:<tag>}:s:<sessionId>  HASH  one SessionRecord. Numbers as decimal strings,
//                                         booleans "1"/"0", a null field is left out.
//                                         TTL = the session's effective expiry.
//   {<tenant>:<tag>}:u:<userId>     ZSET  the user's sessions: member = session id,
//                                         score = lastActiveAt. TTL ≥ every member's TTL.
//   {<tenant>:<tag>}:rt:<sessionId> HASH  the session's refresh-token chain: clientId, cur,
//                                         exp, and after a rotation prev, rotatedAt, box.
//   {<tenant>:<tag>}:rtu:<sessionId> SET  the chain's used token hashes.
//                                         Both TTL = exp − now; deleted with the session.
//   {<tenant>}:code:<codeHash>      STRING an authorization code's payload; PX = its ttl.
//   {<tenant>}:jti:<jti>            STRING "1": a denied access token; TTL = until its exp.
//   {<tenant>}:thr:<key>            HASH  throttle of password/secret checks, one per
//                                         subject (u:<username>, c:<client id>) and per
//                                         source (ip:<addr>, cip:<addr>): failures,
//                                         windowEnd, lockedUntil, a:<attempt id> = until
//                                         when an attempt in flight holds its place.
//                                         TTL = the latest of those moments.
//   {<tenant>}:settings             STRING the tenant's settings JSON. The only key
//                                         without a TTL: saved settings do not expire.
//   channel <keyPrefix>events       pub/sub between instances (redis-pubsub.ts).
// <tag> = userTag(tenant, userId), which every session id embeds: a session is found from
// its id alone, and a user's sessions, index and chains share one hash tag, so one slot.
//
// TTLs are set relative to the gateway's clock (PEXPIRE effectiveExpiry − now) rather than
// with PEXPIREAT, so a clock skew between gateway and Redis cannot expire a key early.
// Liveness is always judged from the record (session/model.ts); the TTL only cleans up.
import { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisConfig } from '../config/types.js';
import { isSessionId, tagOfSessionId, userTag } from '../session/ids.js';
import { effectiveExpiry, isAlive } from '../session/model.js';
import type { Clock } from '../util/clock.js';
import { checkAttempt, checkThrottleRule, checkTtl } from './memory-tokens.js';
import { openSubscriber, RedisSubscriber } from './redis-pubsub.js';
import { SCRIPTS } from './redis-scripts.js';
import {
  StoreUnavailableError,
  type AttemptOutcome,
  type ConcurrencyLimit,
  type CreateSessionResult,
  type RefreshChain,
  type RotateArgs,
  type RotateResult,
  type SessionPatch,
  type SessionRecord,
  type SessionStore,
  type ThrottleAdmission,
  type ThrottleAttempt,
  type ThrottleRule,
} from './types.js';

const CONNECT_TIMEOUT_MS = 1000;
const COMMAND_TIMEOUT_MS = 1000;
/** Reconnect forever, backing off to at most 1 s, so a Redis that comes back is used again. */
const backoff = (times: number): number => Math.min(50 * 2 ** Math.min(times, 5), 1000);

/**
 * The request path must not queue behind a dead Redis: no offline queue, one retry, short
 * timeouts. Every call then rejects within about a second while Redis is away.
 */
export function connectRedis(cfg: RedisConfig, keyPrefix: string): Redis | Cluster {
  // Auto-pipelining: the commands of every request arriving in the same event-loop turn
  // leave in one socket write. Without it each lookup is a syscall of its own, which
  // profiling showed as 15% of the gateway's CPU on the cookie path.
  const node = {
    keyPrefix,
    maxRetriesPerRequest: 1,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    enableAutoPipelining: true,
  };
  if ('cluster' in cfg) {
    return new Cluster(cfg.cluster, {
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      clusterRetryStrategy: backoff,
      redisOptions: node,
    });
  }
  const failFast = { ...node, enableOfflineQueue: false, retryStrategy: backoff };
  if ('sentinels' in cfg) {
    return new Redis({ sentinels: cfg.sentinels, name: cfg.name, sentinelRetryStrategy: backoff, ...failFast });
  }
  return new Redis(cfg.url, failFast);
}

const PATCH_FIELDS = [
  'secretHash',
  'authTime',
  'lastActiveAt',
  'ipAddress',
] as const satisfies readonly (keyof SessionPatch)[];
const TENANT_RE = /^[a-z0-9-]{1,63}$/;

function checkTenant(tenant: string): void {
  // A tenant slug never holds braces; checking keeps the hash tag intact.
  if (!TENANT_RE.test(tenant)) throw new TypeError(`invalid tenant slug: ${JSON.stringify(tenant)}`);
}

function slot(tenant: string, tag: string): string {
  checkTenant(tenant);
  return `{${tenant}:${tag}}:`;
}

/** Tenant-wide keys (codes, deny list, throttles, settings) share the tenant's hash tag. */
function tenantSlot(tenant: string): string {
  checkTenant(tenant);
  return `{${tenant}}:`;
}

const int = (n: number): string => String(Math.ceil(n));

function encode(s: SessionRecord): string[] {
  const fields: [string, string | number | boolean | null][] = [
    ['v', 1],
    ['id', s.id],
    ['tenant', s.tenant],
    ['userId', s.userId],
    ['kind', s.kind],
    ['secretHash', s.secretHash],
    ['clientId', s.clientId],
    ['ipAddress', s.ipAddress],
    ['userAgent', s.userAgent],
    ['authMethod', s.authMethod],
    ['rememberMe', s.rememberMe],
    ['createdAt', s.createdAt],
    ['lastActiveAt', s.lastActiveAt],
    ['authTime', s.authTime],
    ['expiresAt', s.expiresAt],
    ['idleTimeoutMs', s.idleTimeoutMs],
    ['scope', s.scope ?? null],
    ['profile', s.profile ? JSON.stringify(s.profile) : null],
    ['idp', s.idp ? JSON.stringify(s.idp) : null],
  ];
  return fields.flatMap(([k, v]) => (v === null ? [] : [k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v)]));
}

/** A hash back into a record; null when it is absent or not one of ours. */
function decode(h: Record<string, string>): SessionRecord | null {
  const num = (k: string): number | null => {
    const v = h[k];
    return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : null;
  };
  const { id, tenant, userId, kind, secretHash, ipAddress, userAgent, authMethod, rememberMe } = h;
  const createdAt = num('createdAt'),
    lastActiveAt = num('lastActiveAt'),
    authTime = num('authTime'),
    expiresAt = num('expiresAt');
  if (
    id === undefined ||
    tenant === undefined ||
    userId === undefined ||
    secretHash === undefined ||
    ipAddress === undefined ||
    userAgent === undefined ||
    authMethod === undefined ||
    (kind !== 'browser' && kind !== 'token') ||
    (rememberMe !== '1' && rememberMe !== '0') ||
    createdAt === null ||
    lastActiveAt === null ||
    authTime === null ||
    expiresAt === null
  )
    return null;
  return {
    id,
    tenant,
    userId,
    kind,
    secretHash,
    ipAddress,
    userAgent,
    authMethod,
    clientId: h.clientId ?? null,
    rememberMe: rememberMe === '1',
    createdAt,
    lastActiveAt,
    authTime,
    expiresAt,
    idleTimeoutMs: num('idleTimeoutMs'),
    ...(h.scope !== undefined ? { scope: h.scope } : {}),
    ...jsonField(h, 'profile'),
    ...jsonField(h, 'idp'),
  };
}

/** An optional JSON field (profile, idp) of a session hash; left out when absent or unreadable. */
function jsonField<K extends 'profile' | 'idp'>(
  h: Record<string, string>,
  k: K,
): Pick<SessionRecord, K> | Record<string, never> {
  const v = h[k];
  if (v === undefined) return {};
  try {
    return { [k]: JSON.parse(v) as SessionRecord[K] } as Pick<SessionRecord, K>;
  } catch {
    return {};
  }
}

export interface RedisStoreOptions {
  keyPrefix: string;
  clock: Clock;
  log: Logger;
}

export class RedisStore implements SessionStore {
  readonly kind = 'redis' as const;
  readonly #client: Redis | Cluster;
  readonly #cfg: RedisConfig;
  readonly #prefix: string;
  #subscriber: RedisSubscriber | null = null;
  #closed = false;
  readonly #clock: Clock;
  readonly #log: Logger;
  #connected = false;
  readonly #firstReady: Promise<void>;
  #initialWait: Promise<void> | undefined;

  constructor(cfg: RedisConfig, opts: RedisStoreOptions) {
    this.#cfg = cfg;
    this.#prefix = opts.keyPrefix;
    this.#clock = opts.clock;
    this.#log = opts.log;
    const client = connectRedis(cfg, opts.keyPrefix);
    for (const [name, [lua, numberOfKeys]] of Object.entries(SCRIPTS))
      client.defineCommand(name, { lua, numberOfKeys });
    let up = false;
    this.#firstReady = new Promise((resolve) => client.once('ready', resolve));
    client.on('ready', () => {
      this.#connected = up = true;
      this.#log.info('redis store connected');
    });
    // Log the transition, not every reconnect attempt of an outage.
    client.on('error', (err: Error) => {
      if (up) this.#log.warn({ err: err.message }, 'redis store unavailable');
      up = false;
    });
    this.#client = client;
  }

  canServeCached(): boolean {
    return this.#client.status === 'ready' && this.#subscriber?.subscribed === true;
  }

  /** The ioredis client (standalone/Sentinel `Redis` or `Cluster`), for pub/sub and more scripts. */
  get client(): Redis | Cluster {
    return this.#client;
  }

  /**
   * Runs one Redis call; any failure becomes StoreUnavailableError so that no caller can
   * mistake an outage for "no session". Before the very first connection, waits for it
   * (bounded), because without an offline queue a command sent while connecting fails.
   */
  async #run<T>(what: string, call: () => Promise<T>): Promise<T> {
    if (!this.#connected) await (this.#initialWait ??= this.#waitForFirstConnect());
    try {
      return await call();
    } catch (err) {
      throw new StoreUnavailableError(`redis ${what} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  /** One shared wait: once it has run out, calls fail fast like during any other outage. */
  async #waitForFirstConnect(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#firstReady, new Promise((resolve) => (timer = setTimeout(resolve, CONNECT_TIMEOUT_MS)))]);
    clearTimeout(timer);
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
    const reply = await this.#run('createSession', () =>
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
        ...encode(session),
      ),
    );
    return reply[0] === 'ok' ? { ok: true, evicted: reply[1] } : { ok: false, reason: 'limit' };
  }

  async getSession(tenant: string, id: string): Promise<SessionRecord | null> {
    if (!isSessionId(id)) return null;
    const key = this.#sessionKey(tenant, id);
    const hash = await this.#run('getSession', () => this.#client.hgetall(key));
    const record = decode(hash);
    if (record === null && Object.keys(hash).length > 0)
      this.#log.warn({ sessionId: id }, 'unreadable session record ignored');
    return record !== null && record.tenant === tenant && record.id === id ? record : null;
  }

  async updateSession(tenant: string, id: string, patch: SessionPatch): Promise<boolean> {
    if (!isSessionId(id)) return false;
    // Only the patchable fields, even if a caller's object carries more.
    const fields = PATCH_FIELDS.flatMap((k) => (patch[k] === undefined ? [] : [k, String(patch[k])]));
    const now = this.#clock.now();
    const updated = await this.#run('updateSession', () =>
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
    const deleted = await this.#run('deleteSession', () =>
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
    const ids = await this.#run('listUserSessions', () => this.#client.zrange(`${base}u:${userId}`, 0, -1));
    if (ids.length === 0) return [];
    // One round trip for all hashes; they share the slot, so this works on a Cluster too.
    const replies = await this.#run('listUserSessions', async () => {
      const pipeline = this.#client.pipeline();
      for (const id of ids) pipeline.hgetall(`${base}s:${id}`);
      const results = (await pipeline.exec()) ?? [];
      return results.map(([err, hash]) => {
        if (err) throw err;
        return hash as Record<string, string>;
      });
    });
    return replies
      .map(decode)
      .filter((s): s is SessionRecord => s !== null && s.tenant === tenant && s.userId === userId && isAlive(s, now))
      .sort((a, b) => b.lastActiveAt - a.lastActiveAt || (a.id < b.id ? -1 : 1));
  }

  async deleteUserSessions(tenant: string, userId: string, exceptId?: string): Promise<SessionRecord[]> {
    const base = slot(tenant, userTag(tenant, userId));
    const removed = await this.#run('deleteUserSessions', () =>
      this.#client.gkDeleteUserSessions(`${base}u:${userId}`, `${this.#prefix}${base}`, exceptId ?? ''),
    );
    return removed.flatMap((flat) => {
      const hash: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) hash[flat[i]!] = flat[i + 1]!;
      const record = decode(hash);
      // Only our own writes are ever read here; an unreadable hash never authenticated anything.
      if (record === null) this.#log.warn({ sessionId: hash.id }, 'unreadable session record removed');
      return record === null ? [] : [record];
    });
  }

  // ---- refresh-token chains: beside the session, in its slot

  #chainKeys(tenant: string, sessionId: string): [string, string] {
    const base = slot(tenant, tagOfSessionId(sessionId));
    return [`${base}rt:${sessionId}`, `${base}rtu:${sessionId}`];
  }

  async saveRefreshChain(tenant: string, sessionId: string, chain: RefreshChain, now: number): Promise<void> {
    if (!isSessionId(sessionId)) throw new TypeError('not a session id');
    const [rt, rtu] = this.#chainKeys(tenant, sessionId);
    const ttl = int(Math.max(1, chain.expiresAt - now));
    await this.#run('saveRefreshChain', () =>
      this.#client.gkSaveRefreshChain(rt, rtu, chain.clientId, chain.currentHash, int(chain.expiresAt), ttl),
    );
  }

  async getRefreshChain(tenant: string, sessionId: string): Promise<RefreshChain | null> {
    if (!isSessionId(sessionId)) return null;
    const [rt] = this.#chainKeys(tenant, sessionId);
    const [clientId, currentHash, exp] = await this.#run('getRefreshChain', () =>
      this.#client.hmget(rt, 'clientId', 'cur', 'exp'),
    );
    if (!clientId || !currentHash || !exp || !/^\d+$/.test(exp)) return null;
    return { clientId, currentHash, expiresAt: Number(exp) };
  }

  async rotateRefreshToken(tenant: string, sessionId: string, a: RotateArgs): Promise<RotateResult> {
    if (!isSessionId(sessionId)) return { result: 'unknown' };
    const [rt, rtu] = this.#chainKeys(tenant, sessionId);
    const reply = await this.#run('rotateRefreshToken', () =>
      this.#client.gkRotateRefreshToken(
        rt,
        rtu,
        a.presentedHash,
        a.nextHash,
        a.successorBox,
        int(a.expiresAt),
        int(a.now),
        int(Math.max(0, a.graceMs)),
      ),
    );
    switch (reply[0]) {
      case 'rotated':
        return { result: 'rotated', clientId: reply[1] };
      case 'grace':
        return { result: 'grace', clientId: reply[1], successorBox: reply[2] };
      case 'reuse':
        return { result: 'reuse', clientId: reply[1] };
      default:
        return { result: 'unknown' };
    }
  }

  // ---- authorization codes, deny list, throttles, settings: tenant-wide keys

  async saveAuthCode(tenant: string, codeHash: string, payload: string, ttlMs: number): Promise<void> {
    checkTtl(ttlMs);
    const key = `${tenantSlot(tenant)}code:${codeHash}`;
    await this.#run('saveAuthCode', () => this.#client.set(key, payload, 'PX', int(ttlMs)));
  }

  /** GETDEL (Redis ≥ 6.2): of any number of parallel takes, exactly one gets the payload. */
  async takeAuthCode(tenant: string, codeHash: string): Promise<string | null> {
    const key = `${tenantSlot(tenant)}code:${codeHash}`;
    return this.#run('takeAuthCode', () => this.#client.getdel(key));
  }

  async denyToken(tenant: string, jti: string, expiresAt: number, now: number): Promise<void> {
    const key = `${tenantSlot(tenant)}jti:${jti}`;
    // An expired token is refused anyway: nothing to remember.
    if (expiresAt <= now) return;
    await this.#run('denyToken', () => this.#client.set(key, '1', 'PX', int(expiresAt - now)));
  }

  async isTokenDenied(tenant: string, jti: string): Promise<boolean> {
    const key = `${tenantSlot(tenant)}jti:${jti}`;
    return (await this.#run('isTokenDenied', () => this.#client.exists(key))) === 1;
  }

  #throttleArgs(tenant: string, a: ThrottleAttempt, rule: ThrottleRule, now: number): [string, string, ...string[]] {
    checkThrottleRule(rule);
    checkAttempt(a);
    const base = `${tenantSlot(tenant)}thr:`;
    return [
      `${base}${a.subject}`,
      `${base}${a.source}`,
      int(now),
      int(rule.windowMs),
      int(rule.maxFailures),
      int(rule.lockoutMs),
      int(rule.inFlightMs),
      a.id,
    ];
  }

  async admitAttempt(
    tenant: string,
    attempt: ThrottleAttempt,
    rule: ThrottleRule,
    now: number,
  ): Promise<ThrottleAdmission> {
    const args = this.#throttleArgs(tenant, attempt, rule, now);
    const [admitted, lockedUntil] = await this.#run('admitAttempt', () => this.#client.gkAdmitAttempt(...args));
    return admitted === 1
      ? { admitted: true }
      : { admitted: false, lockedUntil: lockedUntil >= 0 ? lockedUntil : null };
  }

  async settleAttempt(
    tenant: string,
    attempt: ThrottleAttempt,
    outcome: AttemptOutcome,
    rule: ThrottleRule,
    now: number,
  ): Promise<void> {
    const args = this.#throttleArgs(tenant, attempt, rule, now);
    await this.#run('settleAttempt', () => this.#client.gkSettleAttempt(...args, outcome));
  }

  async getTenantSettings(tenant: string): Promise<string | null> {
    const key = `${tenantSlot(tenant)}settings`;
    return this.#run('getTenantSettings', () => this.#client.get(key));
  }

  /** No TTL: settings saved through the API do not expire (SPEC §4). */
  async setTenantSettings(tenant: string, json: string): Promise<void> {
    const key = `${tenantSlot(tenant)}settings`;
    await this.#run('setTenantSettings', () => this.#client.set(key, json));
  }

  // ---- events

  get #channel(): string {
    return `${this.#prefix}events`;
  }

  async publish(message: string): Promise<void> {
    await this.#run('publish', () => this.#client.publish(this.#channel, message));
  }

  async subscribe(onMessage: (message: string) => void, onReconnect: () => void): Promise<() => Promise<void>> {
    if (this.#closed) throw new StoreUnavailableError('redis subscribe failed: store closed');
    this.#subscriber ??= new RedisSubscriber({
      channel: this.#channel,
      open: () =>
        openSubscriber(this.#client, this.#cfg, {
          connectTimeout: CONNECT_TIMEOUT_MS,
          commandTimeout: COMMAND_TIMEOUT_MS,
        }),
      backoff,
      log: this.#log,
    });
    try {
      const remove = await this.#subscriber.add({ onMessage, onReconnect }, 2 * CONNECT_TIMEOUT_MS);
      return async () => remove();
    } catch (err) {
      throw new StoreUnavailableError(`redis subscribe failed: ${(err as Error).message}`, { cause: err });
    }
  }

  async ping(): Promise<void> {
    await this.#run('ping', () => this.#client.ping());
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#subscriber?.close();
    this.#subscriber = null;
    // quit() lets pending replies arrive; while Redis is away, just drop the connection
    // (this also stops the reconnect loop).
    if (this.#client.status === 'ready') {
      try {
        await this.#client.quit();
        return;
      } catch {
        // fall through
      }
    }
    this.#client.disconnect();
  }
}
