import { generateCorrelationId } from '../correlation';
import { TikTokAPIError } from '../errors';

// Redis error replies start with an upper-case code (`WRONGTYPE Operation against…`). These mean
// the server cannot answer right now (loading, failover, cluster resharding, memory full):
// retrying later can work, so they stay SERVICE_UNAVAILABLE.
const TRANSIENT_REPLIES = new Set([
  'LOADING',
  'BUSY',
  'READONLY',
  'MASTERDOWN',
  'TRYAGAIN',
  'CLUSTERDOWN',
  'NOREPLICAS',
  'MOVED',
  'ASK',
  'OOM',
  'MISCONF',
  // A blocked WAIT ended by a failover (the primary became a replica while it waited).
  'UNBLOCKED',
]);

/**
 * An `ERR` reply that says the server is busy, not that the key or the command is wrong: every
 * connection slot taken (`maxclients`). NOTE: Redis gives it no code of its own.
 */
const TRANSIENT_ERR = /^ERR max number of clients reached/;

/** The code of a Redis error reply (`WRONGTYPE`, `ERR`, `NOPERM`...), or undefined. */
function replyCodeOf(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  // NOTE: Redis before 7 wraps an error raised inside a script in ERR: `ERR Error running script
  // (call to f_…): @user_script:8: … -READONLY You can't write against a read only replica.`
  // (a demoted primary during a failover). The inner code is the one that tells.
  const wrapped = /^ERR Error running script\b.*?-([A-Z]{2,20}) /.exec(err.message)?.[1];
  if (wrapped !== undefined) return wrapped;
  const code = /^([A-Z]{2,20})(?: |$)/.exec(err.message)?.[1];
  // Socket errors carry an errno code (ECONNREFUSED...) but their messages start lower-case;
  // this keeps a client that puts the errno first on the "unavailable" side.
  if (code === undefined || /^E(?:CONN|HOST|NET|PIPE|TIMEDOUT|ADDR|AI)/.test(code)) {
    return undefined;
  }
  return code;
}

/**
 * A Redis error reply that retrying cannot fix — `WRONGTYPE` (the key holds another kind of
 * value), `ERR` (a script or command error), `NOPERM` (ACLs) and the like — as a
 * CONFIGURATION_ERROR (500, not retryable) naming the key. `undefined` for anything else:
 * connection failures and transient replies (`LOADING`, `READONLY`...) stay "unavailable".
 */
export function redisDataError(err: unknown, key: string): TikTokAPIError | undefined {
  const code = replyCodeOf(err);
  if (code === undefined || TRANSIENT_REPLIES.has(code)) return undefined;
  if (code === 'ERR' && err instanceof Error && TRANSIENT_ERR.test(err.message)) return undefined;
  const why =
    code === 'WRONGTYPE'
      ? `holds a value of another type (Redis answered WRONGTYPE): something else writes under this prefix. Give RedisTokenStore a prefix of its own, or delete the key`
      : `cannot be used (Redis answered ${code}): check the Redis user's permissions and that nothing else writes under this prefix`;
  return new TikTokAPIError({
    code: 'CONFIGURATION_ERROR',
    message: `RedisTokenStore: the key ${key} ${why}.`,
    correlationId: generateCorrelationId(),
    cause: err,
  });
}

/**
 * The refresh lock key `key` holds a `type` (Redis's TYPE: `hash`, `list`...) instead of a lock
 * (a string with an expiry): a CONFIGURATION_ERROR (500, not retryable) naming the key, since
 * waiting cannot free it. NOTE: a type name Redis did not spell as one (a module type, say) is
 * not quoted.
 */
export function foreignLockError(key: string, type: string): TikTokAPIError {
  const held = /^[a-z]{1,16}$/.test(type) ? `a ${type}` : 'a value of another type';
  return new TikTokAPIError({
    code: 'CONFIGURATION_ERROR',
    message: `RedisTokenStore: the refresh lock key ${key} holds ${held}, not a lock (a string with an expiry): something else writes under this prefix. Give RedisTokenStore a prefix of its own, or delete the key.`,
    correlationId: generateCorrelationId(),
  });
}
