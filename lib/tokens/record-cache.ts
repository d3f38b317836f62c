import type { TikTokTokens } from '../client/types';
import { inspectsAsJson } from '../logging';

/** Options of the decoded-record cache of {@link RedisTokenStore} (`recordCache`). */
export interface TokenRecordCacheOptions {
  /** Most users whose decoded tokens are kept; the oldest entry is dropped beyond it. Default: 1000. */
  maxEntries?: number | undefined;
  /** How long one decoded record may be served from memory, from its decoding. Default: 30 000. */
  ttlMs?: number | undefined;
}

interface Entry {
  readonly version: string;
  readonly data: string;
  readonly tokens: TikTokTokens;
  readonly until: number;
}

export const DEFAULT_RECORD_CACHE_ENTRIES = 1000;
export const DEFAULT_RECORD_CACHE_TTL_MS = 30_000;

function positiveInteger(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(`RedisTokenStore: ${option} must be a positive integer`);
  }
  return value;
}

/**
 * Decoded (decrypted and validated) token records, keyed by Redis key, served only for the exact
 * stored string: the same `version` and byte-for-byte the same `data` as when they were decoded.
 * A record written since, or altered in Redis, misses and is decoded again (and an altered
 * ciphertext then fails authentication as before). Each hit returns a copy, so callers cannot
 * change what later callers get.
 *
 * NOTE: this keeps decrypted tokens in the process's memory, served for up to `ttlMs` after a
 * read (never past the access token's expiry), for at most `maxEntries` users; an expired entry
 * goes at that user's next read, or when a record is decoded while it is among the oldest. An
 * entry also goes when a read finds its record deleted (e.g. by another instance's logout) or
 * unreadable, and a read in flight while this process writes or deletes caches nothing. Encryption at rest
 * protects Redis, its replicas, dumps and backups, none of which sees this cache; whoever can
 * read this process's memory also holds the encryption key. `recordCache: false` turns it off.
 */
export class TokenRecordCache {
  private readonly entries = new Map<string, Entry>();
  /** Bumped by every forget(): a read begun before a write or delete of this process caches nothing. */
  private writes = 0;
  private readonly maxEntries: number;
  private readonly ttlMs: number;

  /** What `JSON.stringify()` writes: its size and limits, never the decrypted tokens it keeps. */
  toJSON(): Record<string, unknown> {
    return { entries: this.entries.size, maxEntries: this.maxEntries, ttlMs: this.ttlMs };
  }

  constructor(options: TokenRecordCacheOptions = {}, now: () => number = Date.now) {
    this.maxEntries = positiveInteger(
      options.maxEntries,
      'recordCache.maxEntries',
      DEFAULT_RECORD_CACHE_ENTRIES,
    );
    this.ttlMs = positiveInteger(options.ttlMs, 'recordCache.ttlMs', DEFAULT_RECORD_CACHE_TTL_MS);
    this.now = now;
  }

  private readonly now: () => number;

  /** Entries held (an expired one stays until read, replaced, swept by a set() or evicted). */
  get size(): number {
    return this.entries.size;
  }

  /** A copy of the tokens decoded from exactly this `version` and `data`, if still held. */
  get(key: string, version: string, data: string): TikTokTokens | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.until <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    if (entry.version !== version || entry.data !== data) return undefined;
    return { ...entry.tokens };
  }

  /** Taken before a read's `HMGET`, passed to {@link set} with what that read decoded. */
  mark(): number {
    return this.writes;
  }

  /**
   * Keeps a copy of `tokens`, decoded from `version` and `data`. With the `mark` of the read that
   * decoded them: nothing is kept when this process wrote or deleted any record since (the read
   * may have fetched the record just before it was deleted, and would put it back).
   */
  set(key: string, version: string, data: string, tokens: TikTokTokens, mark?: number): void {
    if (mark !== undefined && mark !== this.writes) {
      this.entries.delete(key);
      return;
    }
    const now = this.now();
    const until = Math.min(now + this.ttlMs, tokens.expires_at);
    this.entries.delete(key);
    // Expired entries at the head (the oldest) go now, so that decrypted tokens nobody can be
    // served any more do not stay in memory until that user is read again.
    for (const [oldKey, entry] of this.entries) {
      if (entry.until > now) break;
      this.entries.delete(oldKey);
    }
    if (until <= now) return;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { version, data, tokens: { ...tokens }, until });
  }

  /** Drops the entry of `key` (this process writes or deletes that record), and reads in flight. */
  forget(key: string): void {
    this.writes += 1;
    this.entries.delete(key);
  }

  /** Drops the entry of `key`: a read found that record gone, or unreadable. */
  drop(key: string): void {
    this.entries.delete(key);
  }
}
inspectsAsJson(TokenRecordCache);
