import assert from 'node:assert/strict';
import { FlakyTokenStore } from '../support/flaky-token-store';
import { makeTokens, sleep, waitFor } from '../support/token-fixtures';
import { EXPIRED, managerHarness } from '../support/token-harness';
import { watchUnhandledRejections } from '../support/unhandled-rejections';

/** A store whose releaseLock throws synchronously (a hand-written TokenStore, not async). */
class SyncThrowingReleaseStore extends FlakyTokenStore {
  syncThrows = 0;
  releases = 0;

  override releaseLock(openId: string, token: string): Promise<void> {
    this.releases += 1;
    if (this.syncThrows > 0) {
      this.syncThrows -= 1;
      throw new Error('store: not connected');
    }
    return super.releaseLock(openId, token);
  }
}

describe('TikTokTokenManager', () => {
  describe('a lock release that throws synchronously', () => {
    const rejections = watchUnhandledRejections();

    it('the stored refresh is served, the release is retried in the background, nothing unhandled', async () => {
      const store = new SyncThrowingReleaseStore();
      const h = managerHarness({ store, lockTtlMs: 10_000 });
      await h.seed(EXPIRED);
      const fresh = makeTokens(h.openId);
      h.client.onRefresh = () => Promise.resolve(fresh);
      store.syncThrows = 2; // the release and its first background retry
      const before = rejections.reasons.length;
      assert.equal(await h.manager.getAccessToken(h.openId), fresh.access_token);
      assert.deepEqual((await store.get(h.openId))?.tokens, fresh);
      // Background retries after 100 and 300 ms: waited for, then no further release.
      await waitFor(() => store.releases >= 3, 5000, 'the second background retry');
      await sleep(100);
      assert.equal(store.releases, 3, 'released at the second background retry');
      assert.notEqual(await store.acquireLock(h.openId, 1000), undefined, 'the lock is free');
      assert.deepEqual(rejections.reasons.slice(before), []);
      assert.match(h.logger.text(), /lock release failed, retrying/);
    });
  });
});
