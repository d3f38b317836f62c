import type { TikTokTokens } from '../../lib/client/types';
import { MemoryTokenStore } from '../../lib/tokens/memory-store';
import type { StoredTokenRecord, TokenStore } from '../../lib/tokens/store';

/** What a scripted failure does: fail before the store acts, or act and then lose the reply. */
export type Failure = 'before' | 'after';

/**
 * A MemoryTokenStore whose compare-and-set and lock release fail as scripted: `failWrites`
 * lists the next writes' fates (`'before'`: nothing written; `'after'`: written, then the reply
 * is lost, as when a connection drops), `failReleases` how many releases fail.
 */
export class FlakyTokenStore implements TokenStore {
  readonly inner = new MemoryTokenStore();
  failWrites: Failure[] = [];
  failReleases = 0;
  writes = 0;

  get(openId: string): Promise<StoredTokenRecord | undefined> {
    return this.inner.get(openId);
  }

  async compareAndSet(
    openId: string,
    expectedVersion: string | undefined,
    tokens: TikTokTokens,
  ): Promise<boolean> {
    this.writes += 1;
    const failure = this.failWrites.shift();
    if (failure === 'before') throw new Error('scripted: connection lost before the write');
    const written = await this.inner.compareAndSet(openId, expectedVersion, tokens);
    if (failure === 'after') throw new Error('scripted: connection lost after the write');
    return written;
  }

  delete(openId: string, expectedVersion?: string): Promise<boolean> {
    return this.inner.delete(openId, expectedVersion);
  }

  acquireLock(openId: string, ttlMs: number): Promise<string | undefined> {
    return this.inner.acquireLock(openId, ttlMs);
  }

  async releaseLock(openId: string, token: string): Promise<void> {
    if (this.failReleases > 0) {
      this.failReleases -= 1;
      throw new Error('scripted: lock release failed');
    }
    await this.inner.releaseLock(openId, token);
  }
}
