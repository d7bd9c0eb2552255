// The Lua scripts behind RedisThrottle (redis-throttle.ts), and their ioredis typings.
// An attempt's two throttle keys share the tenant's hash tag `{tenant}`.
// Every decision uses `now` from ARGV (the gateway's clock, never Redis's TIME); TTLs are
// relative and only clean up. memory-throttle.ts implements the same rules.
import type { Result } from 'ioredis';

const INT = `local function int(n) return string.format('%d', n) end`;

/**
 * Throttle keys: KEYS[1] the attempt's subject, KEYS[2] its source (both under the
 * tenant's hash tag, so one slot). Each is a hash {failures, windowEnd, lockedUntil,
 * a:<attempt id> = until when that attempt in flight holds its place}.
 * ARGV: now, windowMs, maxFailures, lockoutMs, inFlightMs, attempt id[, outcome].
 * `load` is memory-throttle.ts current(): a lockout or window that is over starts the count
 * over, lost attempts drop out. `save` rewrites the key with the TTL of its last moment
 * that matters, or deletes it.
 */
const THROTTLE_PRELUDE = `${INT}
local now, windowMs, maxFailures, lockoutMs, inFlightMs = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local id = 'a:' .. ARGV[6]
local function load(key)
  local h = redis.call('HGETALL', key)
  local s = { failures = 0, windowEnd = nil, lockedUntil = nil, inFlight = {}, n = 0 }
  for i = 1, #h, 2 do
    local f, v = h[i], tonumber(h[i + 1])
    if f == 'failures' then s.failures = v or 0
    elseif f == 'windowEnd' then s.windowEnd = v
    elseif f == 'lockedUntil' then s.lockedUntil = v
    elseif string.sub(f, 1, 2) == 'a:' and v ~= nil and v > now then
      s.inFlight[f] = v
      s.n = s.n + 1
    end
  end
  if s.lockedUntil ~= nil and s.lockedUntil <= now then s.lockedUntil, s.failures, s.windowEnd = nil, 0, nil end
  if s.windowEnd ~= nil and s.windowEnd <= now then s.failures, s.windowEnd = 0, nil end
  return s
end
local function lock(s)
  s.lockedUntil, s.failures, s.windowEnd = now + lockoutMs, 0, nil
  return s.lockedUntil
end
local function save(key, s)
  redis.call('DEL', key)
  local fields, last = {'failures', int(s.failures)}, 0
  for _, f in ipairs({'windowEnd', 'lockedUntil'}) do
    if s[f] ~= nil then
      table.insert(fields, f)
      table.insert(fields, int(s[f]))
      last = math.max(last, s[f])
    end
  end
  for f, v in pairs(s.inFlight) do
    table.insert(fields, f)
    table.insert(fields, int(v))
    last = math.max(last, v)
  end
  if last > now then
    redis.call('HSET', key, unpack(fields))
    redis.call('PEXPIRE', key, int(last - now))
  end
end
`;

/**
 * Admits an attempt before its check (ThrottleStore.admitAttempt). Either key locked:
 * {0, lockedUntil}, nothing written. Failures at maxFailures without a lockout (a lowered
 * rule): locked now, {0, lockedUntil}. Failures + attempts in flight at maxFailures on
 * either key: {0, -1}. Else a place in flight on both keys: {1, -1}.
 */
export const ADMIT_ATTEMPT = `${THROTTLE_PRELUDE}
local a, b = load(KEYS[1]), load(KEYS[2])
local locked = math.max(a.lockedUntil or 0, b.lockedUntil or 0)
if locked > now then return {0, locked} end
local lockedNow = -1
for _, s in ipairs({a, b}) do
  if s.failures >= maxFailures then lockedNow = lock(s) end
end
local admitted = lockedNow < 0 and a.failures + a.n < maxFailures and b.failures + b.n < maxFailures
if admitted then
  a.inFlight[id] = now + inFlightMs
  b.inFlight[id] = now + inFlightMs
end
save(KEYS[1], a)
save(KEYS[2], b)
if admitted then return {1, -1} end
return {0, lockedNow}
`;

/**
 * Settles an admitted attempt (ThrottleStore.settleAttempt); ARGV[7] = failed | succeeded |
 * abandoned. Its places are given back; a failure counts on each key not locked, and the
 * one that reaches maxFailures locks the key; a success clears the subject's failures.
 */
export const SETTLE_ATTEMPT = `${THROTTLE_PRELUDE}
local outcome = ARGV[7]
local a, b = load(KEYS[1]), load(KEYS[2])
a.inFlight[id] = nil
b.inFlight[id] = nil
if outcome == 'failed' then
  for _, s in ipairs({a, b}) do
    if s.lockedUntil == nil then
      if s.windowEnd == nil then s.windowEnd = now + windowMs end
      s.failures = s.failures + 1
      if s.failures >= maxFailures then lock(s) end
    end
  end
elseif outcome == 'succeeded' then
  a.failures, a.windowEnd = 0, nil
end
save(KEYS[1], a)
save(KEYS[2], b)
return 1
`;

export const THROTTLE_SCRIPTS = {
  gkAdmitAttempt: [ADMIT_ATTEMPT, 2, 'refused-when-full'],
  // settles the place its admission took: it must not be lost to a full Redis
  gkSettleAttempt: [SETTLE_ATTEMPT, 2, 'runs-when-full'],
} as const;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    gkAdmitAttempt(subjectKey: string, sourceKey: string, ...args: string[]): Result<[number, number], Context>;
    gkSettleAttempt(subjectKey: string, sourceKey: string, ...args: string[]): Result<number, Context>;
  }
}
