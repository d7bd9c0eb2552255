// FactorStore in memory (the embedded store's companion): per user a map of factors and a
// set of recovery-code hashes. Every method runs to its end without awaiting in between, so
// each change is atomic as the contract asks. Records are copied in and out: a caller
// holding one cannot change what is stored. Factors never expire, so no clock is needed.
import type { AddFactorResult, FactorRecord, FactorStore } from './factors.js';

interface UserFactors {
  factors: Map<string, FactorRecord>;
  codes: Set<string>;
}

const copy = (f: FactorRecord): FactorRecord =>
  f.kind === 'webauthn' ? { ...f, transports: [...f.transports] } : { ...f };

/** Oldest first; the id orders factors added in the same millisecond (as redis-factors.ts). */
function byAge(a: FactorRecord, b: FactorRecord): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** No lone UTF-16 surrogate in any string: refused as redis-factors.ts must (cjson cannot read one back). */
function isWellFormed(f: FactorRecord): boolean {
  const strings = Object.values(f).flatMap((v: unknown) => (Array.isArray(v) ? v : [v]));
  return !strings.some((v) => typeof v === 'string' && /\p{Cs}/u.test(v));
}

export class MemoryFactors implements FactorStore {
  readonly #users = new Map<string, UserFactors>();

  #user(tenant: string, userId: string): UserFactors | undefined {
    return this.#users.get(`${tenant}\0${userId}`);
  }

  #userOrNew(tenant: string, userId: string): UserFactors {
    const key = `${tenant}\0${userId}`;
    let u = this.#users.get(key);
    if (!u) this.#users.set(key, (u = { factors: new Map(), codes: new Set() }));
    return u;
  }

  /** Forgets a user with nothing left, so removed users do not pile up. */
  #prune(tenant: string, userId: string): void {
    const u = this.#user(tenant, userId);
    if (u && u.factors.size === 0 && u.codes.size === 0) this.#users.delete(`${tenant}\0${userId}`);
  }

  async addFactor(factor: FactorRecord, max: number): Promise<AddFactorResult> {
    if (!isWellFormed(factor)) throw new TypeError('a factor record holds a string that is not well-formed Unicode');
    const u = this.#userOrNew(factor.tenant, factor.userId);
    const taken =
      u.factors.has(factor.id) ||
      (factor.kind === 'webauthn' &&
        [...u.factors.values()].some((f) => f.kind === 'webauthn' && f.credentialId === factor.credentialId));
    let result: AddFactorResult = { ok: true };
    if (taken) result = { ok: false, reason: 'duplicate' };
    else if (u.factors.size >= max) result = { ok: false, reason: 'limit' };
    else u.factors.set(factor.id, copy(factor));
    this.#prune(factor.tenant, factor.userId);
    return result;
  }

  async listFactors(tenant: string, userId: string): Promise<FactorRecord[]> {
    return [...(this.#user(tenant, userId)?.factors.values() ?? [])].map(copy).sort(byAge);
  }

  async getFactor(tenant: string, userId: string, factorId: string): Promise<FactorRecord | null> {
    const f = this.#user(tenant, userId)?.factors.get(factorId);
    return f ? copy(f) : null;
  }

  async removeFactor(tenant: string, userId: string, factorId: string): Promise<boolean> {
    const gone = this.#user(tenant, userId)?.factors.delete(factorId) ?? false;
    this.#prune(tenant, userId);
    return gone;
  }

  async removeAllFactors(tenant: string, userId: string): Promise<number> {
    const n = this.#user(tenant, userId)?.factors.size ?? 0;
    this.#users.delete(`${tenant}\0${userId}`);
    return n;
  }

  async acceptTotpStep(tenant: string, userId: string, factorId: string, step: number, now: number): Promise<boolean> {
    const f = this.#user(tenant, userId)?.factors.get(factorId);
    if (f?.kind !== 'totp' || !Number.isSafeInteger(step) || step <= f.lastStep) return false;
    f.lastStep = step;
    f.lastUsedAt = now;
    return true;
  }

  async acceptWebAuthnCounter(
    tenant: string,
    userId: string,
    factorId: string,
    counter: number,
    now: number,
  ): Promise<boolean> {
    const f = this.#user(tenant, userId)?.factors.get(factorId);
    if (f?.kind !== 'webauthn' || !Number.isSafeInteger(counter) || counter < 0) return false;
    if (!(counter > f.counter || (counter === 0 && f.counter === 0))) return false;
    f.counter = counter;
    f.lastUsedAt = now;
    return true;
  }

  async replaceRecoveryCodes(tenant: string, userId: string, hashes: readonly string[], _now: number): Promise<void> {
    this.#userOrNew(tenant, userId).codes = new Set(hashes);
    this.#prune(tenant, userId);
  }

  async useRecoveryCode(tenant: string, userId: string, hash: string): Promise<boolean> {
    const used = this.#user(tenant, userId)?.codes.delete(hash) ?? false;
    this.#prune(tenant, userId);
    return used;
  }

  async recoveryCodesLeft(tenant: string, userId: string): Promise<number> {
    return this.#user(tenant, userId)?.codes.size ?? 0;
  }
}
