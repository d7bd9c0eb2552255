// TokensStore over Redis. Key layout (after keyPrefix; see redis-keys.ts for the slots):
//   {<tenant>:<tag>}:rt:<sessionId>  HASH   the session's refresh-token chain: clientId, cur,
//                                           exp, and after a rotation prev, rotatedAt, box.
//   {<tenant>:<tag>}:rtu:<sessionId> SET    the chain's used token hashes.
//                                           Both TTL = exp − now; deleted with the session
//                                           (redis-sessions-scripts.ts).
//   {<tenant>:code:<h>}:<codeHash>   STRING an authorization code's payload; PX = its ttl.
//   {<tenant>:jti:<h>}:<jti>         STRING "1": a denied access token; TTL = until its exp.
//                                           Each in a slot of its own (h: redis-keys.ts
//                                           ownSlot), so a tenant's codes and token checks
//                                           spread over a Cluster.
// Earlier versions kept codes and the deny list under the tenant's one slot
// ({<tenant>}:code:<codeHash>, {<tenant>}:jti:<jti>). Those keys are still honoured until
// they expire: a code issued there can be taken once, and a denied token stays denied.
// A denial is also written there, so an instance still on the earlier version (a rolling
// upgrade) refuses the token too. LEGACY_TENANT_KEYS turns this off once no instance of
// the earlier version runs and its entries have expired (the longest access-token life).
import { isSessionId, tagOfSessionId } from '../session/ids.js';
import type { RedisCalls } from './redis-connection.js';
import { int, ownSlot, slot, tenantSlot } from './redis-keys.js';
import { TOKEN_SCRIPTS } from './redis-tokens-scripts.js';
import { checkTtl, type RefreshChain, type RotateArgs, type RotateResult, type TokensStore } from './tokens.js';

/** Read (and, for denials, also write) the tenant-slot keys of the earlier layout. */
export const LEGACY_TENANT_KEYS = true;

export class RedisTokens implements TokensStore {
  readonly #redis: RedisCalls;

  constructor(redis: RedisCalls) {
    this.#redis = redis;
    redis.defineScripts(TOKEN_SCRIPTS);
  }

  get #client() {
    return this.#redis.client;
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
    await this.#redis.run('saveRefreshChain', () =>
      this.#client.gkSaveRefreshChain(rt, rtu, chain.clientId, chain.currentHash, int(chain.expiresAt), ttl),
    );
  }

  async getRefreshChain(tenant: string, sessionId: string): Promise<RefreshChain | null> {
    if (!isSessionId(sessionId)) return null;
    const [rt] = this.#chainKeys(tenant, sessionId);
    const [clientId, currentHash, exp] = await this.#redis.run('getRefreshChain', () =>
      this.#client.hmget(rt, 'clientId', 'cur', 'exp'),
    );
    if (!clientId || !currentHash || !exp || !/^\d+$/.test(exp)) return null;
    return { clientId, currentHash, expiresAt: Number(exp) };
  }

  async rotateRefreshToken(tenant: string, sessionId: string, a: RotateArgs): Promise<RotateResult> {
    if (!isSessionId(sessionId)) return { result: 'unknown' };
    const [rt, rtu] = this.#chainKeys(tenant, sessionId);
    const reply = await this.#redis.run('rotateRefreshToken', () =>
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

  // ---- authorization codes and the deny list: tenant-wide keys

  async saveAuthCode(tenant: string, codeHash: string, payload: string, ttlMs: number): Promise<void> {
    checkTtl(ttlMs);
    const key = `${ownSlot(tenant, 'code', codeHash)}${codeHash}`;
    await this.#redis.run('saveAuthCode', () => this.#client.set(key, payload, 'PX', int(ttlMs)));
  }

  /**
   * GETDEL (Redis ≥ 6.2): of any number of parallel takes, exactly one gets the payload. A
   * code lives under one key only, so looking under the earlier version's key after a miss
   * still gives it out once; a code of this version costs one call in its own slot.
   */
  async takeAuthCode(tenant: string, codeHash: string): Promise<string | null> {
    const key = `${ownSlot(tenant, 'code', codeHash)}${codeHash}`;
    const payload = await this.#redis.run('takeAuthCode', () => this.#client.getdel(key));
    if (payload !== null || !LEGACY_TENANT_KEYS) return payload;
    const legacy = `${tenantSlot(tenant)}code:${codeHash}`;
    return this.#redis.run('takeAuthCode', () => this.#client.getdel(legacy));
  }

  async denyToken(tenant: string, jti: string, expiresAt: number, now: number): Promise<void> {
    // An expired token is refused anyway: nothing to remember.
    if (expiresAt <= now) return;
    const ttl = int(expiresAt - now);
    const keys = this.#denyKeys(tenant, jti);
    await this.#redis.run('denyToken', () => Promise.all(keys.map((key) => this.#client.set(key, '1', 'PX', ttl))));
  }

  async isTokenDenied(tenant: string, jti: string): Promise<boolean> {
    const keys = this.#denyKeys(tenant, jti);
    const found = await this.#redis.run('isTokenDenied', () =>
      Promise.all(keys.map((key) => this.#client.exists(key))),
    );
    return found.some((n) => n === 1);
  }

  /** The deny-list key, and while LEGACY_TENANT_KEYS the earlier version's. */
  #denyKeys(tenant: string, jti: string): string[] {
    const key = `${ownSlot(tenant, 'jti', jti)}${jti}`;
    return LEGACY_TENANT_KEYS ? [key, `${tenantSlot(tenant)}jti:${jti}`] : [key];
  }
}
