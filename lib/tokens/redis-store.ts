import { generateCorrelationId } from '../correlation';
import { TikTokAPIError } from '../errors';
import type { TikTokTokens } from '../client/types';
import {
  decodeKey,
  TokenCipher,
  type TokenEncryptionKey,
  type TokenEncryptionKeys,
} from './cipher';
import { newVersion } from './memory-store';
import { decodeTokens, encodeTokens } from './redis-codec';
import { TokenRecordCache, type TokenRecordCacheOptions } from './record-cache';
import { COMPARE_AND_SET, DELETE_IF_VERSION, RELEASE_LOCK } from './redis-scripts';
import type { StoredTokenRecord, TokenStore } from './store';
import { StoredRecordError } from './token-record';

/**
 * The few node-redis commands the store uses. A connected node-redis v4 or v5 client
 * (`createClient()`) fits; replies are treated as `unknown` and checked.
 */
export interface RedisClientLike {
  hmGet(key: string, fields: string[]): Promise<unknown>;
  set(key: string, value: string, options: { NX: true; PX: number }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/** Options of {@link RedisTokenStore}. */
export interface RedisTokenStoreOptions {
  /** A connected node-redis client (v4 or v5), shared with the rest of the app. Required. */
  client: RedisClientLike;
  /**
   * Prefix of every key. Tokens live in the hash `<prefix><openId>`, refresh locks in
   * `<prefix>lock:<openId>`. Default: `'tiktok:tokens:'`.
   */
  prefix?: string;
  /**
   * Encrypt tokens at rest (AES-256-GCM) with this 32-byte key: a Buffer, 64 hex characters or
   * base64. Default: none (tokens stored as JSON). Use `keys` instead to rotate.
   */
  encryptionKey?: TokenEncryptionKey;
  /**
   * Encryption with rotation: `current` encrypts every write, `previous` keys still decrypt older
   * records (re-encrypted with `current` on their next write). Default: none.
   */
  keys?: TokenEncryptionKeys;
  /**
   * Decoded records kept in memory, served while the stored `version` and data are unchanged, so
   * that repeated reads of the same tokens skip the decryption and the JSON parsing (one `HMGET`
   * per read either way). Holds decrypted tokens for up to `ttlMs` (docs/performance.md
   * "Decoded-record cache"). `false` turns it off. Default: `{ maxEntries: 1000, ttlMs: 30000 }`.
   */
  recordCache?: TokenRecordCacheOptions | false;
}

const DEFAULT_PREFIX = 'tiktok:tokens:';
/** Records outlive the refresh token by a day, then Redis drops them on its own. */
const RETENTION_AFTER_EXPIRY_MS = 24 * 3600 * 1000;

/**
 * Tokens and refresh locks in Redis, for any number of app instances: compare-and-set and lock
 * release are Lua scripts, locks are `SET NX PX`. Optionally encrypted at rest.
 *
 * ```ts
 * const redis = await createClient({ url: process.env.REDIS_URL }).connect();
 * const store = new RedisTokenStore({ client: redis, encryptionKey: process.env.TOKEN_KEY });
 * const manager = new TikTokTokenManager({ client: new TikTokClient(), store });
 * ```
 */
export class RedisTokenStore implements TokenStore {
  private readonly client: RedisClientLike;
  private readonly prefix: string;
  private readonly cipher: TokenCipher | undefined;
  private readonly cache: TokenRecordCache | undefined;

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
    const reply = await this.client.hmGet(key, ['version', 'data']);
    if (!Array.isArray(reply))
      throw this.unreadable(new StoredRecordError('HMGET did not answer a list'));
    const list: unknown[] = reply;
    const [version, data] = list;
    if (version === null && data === null) return undefined;
    if (typeof version !== 'string' || typeof data !== 'string') {
      throw this.unreadable(new StoredRecordError('the record hash lacks version or data'));
    }
    const cached = this.cache?.get(key, version, data);
    if (cached !== undefined) return { tokens: cached, version };
    try {
      const tokens = decodeTokens(openId, data, this.cipher);
      this.cache?.set(key, version, data, tokens);
      return { tokens, version };
    } catch (err) {
      throw err instanceof StoredRecordError ? this.unreadable(err) : err;
    }
  }

  async compareAndSet(
    openId: string,
    expectedVersion: string | undefined,
    tokens: TikTokTokens,
  ): Promise<boolean> {
    const data = encodeTokens(openId, tokens, this.cipher);
    const until = tokens.refresh_expires_at ?? tokens.expires_at;
    const ttlMs = Math.max(60_000, Math.round(until - Date.now() + RETENTION_AFTER_EXPIRY_MS));
    this.cache?.forget(this.recordKey(openId));
    const reply = await this.client.eval(COMPARE_AND_SET, {
      keys: [this.recordKey(openId)],
      arguments: [expectedVersion ?? '', newVersion(), data, String(ttlMs)],
    });
    return reply === 1;
  }

  async delete(openId: string, expectedVersion?: string): Promise<boolean> {
    this.cache?.forget(this.recordKey(openId));
    const reply = await this.client.eval(DELETE_IF_VERSION, {
      keys: [this.recordKey(openId)],
      arguments: [expectedVersion ?? ''],
    });
    return reply === 1;
  }

  async acquireLock(openId: string, ttlMs: number): Promise<string | undefined> {
    const token = newVersion();
    const reply = await this.client.set(this.lockKey(openId), token, {
      NX: true,
      PX: Math.max(1, Math.round(ttlMs)),
    });
    return reply === 'OK' ? token : undefined;
  }

  async releaseLock(openId: string, token: string): Promise<void> {
    await this.client.eval(RELEASE_LOCK, { keys: [this.lockKey(openId)], arguments: [token] });
  }

  /** `<prefix><openId>`: the hash holding `version` and `data`. */
  recordKey(openId: string): string {
    return this.prefix + openId;
  }

  /** `<prefix>lock:<openId>`: the refresh lock. */
  lockKey(openId: string): string {
    return `${this.prefix}lock:${openId}`;
  }

  private unreadable(err: StoredRecordError): TikTokAPIError {
    return new TikTokAPIError({
      code: 'CONFIGURATION_ERROR',
      message: `RedisTokenStore cannot read the tokens stored for this user: ${err.message}.`,
      correlationId: generateCorrelationId(),
      cause: err,
    });
  }
}
