// The Lua scripts behind RedisSessions (redis-sessions.ts), and their ioredis typings.
// Each script touches only keys of one user's hash tag `{tenant:tag}`, so in Cluster
// mode it runs inside one slot. Keys that scripts build themselves (a session key from
// an index member, the index key from a session's userId) get the full key prefix from
// ARGV, because ioredis prefixes only the keys passed in KEYS. A session's refresh-token
// chain (rt:, rtu:, see redis-tokens.ts) lives in its slot and is deleted with it here.
// Every way a session is removed before its time (delete, revoke-all, eviction, the sweep)
// leaves a tombstone `t:<id>` for the rest of its lifetime, written in the same script
// (so replicated with the delete, never apart from it): a read refuses a session whose
// tombstone exists, and creation never reuses a tombstoned id (see redis-durability.ts).
import type { Result } from 'ioredis';

/** How many expired sessions one creation drops at most (earliest expiry first). */
export const SWEEP = 16;
/** Sessions per revoke-all chunk: one script each, about a millisecond (measured: ~2-4 ms per 100). */
export const REVOKE_CHUNK = 25;

/**
 * The tombstone of a session about to be deleted: as long as the session hash would still
 * have lived (its PTTL, set from the gateway's clock to its effective expiry), so it
 * outlives any older copy of that hash. Nothing to remember for a hash already gone.
 */
const TOMBSTONE = `
local function tombstone(base, id)
  local left = redis.call('PTTL', base .. 's:' .. id)
  if left > 0 then redis.call('SET', base .. 't:' .. id, '1', 'PX', left) end
end
`;

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
-- The user's revocation generation (0 = never revoked-all) and the session it spared.
local function generation(base, uid)
  local r = redis.call('HMGET', base .. 'rv', 'g:' .. uid, 'x:' .. uid)
  return tonumber(r[1]) or 0, r[2]
end
-- A session stamped before the user's current generation (a session from before
-- generations existed counts as 0) is revoked, unless it is the one a revoke-all spared.
local function revoked(key, id, gen, except)
  if gen == 0 or id == except then return false end
  return (tonumber(redis.call('HGET', key, 'g')) or 0) < gen
end
-- The index must outlive every member, so its TTL only ever grows.
local function extend(key, ttl)
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, int(ttl)) end
end
${TOMBSTONE}
-- Deletes a session and its refresh-token chain (base = the slot's full key prefix,
-- "<keyPrefix>{tenant:tag}:"), leaving its tombstone; returns 1 when the session hash existed.
local function drop(base, id)
  redis.call('DEL', base .. 'rt:' .. id, base .. 'rtu:' .. id)
  tombstone(base, id)
  return redis.call('DEL', base .. 's:' .. id)
end
`;

/**
 * KEYS[1] session hash, KEYS[2] user index (u:).
 * ARGV: now, max (0 = unlimited), policy ('evict-oldest'|'reject'), slot key base,
 * session id, lastActiveAt (index score), ttl ms, per-user cap, userId, kind, effective
 * expiry (expiry index score), absolute lifetime left (ms), then the hash's field/value pairs.
 * Returns {'ok', {evicted ids}}, {'limit'}, or {'tombstoned'} (the id was revoked: never reused). Touches O(log n) per index entry it reads or
 * writes: the sweep reads at most SWEEP entries, the limit and the cap only the ones they
 * evict (and the dead ones found among them).
 */
export const CREATE_SESSION = `${PRELUDE}
local now = tonumber(ARGV[1])
local max = tonumber(ARGV[2])
local base = ARGV[4]
local cap = tonumber(ARGV[8])
local uid = ARGV[9]
local U, L, X = KEYS[2], base .. 'ul:' .. uid, base .. 'ux:' .. uid
-- A revoked id is never brought back, whoever asks.
if redis.call('EXISTS', base .. 't:' .. ARGV[5]) == 1 then return {'tombstoned'} end
local gen, except = generation(base, uid)
-- Indexes written before ul:/ux: existed are brought up to date once (the only walk).
if redis.call('EXISTS', X) == 0 and redis.call('EXISTS', U) == 1 then
  for _, id in ipairs(redis.call('ZRANGE', U, 0, -1)) do
    local key = base .. 's:' .. id
    local kind = redis.call('HGET', key, 'kind')
    if not kind then
      redis.call('ZREM', U, id)
    else
      redis.call('ZADD', X, int(expiry(key)), id)
      if kind == 'browser' then redis.call('ZADD', L, redis.call('ZSCORE', U, id), id) end
    end
  end
  local left = redis.call('PTTL', U)
  if left > 0 then extend(X, left); extend(L, left) end
end
local function remove(id)
  drop(base, id)
  redis.call('ZREM', U, id)
  redis.call('ZREM', L, id)
  redis.call('ZREM', X, id)
end
local function dead(id)
  local key = base .. 's:' .. id
  return (not alive(key, now)) or revoked(key, id, gen, except)
end
-- A bounded batch of expired sessions, earliest expiry first.
for _, id in ipairs(redis.call('ZRANGE', X, '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, ${SWEEP})) do
  local key = base .. 's:' .. id
  if alive(key, now) then redis.call('ZADD', X, int(expiry(key)), id) else remove(id) end
end
local evicted = {}
if max > 0 then
  -- Only login sessions count (token sessions of OAuth clients do not), least recently
  -- active first (ul: is ordered by score = lastActiveAt). Dead ones among them just go.
  local need = redis.call('ZCARD', L) - max + 1
  if need > 0 then
    local live = {}
    for _, id in ipairs(redis.call('ZRANGE', L, 0, need - 1)) do
      if dead(id) then remove(id) else live[#live + 1] = id end
    end
    if #live > 0 then
      if ARGV[3] == 'reject' then return {'limit'} end
      for _, id in ipairs(live) do
        remove(id)
        evicted[#evicted + 1] = id
      end
    end
  end
end
-- The per-user cap, whatever the limit: the least recently active of any kind go.
local over = redis.call('ZCARD', U) - cap + 1
if over > 0 then
  for _, id in ipairs(redis.call('ZRANGE', U, 0, over - 1)) do
    if not dead(id) then evicted[#evicted + 1] = id end
    remove(id)
  end
end
local ttl = tonumber(ARGV[7])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'g', int(gen), unpack(ARGV, 13))
redis.call('PEXPIRE', KEYS[1], int(ttl))
redis.call('ZADD', U, ARGV[6], ARGV[5])
redis.call('ZADD', X, ARGV[11], ARGV[5])
extend(U, ttl)
extend(X, ttl)
if ARGV[10] == 'browser' then
  redis.call('ZADD', L, ARGV[6], ARGV[5])
  extend(L, ttl)
end
-- The revocation generations must outlive every session stamped with one (see MARK).
extend(base .. 'rv', tonumber(ARGV[12]))
return {'ok', evicted}
`;

/**
 * KEYS[1] session hash. ARGV: now, session id, slot key base, then field/value pairs.
 * A dead or revoked session is not updated: writing lastActiveAt would bring it back to life.
 * Returns 1 when updated, 0 when the session is gone, dead or revoked.
 */
export const UPDATE_SESSION = `${PRELUDE}
local now = tonumber(ARGV[1])
if not alive(KEYS[1], now) then return 0 end
local base = ARGV[3]
if redis.call('EXISTS', base .. 't:' .. ARGV[2]) == 1 then return 0 end
local uid = redis.call('HGET', KEYS[1], 'userId')
local gen, except = generation(base, uid)
if revoked(KEYS[1], ARGV[2], gen, except) then return 0 end
if #ARGV > 3 then redis.call('HSET', KEYS[1], unpack(ARGV, 4)) end
local exp = expiry(KEYS[1])
local ttl = exp - now
if ttl < 1 then ttl = 1 end
redis.call('PEXPIRE', KEYS[1], int(ttl))
local last = redis.call('HGET', KEYS[1], 'lastActiveAt')
local U = base .. 'u:' .. uid
redis.call('ZADD', U, last, ARGV[2])
extend(U, ttl)
-- XX: only re-scored where indexed (an index from before ul:/ux: is migrated on create).
redis.call('ZADD', base .. 'ux:' .. uid, 'XX', int(exp), ARGV[2])
extend(base .. 'ux:' .. uid, ttl)
if redis.call('HGET', KEYS[1], 'kind') == 'browser' then
  redis.call('ZADD', base .. 'ul:' .. uid, 'XX', last, ARGV[2])
  extend(base .. 'ul:' .. uid, ttl)
end
extend(base .. 'rv', ttl)
return 1
`;

/**
 * KEYS[1] session hash, KEYS[2] its chain hash, KEYS[3] its used-hash set.
 * ARGV: session id, slot key base. Returns 1 when the session existed.
 * The chain goes even when the session hash has already expired.
 */
export const DELETE_SESSION = `${TOMBSTONE}
redis.call('DEL', KEYS[2], KEYS[3])
local uid = redis.call('HGET', KEYS[1], 'userId')
if not uid then return redis.call('DEL', KEYS[1]) end
tombstone(ARGV[2], ARGV[1])
redis.call('DEL', KEYS[1])
redis.call('ZREM', ARGV[2] .. 'u:' .. uid, ARGV[1])
redis.call('ZREM', ARGV[2] .. 'ul:' .. uid, ARGV[1])
redis.call('ZREM', ARGV[2] .. 'ux:' .. uid, ARGV[1])
return 1
`;

/**
 * Revoke-all, step 1 (O(1)): the user's revocation generation goes up, so every session
 * stamped with an older one (all that exist now) is refused by every read from here on —
 * but `except` ('' = none). KEYS[1] user index. ARGV: slot key base, userId, except id.
 * The generations hash lives as long as any session stamped against it (creation and
 * activity extend it). Returns the new generation.
 */
export const MARK_USER_REVOKED = `${PRELUDE}
local rv = ARGV[1] .. 'rv'
local gen = redis.call('HINCRBY', rv, 'g:' .. ARGV[2], 1)
if ARGV[3] ~= '' then redis.call('HSET', rv, 'x:' .. ARGV[2], ARGV[3]) else redis.call('HDEL', rv, 'x:' .. ARGV[2]) end
local left = redis.call('PTTL', KEYS[1])
if left < 1000 then left = 1000 end
extend(rv, left)
return gen
`;

/**
 * Revoke-all, step 2, one bounded chunk: ZSCAN of the user index from `cursor`, removing
 * the sessions stamped before generation `gen` (but `except`) with their chains. ZSCAN
 * returns every member present for the whole scan, so no revoked session is missed; one
 * created after step 1 is left alone. KEYS[1] user index. ARGV: slot key base, userId,
 * gen, except id, cursor, count. Returns {next cursor ('0' = done), {removed records}}.
 */
export const DELETE_USER_SESSIONS_CHUNK = `${PRELUDE}
local base, uid, gen, except = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local scan = redis.call('ZSCAN', KEYS[1], ARGV[5], 'COUNT', ARGV[6])
local items = scan[2]
local removed = {}
for i = 1, #items, 2 do
  local id = items[i]
  local key = base .. 's:' .. id
  if id ~= except and (tonumber(redis.call('HGET', key, 'g')) or 0) < gen then
    local fields = redis.call('HGETALL', key)
    if drop(base, id) == 1 then removed[#removed + 1] = fields end
    redis.call('ZREM', KEYS[1], id)
    redis.call('ZREM', base .. 'ul:' .. uid, id)
    redis.call('ZREM', base .. 'ux:' .. uid, id)
  end
end
return {scan[1], removed}
`;

/**
 * One page of the user index, most recently active first. KEYS[1] user index.
 * ARGV: limit, cursor score, cursor id ('' = first page). When the cursor's session is
 * still where the cursor saw it, the page starts right after it (ZREVRANK); otherwise after
 * every strictly newer score (the caller skips the ties it already listed).
 * Returns {{id, score, …}, total}.
 */
export const USER_SESSIONS_PAGE = `
local start = 0
if ARGV[3] ~= '' then
  local score = redis.call('ZSCORE', KEYS[1], ARGV[3])
  if score and tonumber(score) == tonumber(ARGV[2]) then
    start = redis.call('ZREVRANK', KEYS[1], ARGV[3]) + 1
  else
    start = redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[2], '+inf')
  end
end
local limit = tonumber(ARGV[1])
return {redis.call('ZRANGE', KEYS[1], start, start + limit - 1, 'REV', 'WITHSCORES'), start + limit < redis.call('ZCARD', KEYS[1]) and 1 or 0}
`;

/** name → [script, number of KEYS, memory rule] for defineCommand. */
export const SESSION_SCRIPTS = {
  gkCreateSession: [CREATE_SESSION, 2, 'refused-when-full'],
  // overwrites fields of a session that exists and its score in the index
  gkUpdateSession: [UPDATE_SESSION, 1, 'runs-when-full'],
  gkDeleteSession: [DELETE_SESSION, 3, 'runs-when-full'],
  // a revocation is never refused: a counter in an existing-or-tiny hash
  gkMarkUserRevoked: [MARK_USER_REVOKED, 1, 'runs-when-full'],
  gkDeleteUserSessionsChunk: [DELETE_USER_SESSIONS_CHUNK, 1, 'runs-when-full'],
  gkUserSessionsPage: [USER_SESSIONS_PAGE, 1, 'runs-when-full'],
} as const;

// Typed commands, as in ioredis examples/typescript/scripts.ts.
declare module 'ioredis' {
  interface RedisCommander<Context> {
    gkCreateSession(
      sessionKey: string,
      indexKey: string,
      ...args: string[]
    ): Result<['ok', string[]] | ['limit'] | ['tombstoned'], Context>;
    gkUpdateSession(sessionKey: string, ...args: string[]): Result<number, Context>;
    gkDeleteSession(
      sessionKey: string,
      chainKey: string,
      usedKey: string,
      id: string,
      indexBase: string,
    ): Result<number, Context>;
    gkMarkUserRevoked(indexKey: string, slotBase: string, userId: string, exceptId: string): Result<number, Context>;
    gkDeleteUserSessionsChunk(indexKey: string, ...args: string[]): Result<[string, string[][]], Context>;
    gkUserSessionsPage(indexKey: string, ...args: string[]): Result<[string[], number], Context>;
  }
}
