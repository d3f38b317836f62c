import type { TikTokTokens } from '../client/types';
import { TikTokAPIError, type TikTokAPIErrorInit } from '../errors';

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
  /**
   * The user's tokens and their current version, or `undefined` when none are stored. A record
   * that exists but cannot be decoded (written under a key this store no longer has, altered, or
   * plaintext where encryption is on) is thrown as an {@link UnreadableTokenRecordError}.
   */
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
  /**
   * Optional: makes the lock `token` holds expire `ttlMs` from now, if it still holds it.
   * Returns whether it did. The manager calls it when TikTok's refresh answer arrives, so that
   * storing the rotated tokens gets a whole lease of retries however late TikTok answered.
   */
  extendLock?(openId: string, token: string, ttlMs: number): Promise<boolean>;
  /**
   * Optional: the longest one call of this store takes before it fails (a client-side command
   * timeout). The manager ends its TikTok refresh call that long (plus 250 ms) before the lock
   * lease ends, so that {@link extendLock} is answered, or has failed, while the lease still
   * holds; without it, 1 s (a fifth of shorter leases).
   */
  readonly commandTimeoutMs?: number | undefined;
}

/**
 * A stored token record that exists but cannot be read: encrypted under a key the store does not
 * have, altered, or unencrypted where encryption is on. A `CONFIGURATION_ERROR` (500) for
 * `get()`, `getAccessToken()`, `refresh()` and `revoke()`, whose tokens are unusable, with the
 * detail on the error log line. `save()` (at login) replaces such a record by compare-and-set
 * against its {@link version}, so a user who logs in again is not locked out by tokens nobody
 * can read. A custom {@link TokenStore} throws it from `get()` for the same behaviour; its
 * message is logged, so it must not quote the stored data.
 */
export class UnreadableTokenRecordError extends TikTokAPIError {
  /** The stored record's version, for a compare-and-set that replaces it. Not a secret. */
  readonly version: string;

  constructor(init: Omit<TikTokAPIErrorInit, 'code'> & { readonly version: string }) {
    super({ ...init, code: 'CONFIGURATION_ERROR' });
    this.version = init.version;
  }
}
