/**
 * A time limit for the Redis commands of this package's stores (`commandTimeoutMs`).
 *
 * NOTE: node-redis cannot bound a command once it is written: its `socketTimeout` is an idle
 * timer that every written command resets, so under steady traffic a Redis that hangs (a
 * stopped process, a partition that drops packets) is never noticed, and every command waits
 * until it answers again. The stores race each command against a timer instead; the command
 * stays queued in the client, and its late outcome is ignored.
 */

/** Default `commandTimeoutMs` of `RedisTokenStore`, `RedisClaimStore` and `RedisRemovalList`. */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 2000;

import { MAX_TIMER_MS, withinTime } from './time-limit';

/**
 * What a call of `RedisTokenStore`, `RedisClaimStore` or `RedisRemovalList` rejects with when
 * Redis did not answer one of its commands within `commandTimeoutMs`: a retryable outage, like
 * a dropped connection. `TikTokTokenManager`, `TikTokStrategy`, `tiktokWebhook()` and
 * `tiktokSessionRevocation()` turn it into `SERVICE_UNAVAILABLE` (503, retryable); code that
 * calls a store itself can test for it with `instanceof`.
 */
export class RedisCommandTimeoutError extends Error {
  override readonly name = 'RedisCommandTimeoutError';
}

/** The `commandTimeoutMs` option of `owner`, checked. */
export function commandTimeoutOption(value: unknown, owner: string): number {
  if (value === undefined) return DEFAULT_REDIS_COMMAND_TIMEOUT_MS;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_TIMER_MS) {
    throw new TypeError(
      `${owner} option commandTimeoutMs must be an integer from 1 to ${MAX_TIMER_MS} (ms)`,
    );
  }
  return value;
}

/** `command`'s outcome, or a {@link RedisCommandTimeoutError} after `timeoutMs`. */
export function withinTimeout<T>(command: Promise<T>, timeoutMs: number): Promise<T> {
  return withinTime(
    command,
    timeoutMs,
    () =>
      new RedisCommandTimeoutError(
        `Redis did not answer within ${timeoutMs} ms (commandTimeoutMs)`,
      ),
  );
}

/** KEYS[1] a key; ARGV[1] a value. Deletes the key only while it holds that value. */
export const DELETE_IF_VALUE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/**
 * Whether a `SET` reply is Redis's `OK`: a string, or a Buffer from a client whose type mapping
 * turns simple strings into Buffers.
 */
export function isOkReply(reply: unknown): boolean {
  return reply === 'OK' || (Buffer.isBuffer(reply) && reply.toString('latin1') === 'OK');
}

/**
 * After a `SET key value` (a claim, a lock) failed — timed out, or its connection dropped after
 * Redis may have run it: that SET is still queued in the client and
 * may land once Redis answers, holding the key for its whole TTL with nobody owning it. `run`
 * sends {@link DELETE_IF_VALUE} (or a DEL) for it: queued behind the SET on the same
 * connection, it runs right after it and deletes only that SET's own value. Fire and forget.
 */
export function takeBackLateSet(run: () => Promise<unknown>): void {
  Promise.resolve()
    .then(run)
    .catch(() => undefined);
}
