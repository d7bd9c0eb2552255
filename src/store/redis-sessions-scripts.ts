// The Lua scripts behind RedisSessions (redis-sessions.ts), and their ioredis typings.
// Each script touches only keys of one user's hash tag `{tenant:tag}`, so in Cluster
// mode it runs inside one slot. Keys that scripts build themselves (a session key from
// an index member, the index key from a session's userId) get the full key prefix from
// ARGV, because ioredis prefixes only the keys passed in KEYS. A session's refresh-token
// chain (rt:, rtu:, see redis-tokens.ts) lives in its slot and is deleted with it here.
import type { Result } from 'ioredis';

/**
 * Shared Lua helpers. `alive` and `expiry` must mirror session/model.ts exactly:
 * alive ⇔ now < expiresAt and (no idle timeout or now < lastActiveAt + idleTimeoutMs).
 * A record missing its times (a key that no longer exists) counts as dead.
 * Integers are formatted with %d: Lua's default number format would turn an epoch
 * in milliseconds into exponent notation.
 */
const PRELUDE = `
local function times(key)
  local f = redis.call('HMGET', key, 'expiresAt', 'lastActiveAt', 'idleTimeoutMs')
  return tonumber(f[1]), tonumber(f[2]), tonumber(f[3])
end
local function alive(key, now)
  local exp, last, idle = times(key)
  if exp == nil or last == nil then return false end
  if now >= exp then return false end
  if idle ~= nil and now >= last + idle then return false end
  return true
end
local function expiry(key)
  local exp, last, idle = times(key)
  if idle ~= nil and last + idle < exp then return last + idle end
  return exp
end
local function int(n) return string.format('%d', n) end
-- The index must outlive every member, so its TTL only ever grows.
local function extend(key, ttl)
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, int(ttl)) end
end
-- Deletes a session and its refresh-token chain (base = the slot's full key prefix,
-- "<keyPrefix>{tenant:tag}:"); returns 1 when the session hash existed.
local function drop(base, id)
  redis.call('DEL', base .. 'rt:' .. id, base .. 'rtu:' .. id)
  return redis.call('DEL', base .. 's:' .. id)
end
`;

/**
 * KEYS[1] session hash, KEYS[2] user index.
 * ARGV: now, max (0 = unlimited), policy ('evict-oldest'|'reject'), slot key base,
 * session id, lastActiveAt (index score), ttl ms, then the hash's field/value pairs.
 * Returns {'ok', {evicted ids}} or {'limit'}.
 */
export const CREATE_SESSION = `${PRELUDE}
local now = tonumber(ARGV[1])
local max = tonumber(ARGV[2])
local base = ARGV[4]
for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  if not alive(base .. 's:' .. id, now) then
    redis.call('ZREM', KEYS[2], id)
    drop(base, id)
  end
end
local evicted = {}
if max > 0 then
  -- Only login sessions count (token sessions of OAuth clients do not), least recently
  -- active first (ZRANGE is ordered by score = lastActiveAt).
  local logins = {}
  for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    if redis.call('HGET', base .. 's:' .. id, 'kind') == 'browser' then logins[#logins + 1] = id end
  end
  local count = #logins
  if count >= max then
    if ARGV[3] == 'reject' then return {'limit'} end
    for i = 1, count - max + 1 do
      local id = logins[i]
      drop(base, id)
      redis.call('ZREM', KEYS[2], id)
      evicted[#evicted + 1] = id
    end
  end
end
local ttl = tonumber(ARGV[7])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 8))
redis.call('PEXPIRE', KEYS[1], int(ttl))
redis.call('ZADD', KEYS[2], ARGV[6], ARGV[5])
extend(KEYS[2], ttl)
return {'ok', evicted}
`;

/**
 * KEYS[1] session hash. ARGV: now, session id, index key base, then field/value pairs.
 * A dead session is not updated: writing lastActiveAt would bring it back to life.
 * Returns 1 when updated, 0 when the session is gone or dead.
 */
export const UPDATE_SESSION = `${PRELUDE}
local now = tonumber(ARGV[1])
if not alive(KEYS[1], now) then return 0 end
if #ARGV > 3 then redis.call('HSET', KEYS[1], unpack(ARGV, 4)) end
local ttl = expiry(KEYS[1]) - now
if ttl < 1 then ttl = 1 end
redis.call('PEXPIRE', KEYS[1], int(ttl))
local index = ARGV[3] .. redis.call('HGET', KEYS[1], 'userId')
redis.call('ZADD', index, redis.call('HGET', KEYS[1], 'lastActiveAt'), ARGV[2])
extend(index, ttl)
return 1
`;

/**
 * KEYS[1] session hash, KEYS[2] its chain hash, KEYS[3] its used-hash set.
 * ARGV: session id, index key base. Returns 1 when the session existed.
 * The chain goes even when the session hash has already expired.
 */
export const DELETE_SESSION = `
redis.call('DEL', KEYS[2], KEYS[3])
local uid = redis.call('HGET', KEYS[1], 'userId')
if not uid then return redis.call('DEL', KEYS[1]) end
redis.call('DEL', KEYS[1])
redis.call('ZREM', ARGV[2] .. uid, ARGV[1])
return 1
`;

/**
 * KEYS[1] user index. ARGV: slot key base, except id ('' = none). Returns the records
 * (HGETALL field/value lists) of the removed sessions that still existed, read in the same
 * script that removes them; their refresh-token chains go with them.
 */
export const DELETE_USER_SESSIONS = `${PRELUDE}
local removed = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if id ~= ARGV[2] then
    local fields = redis.call('HGETALL', ARGV[1] .. 's:' .. id)
    if drop(ARGV[1], id) == 1 then removed[#removed + 1] = fields end
    redis.call('ZREM', KEYS[1], id)
  end
end
return removed
`;

/** name → [script, number of KEYS, memory rule] for defineCommand. */
export const SESSION_SCRIPTS = {
  gkCreateSession: [CREATE_SESSION, 2, 'refused-when-full'],
  // overwrites fields of a session that exists and its score in the index
  gkUpdateSession: [UPDATE_SESSION, 1, 'runs-when-full'],
  gkDeleteSession: [DELETE_SESSION, 3, 'runs-when-full'],
  gkDeleteUserSessions: [DELETE_USER_SESSIONS, 1, 'runs-when-full'],
} as const;

// Typed commands, as in ioredis examples/typescript/scripts.ts.
declare module 'ioredis' {
  interface RedisCommander<Context> {
    gkCreateSession(
      sessionKey: string,
      indexKey: string,
      ...args: string[]
    ): Result<['ok', string[]] | ['limit'], Context>;
    gkUpdateSession(sessionKey: string, ...args: string[]): Result<number, Context>;
    gkDeleteSession(
      sessionKey: string,
      chainKey: string,
      usedKey: string,
      id: string,
      indexBase: string,
    ): Result<number, Context>;
    gkDeleteUserSessions(indexKey: string, slotBase: string, exceptId: string): Result<string[][], Context>;
  }
}
