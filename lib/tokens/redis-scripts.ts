import { DELETE_IF_VALUE } from '../redis-timeout';

/**
 * Lua scripts run with EVAL: each is atomic on the Redis server, which is what makes the
 * compare-and-set and the lock release safe across app instances.
 */

/**
 * KEYS[1] record hash; ARGV: expected version ('' = must not exist), new version, data, TTL ms.
 * Returns 1 when written, 0 when the stored version differs, 2 when a write of a new record
 * finds a hash without `version` (not this store's: never overwritten).
 */
export const COMPARE_AND_SET = `
local current = redis.call('HGET', KEYS[1], 'version')
if ARGV[1] == '' then
  if redis.call('EXISTS', KEYS[1]) == 1 then
    if current then return 0 end
    return 2
  end
elseif current ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'data', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`;

/** KEYS[1] record hash; ARGV[1] expected version ('' = any). Returns 1 when deleted. */
export const DELETE_IF_VERSION = `
if ARGV[1] == '' or redis.call('HGET', KEYS[1], 'version') == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/** KEYS[1] lock key; ARGV[1] the holder's token. Deletes the lock only if that holder has it. */
export const RELEASE_LOCK = DELETE_IF_VALUE;

/** KEYS[1] lock key; ARGV[1] the holder's token, ARGV[2] TTL ms. Returns 1 when extended. */
export const EXTEND_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`;
