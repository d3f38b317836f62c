import { randomBytes } from 'node:crypto';
import type { TikTokTokens } from '../client/types';
import { inspectsAsJson } from '../logging';
import type { StoredTokenRecord, TokenStore } from './store';

interface Lock {
  readonly token: string;
  readonly expiresAt: number;
}

/** A fresh opaque version or lock token. */
export function newVersion(): string {
  return randomBytes(12).toString('hex');
}

/**
 * Tokens and locks in this process's memory: for a single instance, development and tests.
 * Several app instances need {@link RedisTokenStore} (a refresh lock here is per process only).
 *
 * ```ts
 * const manager = new TikTokTokenManager({ client, store: new MemoryTokenStore() });
 * ```
 */
export class MemoryTokenStore implements TokenStore {
  private readonly records = new Map<string, StoredTokenRecord>();
  private readonly locks = new Map<string, Lock>();

  /** What `JSON.stringify()` writes: how many users it holds tokens for, never the tokens. */
  toJSON(): Record<string, unknown> {
    return { users: this.records.size };
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async by the TokenStore contract
  async get(openId: string): Promise<StoredTokenRecord | undefined> {
    const record = this.records.get(openId);
    // Copies, so a caller mutating what it got cannot change what is stored.
    return record === undefined
      ? undefined
      : { tokens: { ...record.tokens }, version: record.version };
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async by the TokenStore contract
  async compareAndSet(
    openId: string,
    expectedVersion: string | undefined,
    tokens: TikTokTokens,
  ): Promise<boolean> {
    if (this.records.get(openId)?.version !== expectedVersion) return false;
    this.records.set(openId, { tokens: { ...tokens }, version: newVersion() });
    return true;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async by the TokenStore contract
  async delete(openId: string, expectedVersion?: string): Promise<boolean> {
    const record = this.records.get(openId);
    if (record === undefined) return false;
    if (expectedVersion !== undefined && record.version !== expectedVersion) return false;
    return this.records.delete(openId);
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async by the TokenStore contract
  async acquireLock(openId: string, ttlMs: number): Promise<string | undefined> {
    const now = Date.now();
    const held = this.locks.get(openId);
    if (held !== undefined && held.expiresAt > now) return undefined;
    const token = newVersion();
    this.locks.set(openId, { token, expiresAt: now + ttlMs });
    return token;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async by the TokenStore contract
  async releaseLock(openId: string, token: string): Promise<void> {
    if (this.locks.get(openId)?.token === token) this.locks.delete(openId);
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async by the TokenStore contract
  async extendLock(openId: string, token: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const held = this.locks.get(openId);
    if (held?.token !== token || held.expiresAt <= now) return false;
    this.locks.set(openId, { token, expiresAt: now + ttlMs });
    return true;
  }
}
inspectsAsJson(MemoryTokenStore);
