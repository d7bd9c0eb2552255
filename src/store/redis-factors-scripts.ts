// The Lua scripts behind RedisFactors (redis-factors.ts), and their ioredis typings. Both
// keys of a script are one user's (hash tag `{tenant:tag}`), so each runs in one slot.
// Records are FactorRecord JSON; the scripts decode it with cjson to judge, and the two
// compare-and-set scripts write it back re-encoded (cjson turns an empty `transports` array
// into `{}`: redis-factors.ts reads either as []; it writes numbers with 14 significant digits,
// exact for every integer we keep: ms times, 32-bit counters, TOTP steps). memory-factors.ts
// implements the same rules.
import type { Result } from 'ioredis';

/**
 * KEYS[1] the user's factor hash. ARGV: factorId, record JSON, max, credentialId ('' for TOTP).
 * Returns 'ok' | 'duplicate' | 'limit'. A duplicate is judged first: re-registering the same
 * key is a duplicate even at the limit.
 */
export const ADD_FACTOR = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 'duplicate' end
if ARGV[4] ~= '' then
  for _, json in ipairs(redis.call('HVALS', KEYS[1])) do
    local ok, f = pcall(cjson.decode, json)
    if ok and type(f) == 'table' and f.credentialId == ARGV[4] then return 'duplicate' end
  end
end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return 'limit' end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 'ok'
`;

/** Decodes factor ARGV[1] of hash KEYS[1] when it is of kind `kind`; nil otherwise. */
const LOAD = `
local function load(kind)
  local json = redis.call('HGET', KEYS[1], ARGV[1])
  if not json then return nil end
  local ok, f = pcall(cjson.decode, json)
  if not ok or type(f) ~= 'table' or f.kind ~= kind then return nil end
  return f
end
local function store(f)
  f.lastUsedAt = tonumber(ARGV[3])
  redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(f))
  return 1
end`;

/**
 * KEYS[1] the user's factor hash. ARGV: factorId, step, now. 1 when the step is above the
 * factor's lastStep (then stored with lastUsedAt = now), else 0.
 */
export const ACCEPT_TOTP_STEP = `${LOAD}
local f = load('totp')
if not f or type(f.lastStep) ~= 'number' then return 0 end
local step = tonumber(ARGV[2])
if step <= f.lastStep then return 0 end
f.lastStep = step
return store(f)
`;

/**
 * KEYS[1] the user's factor hash. ARGV: factorId, counter, now. 1 when the counter went up,
 * or stays at 0 for an authenticator that keeps none (then stored with lastUsedAt = now), else 0.
 */
export const ACCEPT_WEBAUTHN_COUNTER = `${LOAD}
local f = load('webauthn')
if not f or type(f.counter) ~= 'number' then return 0 end
local counter = tonumber(ARGV[2])
if not (counter > f.counter or (counter == 0 and f.counter == 0)) then return 0 end
f.counter = counter
return store(f)
`;

/** KEYS[1] the user's recovery-code set. ARGV: the new hashes (at least one). */
export const REPLACE_RECOVERY_CODES = `
redis.call('DEL', KEYS[1])
redis.call('SADD', KEYS[1], unpack(ARGV))
return 1
`;

/** KEYS[1] the user's factor hash, KEYS[2] their recovery-code set. Returns how many factors went. */
export const REMOVE_ALL_FACTORS = `
local n = redis.call('HLEN', KEYS[1])
redis.call('DEL', KEYS[1], KEYS[2])
return n
`;

export const FACTOR_SCRIPTS = {
  gkAddFactor: [ADD_FACTOR, 1, 'refused-when-full'],
  // overwrite a factor that exists (a login's second step must not fail on a full Redis)
  gkAcceptTotpStep: [ACCEPT_TOTP_STEP, 1, 'runs-when-full'],
  gkAcceptWebAuthnCounter: [ACCEPT_WEBAUTHN_COUNTER, 1, 'runs-when-full'],
  gkReplaceRecoveryCodes: [REPLACE_RECOVERY_CODES, 1, 'refused-when-full'],
  gkRemoveAllFactors: [REMOVE_ALL_FACTORS, 2, 'runs-when-full'],
} as const;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    gkAddFactor(factorsKey: string, ...args: string[]): Result<'ok' | 'duplicate' | 'limit', Context>;
    gkAcceptTotpStep(factorsKey: string, ...args: string[]): Result<number, Context>;
    gkAcceptWebAuthnCounter(factorsKey: string, ...args: string[]): Result<number, Context>;
    gkReplaceRecoveryCodes(codesKey: string, ...hashes: string[]): Result<number, Context>;
    gkRemoveAllFactors(factorsKey: string, codesKey: string): Result<number, Context>;
  }
}
