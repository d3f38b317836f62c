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

import { MAX_TIMER_MS } from './time-limit';

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

/** One command waiting for Redis: failed by its {@link DeadlineQueue} unless settled first. */
interface Waiting {
  readonly deadline: number;
  settled: boolean;
  readonly fail: () => void;
}

/**
 * The commands of one `commandTimeoutMs` in the order they were sent, which is the order of their
 * deadlines, with one timer for the earliest. NOTE: not a timer per command: `getAccessToken`
 * sends one command per call, and creating and clearing a Node.js timer each time was about a
 * tenth of its own CPU (bench/README.md, cold start). Settled commands are dropped from the
 * front as new ones come, and the whole list is compacted whenever it has doubled, so a command
 * that hangs does not make the list keep every command sent after it.
 */
class DeadlineQueue {
  private items: Waiting[] = [];
  private head = 0;
  private compactAt = 1024;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly timeoutMs: number) {}

  add(fail: () => void): Waiting {
    const waiting: Waiting = { deadline: performance.now() + this.timeoutMs, settled: false, fail };
    while (this.head < this.items.length && this.items[this.head]?.settled === true) this.head++;
    if (this.items.length >= this.compactAt) {
      this.items = this.items.slice(this.head).filter((w) => !w.settled);
      this.head = 0;
      this.compactAt = Math.max(1024, this.items.length * 2);
    }
    this.items.push(waiting);
    if (this.timer === undefined) this.arm(this.timeoutMs);
    return waiting;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.sweep(), ms);
    this.timer.unref();
  }

  /** Fails the commands past their deadline, then waits for the next one's. */
  private sweep(): void {
    this.timer = undefined;
    const now = performance.now();
    for (; this.head < this.items.length; this.head++) {
      const waiting = this.items[this.head];
      if (waiting === undefined || waiting.settled) continue;
      if (waiting.deadline > now) {
        this.arm(Math.max(1, Math.ceil(waiting.deadline - now)));
        return;
      }
      waiting.settled = true;
      waiting.fail();
    }
    this.items = [];
    this.head = 0;
    this.compactAt = 1024;
  }
}

/** One queue per `commandTimeoutMs` in use (stores usually share the default). */
const queues = new Map<number, DeadlineQueue>();

/** `command`'s outcome, or a {@link RedisCommandTimeoutError} after `timeoutMs`. */
export function withinTimeout<T>(command: Promise<T>, timeoutMs: number): Promise<T> {
  let queue = queues.get(timeoutMs);
  if (queue === undefined) {
    queue = new DeadlineQueue(timeoutMs);
    queues.set(timeoutMs, queue);
  }
  const deadlines = queue;
  return new Promise<T>((resolve, reject) => {
    const waiting = deadlines.add(() => {
      reject(
        new RedisCommandTimeoutError(
          `Redis did not answer within ${timeoutMs} ms (commandTimeoutMs)`,
        ),
      );
    });
    command.then(
      (value) => {
        waiting.settled = true;
        resolve(value);
      },
      (err: unknown) => {
        waiting.settled = true;
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** KEYS[1] a key; ARGV[1] a value. Deletes the key only while it holds that value. */
export const DELETE_IF_VALUE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/**
 * After a `SET key value` (a claim, a lock) timed out: that SET is still queued in the client and
 * may land once Redis answers, holding the key for its whole TTL with nobody owning it. `run`
 * sends {@link DELETE_IF_VALUE} (or a DEL) for it: queued behind the SET on the same
 * connection, it runs right after it and deletes only that SET's own value. Fire and forget.
 */
export function takeBackLateSet(run: () => Promise<unknown>): void {
  Promise.resolve()
    .then(run)
    .catch(() => undefined);
}
