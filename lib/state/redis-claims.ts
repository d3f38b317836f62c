import { randomBytes } from 'node:crypto';
import { inspectsAsJson } from '../logging';
import {
  commandTimeoutOption,
  DELETE_IF_VALUE,
  RedisCommandTimeoutError,
  isOkReply,
  takeBackLateSet,
  withinTimeout,
} from '../redis-timeout';
import type { TikTokStateClaimStore } from './claims';

/**
 * The part of a node-redis client (v4 or later) the claim store uses (`createClient()` from
 * `redis`). NOTE: create the client with `disableOfflineQueue: true` so that a claim fails at
 * once (→ 503) while Redis is down instead of waiting for a reconnect; a Redis that hangs is cut
 * off by `commandTimeoutMs` (docs/scaling.md, "Redis outages and a Redis that hangs").
 */
export interface RedisClaimClient {
  set(
    key: string,
    value: string,
    options: {
      condition: 'NX';
      expiration: { type: 'PX'; value: number };
      NX: true;
      PX: number;
    },
  ): Promise<unknown>;
  del(key: string): Promise<unknown>;
  /**
   * Used, when the client has it, to take back a claim whose `SET` timed out (see
   * `commandTimeoutMs`) only if it is still that claim's.
   */
  eval?: (script: string, options: { keys: string[]; arguments: string[] }) => Promise<unknown>;
  /** Used, when the client has it, by `has()` (`EXISTS`): the webhook's done-marker lookup. */
  exists?: (key: string) => Promise<unknown>;
}

/** Options of {@link RedisClaimStore}. */
export interface RedisClaimStoreOptions {
  /** A connected node-redis client. Required. */
  client: RedisClaimClient;
  /** Key prefix. Default: `'tiktok:claim:'`. */
  prefix?: string | undefined;
  /**
   * How long each claim or release may take before it rejects with a `RedisCommandTimeoutError`
   * (the login callback or the webhook then answers 503 SERVICE_UNAVAILABLE) instead of waiting
   * for a Redis that hangs. An integer from 1 to 2147483647. Default: 2000 ms.
   */
  commandTimeoutMs?: number | undefined;
}

/**
 * Claims shared by every app instance: `SET <prefix><key> <random value> NX PX <ttl>`, the key
 * being the state's SHA-256 for a login callback, or `webhook:<event id>…` for the webhook's
 * dedupe. Use it when several instances serve callbacks (a double-clicked callback can reach two
 * of them) or receive TikTok webhooks.
 *
 * ```ts
 * const redis = createClient({ url, disableOfflineQueue: true });
 * redis.on('error', () => undefined); // it reconnects by itself; claims answer 503 meanwhile
 * await redis.connect();
 * passport.use(new TikTokStrategy({ claimStore: new RedisClaimStore({ client: redis }) }));
 * ```
 */
export class RedisClaimStore implements TikTokStateClaimStore {
  private readonly client: RedisClaimClient;
  private readonly prefix: string;
  private readonly commandTimeoutMs: number;
  /**
   * Whether a key is claimed now (`EXISTS`), without claiming it; present when the client has
   * `exists` (every node-redis client does).
   */
  readonly has?: (key: string) => Promise<boolean>;

  constructor(options: RedisClaimStoreOptions) {
    if (typeof options !== 'object' || typeof options.client?.set !== 'function') {
      throw new TypeError('RedisClaimStore requires a client option (a node-redis client)');
    }
    this.client = options.client;
    if (
      options.prefix !== undefined &&
      (typeof options.prefix !== 'string' || options.prefix.length === 0)
    ) {
      // An empty prefix would claim bare keys (the state's hash, `webhook:<id>`) among the app's.
      throw new TypeError('RedisClaimStore option prefix must be a non-empty string');
    }
    this.prefix = options.prefix ?? 'tiktok:claim:';
    this.commandTimeoutMs = commandTimeoutOption(options.commandTimeoutMs, 'RedisClaimStore');
    const { client } = this;
    if (typeof client.exists === 'function') {
      const exists = client.exists.bind(client);
      this.has = async (key) =>
        (await withinTimeout(exists(this.prefix + key), this.commandTimeoutMs)) === 1;
    }
  }

  /**
   * What `JSON.stringify()` writes: the key prefix, never the Redis client (its options can
   * hold the Redis password).
   */
  toJSON(): Record<string, unknown> {
    return { prefix: this.prefix };
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    const redisKey = this.prefix + key;
    const value = randomBytes(8).toString('hex');
    const ms = Math.max(1, Math.ceil(ttlMs));
    try {
      const reply = await withinTimeout(
        // NOTE: both spellings of NX and PX: node-redis v5 reads `condition` and `expiration`,
        // v4 only `NX` and `PX` (each reads its own first, so Redis gets NX and PX once). With
        // one spelling only, the other version would send a plain SET: every claim would win.
        this.client.set(redisKey, value, {
          condition: 'NX',
          expiration: { type: 'PX', value: ms },
          NX: true,
          PX: ms,
        }),
        this.commandTimeoutMs,
      );
      return isOkReply(reply);
    } catch (err) {
      // A claim that landed anyway (the SET timed out, or the connection dropped after Redis ran
      // it) would refuse the retry the 503 invites (a used state) or mark a webhook event done
      // that was never processed. NOTE: the value-checked delete is safe after any failure; a
      // client without eval gets a plain DEL, only after a timeout (the SET is then known to be
      // queued ahead of it on the same connection).
      if (this.client.eval !== undefined) {
        const evalScript = this.client.eval.bind(this.client);
        takeBackLateSet(() =>
          evalScript(DELETE_IF_VALUE, { keys: [redisKey], arguments: [value] }),
        );
      } else if (err instanceof RedisCommandTimeoutError) {
        takeBackLateSet(() => this.client.del(redisKey));
      }
      throw err;
    }
  }

  async release(key: string): Promise<void> {
    await withinTimeout(this.client.del(this.prefix + key), this.commandTimeoutMs);
  }
}
inspectsAsJson(RedisClaimStore);
