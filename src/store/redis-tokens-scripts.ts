// The Lua scripts behind RedisTokens' refresh-token chains (redis-tokens.ts), and their
// ioredis typings. A chain's two keys share its session's hash tag `{tenant:tag}`.
// Every decision uses `now` from ARGV (the gateway's clock, never Redis's TIME); TTLs are
// relative and only clean up. memory-tokens.ts implements the same rules.
import type { Result } from 'ioredis';

const INT = `local function int(n) return string.format('%d', n) end`;

/**
 * KEYS[1] chain hash, KEYS[2] used-hash set. ARGV: clientId, currentHash, expiresAt, ttl.
 * Replaces any previous chain of the session, its used hashes included.
 */
export const SAVE_REFRESH_CHAIN = `
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[1], 'clientId', ARGV[1], 'cur', ARGV[2], 'exp', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`;

/**
 * KEYS[1] chain hash, KEYS[2] used-hash set.
 * ARGV: presentedHash, nextHash, successorBox, expiresAt (of the successor), now, graceMs.
 * Returns {'rotated', clientId} | {'grace', clientId, box} | {'reuse', clientId} | {'unknown'}.
 * graceMs = 0 means no grace at all: a parallel second use is then a reuse.
 */
export const ROTATE_REFRESH_TOKEN = `${INT}
local h = redis.call('HMGET', KEYS[1], 'clientId', 'cur', 'exp', 'prev', 'rotatedAt', 'box')
local clientId, cur, exp = h[1], h[2], tonumber(h[3])
local now = tonumber(ARGV[5])
-- An expired chain is judged by the gateway's clock, whatever its TTL still says.
if not clientId or not cur or exp == nil or now >= exp then return {'unknown'} end
local presented = ARGV[1]
if presented == cur then
  local nextExp = tonumber(ARGV[4])
  local ttl = nextExp - now
  if ttl < 1 then ttl = 1 end
  redis.call('SADD', KEYS[2], presented)
  redis.call('HSET', KEYS[1], 'cur', ARGV[2], 'exp', int(nextExp), 'prev', presented, 'rotatedAt', int(now), 'box', ARGV[3])
  redis.call('PEXPIRE', KEYS[1], int(ttl))
  redis.call('PEXPIRE', KEYS[2], int(ttl))
  return {'rotated', clientId}
end
local grace = tonumber(ARGV[6])
local rotatedAt = tonumber(h[5])
if h[4] and presented == h[4] and grace > 0 and rotatedAt ~= nil and now - rotatedAt <= grace then
  return {'grace', clientId, h[6] or ''}
end
if redis.call('SISMEMBER', KEYS[2], presented) == 1 then return {'reuse', clientId} end
return {'unknown'}
`;

export const TOKEN_SCRIPTS = {
  gkSaveRefreshChain: [SAVE_REFRESH_CHAIN, 2, 'refused-when-full'],
  gkRotateRefreshToken: [ROTATE_REFRESH_TOKEN, 2, 'refused-when-full'],
} as const;

export type RotateReply = ['rotated', string] | ['grace', string, string] | ['reuse', string] | ['unknown'];

declare module 'ioredis' {
  interface RedisCommander<Context> {
    gkSaveRefreshChain(chainKey: string, usedKey: string, ...args: string[]): Result<number, Context>;
    gkRotateRefreshToken(chainKey: string, usedKey: string, ...args: string[]): Result<RotateReply, Context>;
  }
}
