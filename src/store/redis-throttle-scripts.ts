// The Lua scripts behind RedisThrottle (redis-throttle.ts), and their ioredis typings.
// Each script reads and changes ONE throttle key (a subject's or a source's): the two keys
// of an attempt live in slots of their own, and redis-throttle.ts runs a script on each.
// Every decision uses `now` from ARGV (the gateway's clock, never Redis's TIME); TTLs are
// relative and only clean up. memory-throttle.ts implements the same rules.
import type { Result } from 'ioredis';

const INT = `local function int(n) return string.format('%d', n) end`;

/**
 * A throttle key (KEYS[1]): the attempt's subject or its source, a hash {failures,
 * windowEnd, lockedUntil, a:<attempt id> = until when that attempt in flight holds its place}.
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
 * Admits an attempt on one key before its check (ThrottleStore.admitAttempt does it on the
 * subject's and the source's). Locked: {0, lockedUntil}, nothing written. Failures at
 * maxFailures without a lockout (a lowered rule): locked now, {0, lockedUntil}. Failures +
 * attempts in flight at maxFailures: {0, -1}, nothing written. Else a place in flight:
 * {1, -1}. Atomic per key: parallel admissions never hold more than maxFailures places.
 */
export const ADMIT_ATTEMPT = `${THROTTLE_PRELUDE}
local s = load(KEYS[1])
if s.lockedUntil ~= nil and s.lockedUntil > now then return {0, s.lockedUntil} end
if s.failures >= maxFailures then
  local lockedUntil = lock(s)
  save(KEYS[1], s)
  return {0, lockedUntil}
end
if s.failures + s.n >= maxFailures then return {0, -1} end
s.inFlight[id] = now + inFlightMs
save(KEYS[1], s)
return {1, -1}
`;

/**
 * Settles an attempt on one key; ARGV[7] = failed | cleared | released. Its place is given
 * back; failed: one more failure unless the key is locked, and reaching maxFailures locks
 * it; cleared (a success, on the subject): its failures are cleared; released (an
 * abandoned attempt, a success on the source, or an admission refused on the other key):
 * nothing more.
 */
export const SETTLE_ATTEMPT = `${THROTTLE_PRELUDE}
local outcome = ARGV[7]
local s = load(KEYS[1])
s.inFlight[id] = nil
if outcome == 'failed' then
  if s.lockedUntil == nil then
    if s.windowEnd == nil then s.windowEnd = now + windowMs end
    s.failures = s.failures + 1
    if s.failures >= maxFailures then lock(s) end
  end
elseif outcome == 'cleared' then
  s.failures, s.windowEnd = 0, nil
end
save(KEYS[1], s)
return 1
`;

export const THROTTLE_SCRIPTS = {
  gkAdmitAttempt: [ADMIT_ATTEMPT, 1, 'refused-when-full'],
  // settles the place its admission took: it must not be lost to a full Redis
  gkSettleAttempt: [SETTLE_ATTEMPT, 1, 'runs-when-full'],
} as const;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    gkAdmitAttempt(key: string, ...args: string[]): Result<[number, number], Context>;
    gkSettleAttempt(key: string, ...args: string[]): Result<number, Context>;
  }
}
