// TokensStore in memory: refresh-token chains, authorization codes and the access-token
// deny list. Each method follows the rule of its Redis counterpart (redis-tokens.ts and
// its scripts) step by step; where Redis lets a key's TTL expire, this compares with the
// clock and the sweep drops it.
import type { Clock } from '../util/clock.js';
import { checkTtl, type RefreshChain, type RotateArgs, type RotateResult, type TokensStore } from './tokens.js';

interface Chain extends RefreshChain {
  prev: string | null;
  rotatedAt: number;
  box: string;
  used: Set<string>;
}

const key = (tenant: string, id: string): string => `${tenant}\0${id}`;

export class MemoryTokens implements TokensStore {
  readonly #clock: Clock;
  readonly #chains = new Map<string, Chain>();
  readonly #codes = new Map<string, { payload: string; expiresAt: number }>();
  readonly #denied = new Map<string, number>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Drops whatever a Redis TTL would have removed by `now`. */
  sweep(now: number): void {
    for (const [k, c] of this.#chains) if (now >= c.expiresAt) this.#chains.delete(k);
    for (const [k, c] of this.#codes) if (now >= c.expiresAt) this.#codes.delete(k);
    for (const [k, exp] of this.#denied) if (now >= exp) this.#denied.delete(k);
  }

  /** The session's chain goes with the session (MemorySessions calls this). */
  dropChain(tenant: string, sessionId: string): void {
    this.#chains.delete(key(tenant, sessionId));
  }

  // ---- refresh chains

  async saveRefreshChain(tenant: string, sessionId: string, chain: RefreshChain, _now: number): Promise<void> {
    this.#chains.set(key(tenant, sessionId), {
      clientId: chain.clientId,
      currentHash: chain.currentHash,
      expiresAt: chain.expiresAt,
      prev: null,
      rotatedAt: 0,
      box: '',
      used: new Set(),
    });
  }

  async getRefreshChain(tenant: string, sessionId: string): Promise<RefreshChain | null> {
    const c = this.#chains.get(key(tenant, sessionId));
    return c ? { clientId: c.clientId, currentHash: c.currentHash, expiresAt: c.expiresAt } : null;
  }

  async rotateRefreshToken(tenant: string, sessionId: string, a: RotateArgs): Promise<RotateResult> {
    const c = this.#chains.get(key(tenant, sessionId));
    if (!c || a.now >= c.expiresAt) return { result: 'unknown' };
    const { clientId } = c;
    if (a.presentedHash === c.currentHash) {
      c.used.add(a.presentedHash);
      c.prev = a.presentedHash;
      c.rotatedAt = a.now;
      c.box = a.successorBox;
      c.currentHash = a.nextHash;
      c.expiresAt = a.expiresAt;
      return { result: 'rotated', clientId };
    }
    // graceMs = 0 means no grace at all, not "the same millisecond".
    if (a.presentedHash === c.prev && a.graceMs > 0 && a.now - c.rotatedAt <= a.graceMs) {
      return { result: 'grace', clientId, successorBox: c.box };
    }
    return c.used.has(a.presentedHash) ? { result: 'reuse', clientId } : { result: 'unknown' };
  }

  // ---- authorization codes

  async saveAuthCode(tenant: string, codeHash: string, payload: string, ttlMs: number): Promise<void> {
    checkTtl(ttlMs);
    this.#codes.set(key(tenant, codeHash), { payload, expiresAt: this.#clock.now() + ttlMs });
  }

  async takeAuthCode(tenant: string, codeHash: string): Promise<string | null> {
    const k = key(tenant, codeHash);
    const code = this.#codes.get(k);
    this.#codes.delete(k);
    return code && this.#clock.now() < code.expiresAt ? code.payload : null;
  }

  // ---- deny list

  async denyToken(tenant: string, jti: string, expiresAt: number, now: number): Promise<void> {
    if (expiresAt > now) this.#denied.set(key(tenant, jti), expiresAt);
  }

  async isTokenDenied(tenant: string, jti: string): Promise<boolean> {
    const exp = this.#denied.get(key(tenant, jti));
    return exp !== undefined && this.#clock.now() < exp;
  }
}
