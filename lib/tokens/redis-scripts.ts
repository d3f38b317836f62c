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

/**
 * KEYS[1] record hash; ARGV[1] expected version ('' = whatever version is stored). Returns 1 when
 * deleted, 0 when nothing is stored or the stored version differs, 2 when ARGV[1] is '' and the
 * key is a hash without a `version` (not this store's: never deleted). A key of another type
 * makes the HGET fail with WRONGTYPE, before anything is deleted.
 * NOTE: an empty `version` counts as none, as in `get()`: this store never writes one.
 */
export const DELETE_IF_VERSION = `
local current = redis.call('HGET', KEYS[1], 'version')
if ARGV[1] == '' then
  if not current or current == '' then
    if redis.call('EXISTS', KEYS[1]) == 1 then return 2 end
    return 0
  end
elseif current ~= ARGV[1] then
  return 0
end
return redis.call('DEL', KEYS[1])
`;

/**
 * KEYS[1] lock key; ARGV[1] the holder's token, ARGV[2] TTL ms. Run when `SET NX PX` found the
 * key taken: takes the lock if it has been freed since (returns 1); otherwise returns 0 (held)
 * for a string lock, or the key's TYPE (`hash`, `list`...) when it is not a string. A string
 * without an expiry (left by a bug or by hand) gets ARGV[2] as its TTL, so that it frees
 * itself instead of holding every refresh of the user for good; it counts as held until then.
 */
export const TAKE_OR_INSPECT_LOCK = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
local kind = redis.call('TYPE', KEYS[1]).ok
if kind ~= 'string' then return kind end
if redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
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
