// FactorStore over the Redis store's own client (same keyPrefix, same fail-fast rules).
//
// Key layout (after keyPrefix), all in the user's slot (redis-keys.ts), that of their sessions:
//   {<tenant>:<tag>}:fac:<userId>  HASH  factor id → FactorRecord JSON (no TTL: factors last)
//   {<tenant>:<tag>}:rc:<userId>   SET   the user's recovery-code hashes (no TTL)
// <tag> = userTag(tenant, userId). Adding, the two compare-and-set accepts and removing all
// are Lua scripts (redis-factors-scripts.ts); single-command changes (HDEL, SREM) are atomic
// by themselves. The records hold only sealed secrets, public keys and hashes.
import type { Cluster, Redis } from 'ioredis';
import { userTag } from '../session/ids.js';
import type { AddFactorResult, FactorRecord, FactorStore } from './factors.js';
import type { MemoryRule, ScriptTable } from './redis-connection.js';
import { FACTOR_SCRIPTS } from './redis-factors-scripts.js';
import { int, slot } from './redis-keys.js';
import { StoreUnavailableError } from './types.js';

// The Redis 7 script flags of redis-connection.ts' memory rules: RedisConnection defines the
// session store's scripts itself, and this concern gets only its client.
const SHEBANG: Readonly<Record<MemoryRule, string>> = {
  'refused-when-full': '#!lua\n',
  'runs-when-full': '#!lua flags=allow-oom\n',
};

function defineScripts(client: Redis | Cluster, scripts: ScriptTable): void {
  for (const [name, [lua, numberOfKeys, memory]] of Object.entries(scripts))
    client.defineCommand(name, { lua: SHEBANG[memory] + lua, numberOfKeys });
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isTime = (v: unknown): v is number | null => v === null || isCount(v);

/**
 * A stored record back to a FactorRecord, or null when it is not one or not the user's.
 * cjson re-encodes an empty array as `{}` (redis-factors-scripts.ts): read as [].
 */
function parseFactor(json: string | null | undefined, tenant: string, userId: string): FactorRecord | null {
  if (!json) return null;
  let f: Record<string, unknown>;
  try {
    f = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof f !== 'object' || f === null || f.tenant !== tenant || f.userId !== userId) return null;
  if (typeof f.id !== 'string' || typeof f.name !== 'string' || !isCount(f.createdAt) || !isTime(f.lastUsedAt))
    return null;
  if (f.kind === 'totp') {
    return typeof f.secretBox === 'string' && isCount(f.lastStep) ? (f as unknown as FactorRecord) : null;
  }
  if (f.kind === 'webauthn') {
    if (typeof f.credentialId !== 'string' || typeof f.publicKey !== 'string' || !isCount(f.counter)) return null;
    const transports = Array.isArray(f.transports) ? f.transports.filter((x) => typeof x === 'string') : [];
    return { ...f, transports } as unknown as FactorRecord;
  }
  return null;
}

/** Oldest first; the id orders factors added in the same millisecond (as memory-factors.ts). */
function byAge(a: FactorRecord, b: FactorRecord): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** No lone UTF-16 surrogate in any string (cjson, which the Redis scripts use, cannot read one back). */
function isWellFormed(f: FactorRecord): boolean {
  const strings = Object.values(f).flatMap((v: unknown) => (Array.isArray(v) ? v : [v]));
  return !strings.some((v) => typeof v === 'string' && /\p{Cs}/u.test(v));
}

export class RedisFactors implements FactorStore {
  constructor(private readonly client: Redis | Cluster) {
    defineScripts(client, FACTOR_SCRIPTS);
  }

  async #run<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw new StoreUnavailableError(`redis ${what} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The user's two keys: [factor hash, recovery-code set]. */
  #keys(tenant: string, userId: string): [string, string] {
    const base = slot(tenant, userTag(tenant, userId));
    return [`${base}fac:${userId}`, `${base}rc:${userId}`];
  }

  async addFactor(factor: FactorRecord, max: number): Promise<AddFactorResult> {
    if (!isWellFormed(factor)) throw new TypeError('a factor record holds a string that is not well-formed Unicode');
    const [fac] = this.#keys(factor.tenant, factor.userId);
    const credentialId = factor.kind === 'webauthn' ? factor.credentialId : '';
    const reply = await this.#run('addFactor', () =>
      this.client.gkAddFactor(fac, factor.id, JSON.stringify(factor), int(Math.max(0, max)), credentialId),
    );
    return reply === 'ok' ? { ok: true } : { ok: false, reason: reply };
  }

  async listFactors(tenant: string, userId: string): Promise<FactorRecord[]> {
    const [fac] = this.#keys(tenant, userId);
    const all = await this.#run('listFactors', () => this.client.hvals(fac));
    return all
      .map((j) => parseFactor(j, tenant, userId))
      .filter((f): f is FactorRecord => f !== null)
      .sort(byAge);
  }

  async getFactor(tenant: string, userId: string, factorId: string): Promise<FactorRecord | null> {
    const [fac] = this.#keys(tenant, userId);
    const f = parseFactor(await this.#run('getFactor', () => this.client.hget(fac, factorId)), tenant, userId);
    return f?.id === factorId ? f : null;
  }

  async removeFactor(tenant: string, userId: string, factorId: string): Promise<boolean> {
    const [fac] = this.#keys(tenant, userId);
    return (await this.#run('removeFactor', () => this.client.hdel(fac, factorId))) === 1;
  }

  async removeAllFactors(tenant: string, userId: string): Promise<number> {
    const [fac, rc] = this.#keys(tenant, userId);
    return this.#run('removeAllFactors', () => this.client.gkRemoveAllFactors(fac, rc));
  }

  async acceptTotpStep(tenant: string, userId: string, factorId: string, step: number, now: number): Promise<boolean> {
    if (!Number.isSafeInteger(step) || step < 0) return false;
    const [fac] = this.#keys(tenant, userId);
    const reply = await this.#run('acceptTotpStep', () =>
      this.client.gkAcceptTotpStep(fac, factorId, String(step), int(now)),
    );
    return reply === 1;
  }

  async acceptWebAuthnCounter(
    tenant: string,
    userId: string,
    factorId: string,
    counter: number,
    now: number,
  ): Promise<boolean> {
    if (!Number.isSafeInteger(counter) || counter < 0) return false;
    const [fac] = this.#keys(tenant, userId);
    const reply = await this.#run('acceptWebAuthnCounter', () =>
      this.client.gkAcceptWebAuthnCounter(fac, factorId, String(counter), int(now)),
    );
    return reply === 1;
  }

  async replaceRecoveryCodes(tenant: string, userId: string, hashes: readonly string[], _now: number): Promise<void> {
    const [, rc] = this.#keys(tenant, userId);
    // No codes: a plain DEL, which also runs on a Redis over its maxmemory.
    await this.#run('replaceRecoveryCodes', () =>
      hashes.length === 0 ? this.client.del(rc) : this.client.gkReplaceRecoveryCodes(rc, ...hashes),
    );
  }

  async useRecoveryCode(tenant: string, userId: string, hash: string): Promise<boolean> {
    const [, rc] = this.#keys(tenant, userId);
    return (await this.#run('useRecoveryCode', () => this.client.srem(rc, hash))) === 1;
  }

  async recoveryCodesLeft(tenant: string, userId: string): Promise<number> {
    const [, rc] = this.#keys(tenant, userId);
    return this.#run('recoveryCodesLeft', () => this.client.scard(rc));
  }
}
