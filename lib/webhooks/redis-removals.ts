import { createHash } from 'node:crypto';
import { inspectsAsJson } from '../logging';
import { commandTimeoutOption, withinTimeout } from '../redis-timeout';
import { removalTtl, type TikTokRemovalList } from './removals';

/**
 * The node-redis commands {@link RedisRemovalList} uses; a connected node-redis client (v4 or
 * later, `createClient()`) fits. Create it with `disableOfflineQueue: true` so that a check
 * fails at once (→ 503) while Redis is down; a Redis that hangs is cut off by
 * `commandTimeoutMs` (docs/scaling.md, "Redis outages and a Redis that hangs").
 */
export interface RedisRemovalClient {
  get(key: string): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/** Options of {@link RedisRemovalList}. */
export interface RedisRemovalListOptions {
  /** A connected node-redis client (the one sessions and tokens use). Required. */
  client: RedisRemovalClient;
  /** Key prefix; an entry is `<prefix><sha256(openId)>`. Default: `'tiktok:removed:'`. */
  prefix?: string | undefined;
  /** How long an entry is kept, ms; at least the session lifetime. Default: 30 days. */
  ttlMs?: number | undefined;
  /**
   * How long a check or a record may take before it rejects with a `RedisCommandTimeoutError`
   * (the webhook and the revocation middleware then answer 503 SERVICE_UNAVAILABLE) instead of
   * waiting for a Redis that hangs. An integer from 1 to 2147483647. Default: 2000 ms.
   */
  commandTimeoutMs?: number | undefined;
}

// Keeps the later of the stored and the new time, and (re)sets the expiry: one atomic step,
// so two instances recording removals for one user cannot lower the time.
const RECORD_LATEST = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local incoming = tonumber(ARGV[1])
if incoming > current then current = incoming end
redis.call('SET', KEYS[1], tostring(current), 'PX', ARGV[2])
return current
`;

/**
 * Removals shared by every app instance through Redis: `<prefix><sha256(open_id)>` holds the
 * removal time (epoch ms) and expires after `ttlMs`. One GET per check.
 *
 * ```ts
 * const removals = new RedisRemovalList({ client: redis, ttlMs: 7 * 24 * 3600 * 1000 });
 * ```
 */
export class RedisRemovalList implements TikTokRemovalList {
  private readonly client: RedisRemovalClient;
  private readonly prefix: string;
  private readonly ttlMs: number;
  private readonly commandTimeoutMs: number;

  /**
   * What `JSON.stringify()` writes: the key prefix and lifetime, never the Redis client (its
   * options can hold the Redis password).
   */
  toJSON(): Record<string, unknown> {
    return { prefix: this.prefix, ttlMs: this.ttlMs };
  }

  constructor(options: RedisRemovalListOptions) {
    const o: Partial<RedisRemovalListOptions> = options ?? {};
    if (typeof o.client?.get !== 'function' || typeof o.client.eval !== 'function') {
      throw new TypeError(
        'RedisRemovalList requires a client option (a connected node-redis client)',
      );
    }
    if (o.prefix !== undefined && (typeof o.prefix !== 'string' || o.prefix === '')) {
      throw new TypeError('RedisRemovalList option prefix must be a non-empty string');
    }
    this.client = o.client;
    this.prefix = o.prefix ?? 'tiktok:removed:';
    this.ttlMs = removalTtl(o.ttlMs, 'RedisRemovalList');
    this.commandTimeoutMs = commandTimeoutOption(o.commandTimeoutMs, 'RedisRemovalList');
  }

  async record(openId: string, removedAt: number): Promise<void> {
    await withinTimeout(
      this.client.eval(RECORD_LATEST, {
        keys: [this.key(openId)],
        arguments: [String(Math.floor(removedAt)), String(this.ttlMs)],
      }),
      this.commandTimeoutMs,
    );
  }

  async removedAt(openId: string): Promise<number | undefined> {
    const reply: unknown = await withinTimeout(
      this.client.get(this.key(openId)),
      this.commandTimeoutMs,
    );
    if (reply === null || reply === undefined) return undefined;
    // A client with a Buffer type mapping answers Buffers.
    const text = Buffer.isBuffer(reply) ? reply.toString('utf8') : reply;
    if (typeof text === 'string' && /^\d{1,16}$/.test(text)) return Number(text);
    // NOTE: never read as "no removal": the session revocation would let the session through.
    throw new Error(
      `RedisRemovalList: the key ${this.key(openId)} holds something that is not a removal time (another writer under the prefix?)`,
    );
  }

  /** The Redis key of a user's entry (hashed: keys stay short and free of odd characters). */
  key(openId: string): string {
    return this.prefix + createHash('sha256').update(openId, 'utf8').digest('hex');
  }
}
inspectsAsJson(RedisRemovalList);
