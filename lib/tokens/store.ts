import type { TikTokTokens } from '../client/types';

/**
 * One user's tokens as stored, with the version they were written under. The version is an
 * opaque string that changes on every write (random, so a delete followed by a new save never
 * brings an old version back: no ABA for a stale compare-and-set).
 */
export interface StoredTokenRecord {
  readonly tokens: TikTokTokens;
  readonly version: string;
}

/**
 * Where {@link TikTokTokenManager} keeps tokens and its per-user refresh locks.
 * `MemoryTokenStore` serves one process; `RedisTokenStore` serves any number of app instances.
 *
 * Implementations must make `compareAndSet` and the lock primitives atomic: the manager's
 * guarantee of one TikTok refresh per grant rests on them (docs/tokens.md, "What happens on a refresh").
 */
export interface TokenStore {
  /** The user's tokens and their current version, or `undefined` when none are stored. */
  get(openId: string): Promise<StoredTokenRecord | undefined>;
  /**
   * Writes `tokens` only if the stored version is still `expectedVersion` (`undefined`: only if
   * nothing is stored). Returns whether it wrote; a write always produces a new version.
   */
  compareAndSet(
    openId: string,
    expectedVersion: string | undefined,
    tokens: TikTokTokens,
  ): Promise<boolean>;
  /**
   * Deletes the user's tokens; with `expectedVersion`, only if that version is still the stored
   * one (a late failure must not delete tokens someone saved since). Returns whether it deleted.
   */
  delete(openId: string, expectedVersion?: string): Promise<boolean>;
  /**
   * Takes the user's refresh lock for `ttlMs` if nobody holds it. Returns the lock token to pass
   * to {@link releaseLock}, or `undefined` when another holder has it. The lock expires on its
   * own, so a holder that dies cannot block refreshes for longer than `ttlMs`.
   */
  acquireLock(openId: string, ttlMs: number): Promise<string | undefined>;
  /** Releases the lock only if `token` still holds it (never someone else's after expiry). */
  releaseLock(openId: string, token: string): Promise<void>;
}
