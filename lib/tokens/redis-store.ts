import { generateCorrelationId } from '../correlation';
import { TikTokAPIError } from '../errors';
import { inspectsAsJson } from '../logging';
import type { TikTokTokens } from '../client/types';
import {
  decodeKey,
  TokenCipher,
  type TokenEncryptionKey,
  type TokenEncryptionKeys,
} from './cipher';
import { newVersion } from './memory-store';
import { decodeTokens, encodeTokens } from './redis-codec';
import { foreignLockError, redisDataError } from './redis-errors';
import { isRedisCluster, refreshRedisClusterTopology } from '../redis-cluster';
import { commandTimeoutOption, isOkReply, takeBackLateSet, withinTimeout } from '../redis-timeout';
import { TokenRecordCache, type TokenRecordCacheOptions } from './record-cache';
import {
  COMPARE_AND_SET,
  DELETE_IF_VERSION,
  EXTEND_LOCK,
  RELEASE_LOCK,
  TAKE_OR_INSPECT_LOCK,
} from './redis-scripts';
import { UnreadableTokenRecordError, type StoredTokenRecord, type TokenStore } from './store';
import { StoredRecordError } from './token-record';

/**
 * The few node-redis commands the store uses. A connected node-redis client (v4 or later,
 * `createClient()`) fits; replies are treated as `unknown` and checked. Create it with
 * `disableOfflineQueue: true` so that calls fail at once (→ 503) while Redis is down; a Redis
 * that hangs is cut off by `commandTimeoutMs` (docs/scaling.md, "Redis outages and a Redis that
 * hangs").
 */
export interface RedisClientLike {
  hmGet(key: string, fields: string[]): Promise<unknown>;
  set(key: string, value: string, options: { NX: true; PX: number }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  /**
   * Used only with `minReplicas`, to send `WAIT`: `sendCommand(args)` on a client,
   * `sendCommand(firstKey, isReadonly, args)` on a cluster client (routed to the key's primary).
   */
  sendCommand?: (...args: never[]) => Promise<unknown>;
}

/** Options of {@link RedisTokenStore}. */
export interface RedisTokenStoreOptions {
  /** A connected node-redis client (v4 or later), shared with the rest of the app. Required. */
  client: RedisClientLike;
  /**
   * Prefix of every key. Tokens live in the hash `<prefix><openId>`, refresh locks in
   * `<prefix>lock:<openId>`. Default: `'tiktok:tokens:'`.
   */
  prefix?: string | undefined;
  /**
   * Encrypt tokens at rest (AES-256-GCM) with this 32-byte key: a Buffer, 64 hex characters or
   * base64 (`openssl rand -base64 32`). Use `keys` instead to rotate. One of `encryptionKey`,
   * `keys` or `allowPlaintext: true` is required.
   */
  encryptionKey?: TokenEncryptionKey | undefined;
  /**
   * Encryption with rotation: `current` encrypts every write, `previous` keys still decrypt older
   * records (re-encrypted with `current` on their next write). Default: none.
   */
  keys?: TokenEncryptionKeys | undefined;
  /**
   * Store tokens as plain JSON: anyone who can read Redis (a replica, a backup, `redis-cli`) can
   * then use them. Only for development or when Redis itself is encrypted and access-controlled;
   * ignored when a key is given. Default: `false` (a key is required).
   */
  allowPlaintext?: boolean | undefined;
  /**
   * Acknowledge a write (saved tokens, taken refresh lock) only once this many replicas have it
   * (`WAIT`), so that it survives the failover of its primary. Costs one round trip to the
   * replicas per write; while fewer replicas are connected, writes fail with SERVICE_UNAVAILABLE
   * after `replicationTimeoutMs` (docs/scaling.md). Default: 0 (acknowledged by the primary).
   */
  minReplicas?: number | undefined;
  /**
   * How long a write waits for `minReplicas` replicas. Default: 1000 ms. NOTE: `WAIT` holds the
   * client's connection for up to this long, delaying every command queued behind it (sessions,
   * claims); with `minReplicas`, give the store a client of its own.
   */
  replicationTimeoutMs?: number | undefined;
  /**
   * How long a Redis command may take before the call rejects with a `RedisCommandTimeoutError`
   * (which `TikTokTokenManager` answers as SERVICE_UNAVAILABLE, 503, retryable): a Redis that
   * hangs does not hold requests. The command stays queued in the
   * client; a write that lands after its timeout is found by the next read (a refresh retries its
   * write and reads it back). `WAIT` gets `replicationTimeoutMs` on top. An integer from 1 to 2147483647. Default: 2000 ms.
   */
  commandTimeoutMs?: number | undefined;
  /**
   * Decoded records kept in memory, served while the stored `version` and data are unchanged, so
   * that repeated reads of the same tokens skip the decryption and the JSON parsing (one `HMGET`
   * per read either way). Serves decrypted tokens for up to `ttlMs`; an expired entry goes at
   * that user's next read or when a record is decoded while it is among the oldest
   * (docs/performance.md "Decoded-record cache"). `false` turns it off. Default: `{ maxEntries: 1000, ttlMs: 30000 }`.
   */
  recordCache?: TokenRecordCacheOptions | false | undefined;
}

const DEFAULT_PREFIX = 'tiktok:tokens:';
/**
 * A reply field as text. NOTE: a client with a Buffer type mapping (node-redis
 * `withTypeMapping`, shared with code that wants Buffers) answers Buffers for strings.
 */
function textOf(value: unknown): unknown {
  return Buffer.isBuffer(value) ? value.toString('utf8') : value;
}

/** Records outlive the refresh token by a day, then Redis drops them on its own. */
const RETENTION_AFTER_EXPIRY_MS = 24 * 3600 * 1000;

/**
 * How long a refresh token whose lifetime TikTok's answer did not give is taken to live, from
 * the access token's expiry: 365 days, the longest TikTok has documented
 * (https://developers.tiktok.com/doc/oauth-user-access-token-management). NOTE: not the access
 * token's own lifetime: Redis would drop a grant that can still be refreshed a day after its
 * access token expired. A refresh token that did expire earlier is refused by TikTok at the next
 * refresh, which deletes the record.
 */
const UNKNOWN_REFRESH_LIFETIME_MS = 365 * 24 * 3600 * 1000;

/** Until when (epoch ms) the tokens are of use: their refresh token's end, else the access token's. */
function usefulUntil(tokens: TikTokTokens): number {
  if (tokens.refresh_expires_at !== undefined) return tokens.refresh_expires_at;
  return tokens.refresh_token === undefined
    ? tokens.expires_at
    : tokens.expires_at + UNKNOWN_REFRESH_LIFETIME_MS;
}

function count(value: unknown, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new TypeError(`RedisTokenStore: ${name} must be an integer >= ${min}`);
  }
  return value;
}

/**
 * Tokens and refresh locks in Redis, for any number of app instances: compare-and-set and lock
 * release are Lua scripts, locks are `SET NX PX` (a script looks at a lock key found taken).
 * Encrypted at rest (AES-256-GCM) unless `allowPlaintext: true` is given. Works on a single
 * Redis and on a Redis Cluster (`createCluster()`): every command and script touches one key.
 *
 * ```ts
 * const redis = createClient({ url: process.env.REDIS_URL, disableOfflineQueue: true });
 * redis.on('error', () => undefined); // it reconnects by itself; calls answer 503 meanwhile
 * await redis.connect();
 * const store = new RedisTokenStore({ client: redis, encryptionKey: process.env.TIKTOK_TOKEN_KEY });
 * const manager = new TikTokTokenManager({ client: new TikTokClient(), store });
 * ```
 */
export class RedisTokenStore implements TokenStore {
  private readonly client: RedisClientLike;
  private readonly prefix: string;
  private readonly cipher: TokenCipher | undefined;
  private readonly minReplicas: number;
  private readonly replicationTimeoutMs: number;
  /** Its `commandTimeoutMs` option: also what the manager keeps of a lock lease for renewing it. */
  readonly commandTimeoutMs: number;
  private readonly cache: TokenRecordCache | undefined;

  /**
   * What `JSON.stringify()` writes: the prefix and the encryption key ids, never the keys, the
   * cached tokens or the Redis client (its options can hold the Redis password).
   */
  toJSON(): Record<string, unknown> {
    return {
      prefix: this.prefix,
      encrypted: this.cipher !== undefined,
      ...(this.cipher === undefined ? {} : this.cipher.toJSON()),
      minReplicas: this.minReplicas,
      recordCache: this.cache?.toJSON() ?? false,
    };
  }

  constructor(options: RedisTokenStoreOptions) {
    const o: Partial<RedisTokenStoreOptions> = options ?? {};
    if (typeof o.client?.eval !== 'function' || typeof o.client.set !== 'function') {
      throw new TypeError(
        'RedisTokenStore requires a client option (a connected node-redis client)',
      );
    }
    if (o.prefix !== undefined && (typeof o.prefix !== 'string' || o.prefix.length === 0)) {
      throw new TypeError('RedisTokenStore: prefix must be a non-empty string');
    }
    if (o.encryptionKey !== undefined && o.keys !== undefined) {
      throw new TypeError('RedisTokenStore: pass either encryptionKey or keys, not both');
    }
    if (o.allowPlaintext !== undefined && typeof o.allowPlaintext !== 'boolean') {
      throw new TypeError('RedisTokenStore: allowPlaintext must be a boolean');
    }
    if (o.encryptionKey === undefined && o.keys === undefined && o.allowPlaintext !== true) {
      throw new TypeError(
        'RedisTokenStore requires an encryptionKey option (tokens are encrypted at rest): a 32-byte key, e.g. from `openssl rand -base64 32` kept in an environment variable such as TIKTOK_TOKEN_KEY. Pass `allowPlaintext: true` to store tokens unencrypted on purpose.',
      );
    }
    this.minReplicas = count(o.minReplicas, 'minReplicas', 0, 0);
    this.replicationTimeoutMs = count(o.replicationTimeoutMs, 'replicationTimeoutMs', 1000, 1);
    this.commandTimeoutMs = commandTimeoutOption(o.commandTimeoutMs, 'RedisTokenStore');
    if (this.minReplicas > 0 && typeof o.client.sendCommand !== 'function') {
      throw new TypeError(
        'RedisTokenStore: minReplicas needs a client with sendCommand (a node-redis client)',
      );
    }
    this.client = o.client;
    this.prefix = o.prefix ?? DEFAULT_PREFIX;
    const keys =
      o.keys ??
      (o.encryptionKey === undefined
        ? undefined
        : { current: decodeKey(o.encryptionKey, 'encryptionKey') });
    this.cipher = keys === undefined ? undefined : new TokenCipher(keys);
    this.cache = o.recordCache === false ? undefined : new TokenRecordCache(o.recordCache);
  }

  async get(openId: string): Promise<StoredTokenRecord | undefined> {
    const key = this.recordKey(openId);
    const mark = this.cache?.mark();
    const reply = await this.command(key, () => this.client.hmGet(key, ['version', 'data']));
    if (!Array.isArray(reply))
      throw this.unreadable(new StoredRecordError('HMGET did not answer a list'));
    const list: unknown[] = reply;
    const version = textOf(list[0]);
    const data = textOf(list[1]);
    if (version === null && data === null) {
      // Deleted (by another instance's logout, say): its decrypted tokens leave memory now.
      this.cache?.drop(key);
      return undefined;
    }
    if (typeof version !== 'string' || version === '' || typeof data !== 'string') {
      this.cache?.drop(key);
      // NOTE: no version to replace by compare-and-set ('' means "nothing stored" there): such a
      // hash was not written by this store, so it is reported, never overwritten.
      throw this.unreadable(
        new StoredRecordError('the record hash lacks version or data'),
        typeof version === 'string' && version !== '' ? version : undefined,
      );
    }
    const cached = this.cache?.get(key, version, data);
    if (cached !== undefined) return { tokens: cached, version };
    try {
      const tokens = decodeTokens(openId, data, this.cipher);
      this.cache?.set(key, version, data, tokens, mark);
      return { tokens, version };
    } catch (err) {
      this.cache?.drop(key);
      throw err instanceof StoredRecordError ? this.unreadable(err, version) : err;
    }
  }

  async compareAndSet(
    openId: string,
    expectedVersion: string | undefined,
    tokens: TikTokTokens,
  ): Promise<boolean> {
    const data = encodeTokens(openId, tokens, this.cipher);
    const ttlMs = Math.max(
      60_000,
      Math.round(usefulUntil(tokens) - Date.now() + RETENTION_AFTER_EXPIRY_MS),
    );
    const key = this.recordKey(openId);
    this.cache?.forget(key);
    const reply = await this.command(key, () =>
      this.client.eval(COMPARE_AND_SET, {
        keys: [key],
        arguments: [expectedVersion ?? '', newVersion(), data, String(ttlMs)],
      }),
    );
    if (reply === 2) throw this.notOurs();
    if (reply !== 1) return false;
    await this.replicated(key, 'the tokens');
    return true;
  }

  async delete(openId: string, expectedVersion?: string): Promise<boolean> {
    const key = this.recordKey(openId);
    this.cache?.forget(key);
    const reply = await this.command(key, () =>
      this.client.eval(DELETE_IF_VERSION, { keys: [key], arguments: [expectedVersion ?? ''] }),
    );
    // A hash without `version` is refused like save() refuses it; a key of another type failed
    // the script with WRONGTYPE (CONFIGURATION_ERROR, as for save()). Neither is deleted.
    if (reply === 2) throw this.notOurs();
    return reply === 1;
  }

  /**
   * `SET NX PX`; when the key is taken, `TAKE_OR_INSPECT_LOCK` tells a held lock from a key
   * that would never free itself. NOTE: the plain SET first keeps an uncontended lock at one
   * round trip; the script re-tries the SET, so a lock freed between the two is taken. Both
   * commands share one `commandTimeoutMs`, the longest one call of this store takes.
   */
  async acquireLock(openId: string, ttlMs: number): Promise<string | undefined> {
    const token = newVersion();
    const key = this.lockKey(openId);
    const px = Math.max(1, Math.round(ttlMs));
    const started = performance.now();
    // 1 taken, 0 held, or the type of a lock key that is not a string (see takeOrInspectLock).
    let outcome: unknown = 1;
    try {
      const reply = await this.command(key, () =>
        this.client.set(key, token, { NX: true, PX: px }),
      );
      if (!isOkReply(reply)) outcome = await this.takeOrInspectLock(key, token, px, started);
    } catch (err) {
      // A lock that landed anyway (the SET or the script timed out, or the connection dropped
      // after Redis ran it) would make every refresh of this user wait out the lease. NOTE: after
      // any failure: the release deletes only this token's lock, so it is safe when nothing ran.
      takeBackLateSet(() => this.client.eval(RELEASE_LOCK, { keys: [key], arguments: [token] }));
      throw err;
    }
    const type = textOf(outcome);
    if (typeof type === 'string') throw foreignLockError(key, type);
    if (outcome !== 1) return undefined;
    try {
      // A lock that a failover could lose would let a second instance refresh with the refresh
      // token this holder is about to rotate.
      await this.replicated(key, 'the refresh lock');
    } catch (err) {
      await this.releaseLock(openId, token).catch(() => undefined);
      throw err;
    }
    return token;
  }

  async releaseLock(openId: string, token: string): Promise<void> {
    const lockKey = this.lockKey(openId);
    await this.command(lockKey, () =>
      this.client.eval(RELEASE_LOCK, { keys: [lockKey], arguments: [token] }),
    );
  }

  async extendLock(openId: string, token: string, ttlMs: number): Promise<boolean> {
    const key = this.lockKey(openId);
    const reply = await this.command(key, () =>
      this.client.eval(EXTEND_LOCK, {
        keys: [key],
        arguments: [token, String(Math.max(1, Math.round(ttlMs)))],
      }),
    );
    if (reply !== 1) return false;
    // Not replicated, the longer lease could be lost at a failover: then it is not counted on.
    await this.replicated(key, 'the refresh lock');
    return true;
  }

  /**
   * After `SET NX PX` found the lock key taken, `TAKE_OR_INSPECT_LOCK`'s reply: 1 (taken,
   * freed since), 0 (held; a string lock without an expiry was given `ttlMs`), or the key's type
   * when it is not a string. Within what is left of `commandTimeoutMs` since `started`.
   */
  private takeOrInspectLock(
    key: string,
    token: string,
    ttlMs: number,
    started: number,
  ): Promise<unknown> {
    const left = Math.max(1, Math.floor(this.commandTimeoutMs - (performance.now() - started)));
    return this.command(
      key,
      () =>
        this.client.eval(TAKE_OR_INSPECT_LOCK, {
          keys: [key],
          arguments: [token, String(ttlMs)],
        }),
      left,
    );
  }

  /** `<prefix><openId>`: the hash holding `version` and `data`. */
  recordKey(openId: string): string {
    return this.prefix + openId;
  }

  /** `<prefix>lock:<openId>`: the refresh lock. */
  lockKey(openId: string): string {
    return `${this.prefix}lock:${openId}`;
  }

  /**
   * Runs one Redis command; error replies retrying cannot fix become CONFIGURATION_ERROR. NOTE:
   * when a cluster client's command fails (a dead primary, or CLUSTERDOWN during a failover), the
   * cluster topology is re-read in the background so that the next attempt reaches the promoted
   * replica (see refreshRedisClusterTopology).
   */
  private async command<T>(
    key: string,
    run: () => Promise<T>,
    timeoutMs = this.commandTimeoutMs,
  ): Promise<T> {
    try {
      return await withinTimeout(run(), timeoutMs);
    } catch (err) {
      if (isRedisCluster(this.client)) void refreshRedisClusterTopology(this.client);
      throw redisDataError(err, key) ?? err;
    }
  }

  /** With `minReplicas`: `WAIT` on the connection that wrote `key`; too few acks throw. */
  private async replicated(key: string, what: string): Promise<void> {
    if (this.minReplicas === 0 || this.client.sendCommand === undefined) return;
    const args = ['WAIT', String(this.minReplicas), String(this.replicationTimeoutMs)];
    const send = this.client.sendCommand;
    const call = isRedisCluster(this.client) ? [key, false, args] : [args];
    const acked: unknown = await this.command(
      key,
      () => Promise.resolve(Reflect.apply(send, this.client, call)),
      this.commandTimeoutMs + this.replicationTimeoutMs,
    );
    if (typeof acked === 'number' && acked >= this.minReplicas) return;
    throw new TikTokAPIError({
      code: 'SERVICE_UNAVAILABLE',
      message: `Redis did not confirm ${what} on ${this.minReplicas} replica(s) within ${this.replicationTimeoutMs} ms (minReplicas): is a replica down? Try again shortly.`,
      correlationId: generateCorrelationId(),
    });
  }

  /**
   * A hash under the record key without `version`, met by a write or a delete: the error `save()`
   * gives for it (its read finds no version to replace).
   */
  private notOurs(): TikTokAPIError {
    return this.unreadable(new StoredRecordError('the record hash lacks version or data'));
  }

  /** With the record's `version`, an error `save()` can replace the record after (at login). */
  private unreadable(err: StoredRecordError, version?: string): TikTokAPIError {
    const init = {
      message: `RedisTokenStore cannot read the tokens stored for this user: ${err.message}.`,
      correlationId: generateCorrelationId(),
      cause: err,
    };
    return version === undefined
      ? new TikTokAPIError({ ...init, code: 'CONFIGURATION_ERROR' })
      : new UnreadableTokenRecordError({ ...init, version });
  }
}
inspectsAsJson(RedisTokenStore);
