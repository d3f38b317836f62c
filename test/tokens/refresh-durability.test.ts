import assert from 'node:assert/strict';
import { FlakyTokenStore } from '../support/flaky-token-store';
import type { TikTokTokens } from '../../lib/client/types';
import { MemoryTokenStore } from '../../lib/tokens/memory-store';
import { UnreadableTokenRecordError, type StoredTokenRecord } from '../../lib/tokens/store';
import { makeTokens, sleep } from '../support/token-fixtures';
import { EXPIRED, managerHarness, rejectsWith } from '../support/token-harness';

/** A memory store that refuses reads and writes until `downUntil` (the lock works). */
class OutageStore extends MemoryTokenStore {
  downUntil = 0;
  refused = 0;
  private check(): void {
    if (Date.now() < this.downUntil) {
      this.refused += 1;
      throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
    }
  }
  override async compareAndSet(
    openId: string,
    expectedVersion: string | undefined,
    tokens: TikTokTokens,
  ): Promise<boolean> {
    this.check();
    return super.compareAndSet(openId, expectedVersion, tokens);
  }
  override async get(openId: string): Promise<StoredTokenRecord | undefined> {
    this.check();
    return super.get(openId);
  }
}

/** A memory store whose lease renewals take `renewalMs`, inside its `commandTimeoutMs`: a slow Redis. */
class SlowRenewalStore extends MemoryTokenStore {
  readonly commandTimeoutMs = 900;
  renewalMs = 880;
  override async extendLock(openId: string, token: string, ttlMs: number): Promise<boolean> {
    await sleep(this.renewalMs);
    return super.extendLock(openId, token, ttlMs);
  }
}

describe('TikTokTokenManager', () => {
  describe('rotated tokens survive store failures after a TikTok refresh', () => {
    it("TikTok answering at its deadline, then a lease renewal as slow as the store's commandTimeoutMs: renewed inside the lease, one TikTok call across two instances", async () => {
      const store = new SlowRenewalStore();
      const lockTtlMs = 3000;
      const h = managerHarness({ store, lockTtlMs });
      await h.seed(EXPIRED);
      const fresh = makeTokens(h.openId);
      let left = Number.NaN;
      h.client.onRefresh = async (_token, opts) => {
        left = Number(opts.deadlineAt) - Date.now();
        await sleep(left - 50);
        return fresh;
      };
      const a = h.manager.getAccessToken(h.openId);
      await sleep(20);
      const b = h.another().getAccessToken(h.openId); // another instance, waiting on the lock
      assert.deepEqual(await Promise.all([a, b]), [fresh.access_token, fresh.access_token]);
      // The call ends the store's command timeout (900 ms) plus 250 ms before the lease does.
      assert.ok(left <= lockTtlMs - 1150 && left > lockTtlMs - 1300, `deadline ${left} ms away`);
      assert.equal(h.client.refreshCalls.length, 1);
      assert.deepEqual((await store.get(h.openId))?.tokens, fresh);
    });

    it('a write that fails before it lands is retried; the new token is served once stored', async () => {
      const store = new FlakyTokenStore();
      const h = managerHarness({ store });
      await h.seed(EXPIRED);
      const fresh = makeTokens(h.openId);
      h.client.onRefresh = () => Promise.resolve(fresh);
      store.failWrites = ['before', 'before'];
      const access = await h.manager.getAccessToken(h.openId);
      assert.equal(access, fresh.access_token);
      assert.equal(h.client.refreshCalls.length, 1, 'TikTok was called once');
      assert.equal(store.writes, 1 + 3, 'the save, then two failed writes and the one that landed');
      assert.deepEqual((await store.get(h.openId))?.tokens, fresh);
      assert.deepEqual(await h.refreshOutcomes(), { success: 1 });
    });

    it('a wall clock stepped forward an hour during the TikTok call: the failed write is still retried', async () => {
      const store = new FlakyTokenStore();
      const h = managerHarness({ store });
      await h.seed(EXPIRED);
      const fresh = makeTokens(h.openId);
      const real = Date.now.bind(Date);
      h.client.onRefresh = () => {
        Date.now = () => real() + 3_600_000; // NTP steps the wall clock forward an hour
        return Promise.resolve(fresh);
      };
      store.failWrites = ['before'];
      try {
        assert.equal(await h.manager.getAccessToken(h.openId), fresh.access_token);
      } finally {
        Date.now = real;
      }
      assert.deepEqual((await store.get(h.openId))?.tokens, fresh);
      assert.deepEqual(await h.refreshOutcomes(), { success: 1 });
    });

    it('a wall clock stepped back an hour before the TikTok call: the call still ends inside the lease', async () => {
      const lockTtlMs = 15_000;
      const store = new FlakyTokenStore();
      const h = managerHarness({ store, lockTtlMs });
      await h.seed({ expires_at: Date.now() - 7_200_000 }); // expired even an hour earlier
      const real = Date.now.bind(Date);
      const read = store.get.bind(store);
      let reads = 0;
      // The read under the lock (the second one) sees the step.
      store.get = async (openId) => {
        reads += 1;
        if (reads === 2) Date.now = () => real() - 3_600_000;
        return read(openId);
      };
      let left = Number.NaN;
      h.client.onRefresh = (_token, opts) => {
        left = (opts.deadlineAt ?? Number.NaN) - Date.now();
        return Promise.resolve(makeTokens(h.openId));
      };
      try {
        await h.manager.getAccessToken(h.openId);
      } finally {
        Date.now = real;
      }
      assert.ok(
        left > 0 && left <= lockTtlMs,
        `deadline ${left} ms away, the lease is ${lockTtlMs} ms`,
      );
    });

    it("a record that became unreadable while TikTok refreshed: CONFIGURATION_ERROR under the caller's correlation ID, the reason logged", async () => {
      const store = new MemoryTokenStore();
      const h = managerHarness({ store });
      await h.seed(EXPIRED);
      let unreadable = false;
      const read = store.get.bind(store);
      store.get = (openId) => {
        if (!unreadable) return read(openId);
        return Promise.reject(
          new UnreadableTokenRecordError({
            message:
              'The stored tokens are encrypted under key id 0123456789abcdef, not held here.',
            correlationId: 'tiktok-0-the-stores-own',
            version: 'v-other',
          }),
        );
      };
      const cas = store.compareAndSet.bind(store);
      store.compareAndSet = (openId, expected, tokens) =>
        unreadable ? Promise.resolve(false) : cas(openId, expected, tokens);
      h.client.onRefresh = () => {
        unreadable = true; // another instance, with another key, saved a login meanwhile
        return Promise.resolve(makeTokens(h.openId));
      };
      const err = await rejectsWith(
        h.manager.getAccessToken(h.openId, { correlationId: 'req-123' }),
        'CONFIGURATION_ERROR',
      );
      assert.equal(err.correlationId, 'req-123');
      const [line] = h.logger.events('failure').filter((l) => l.message.includes('token_store'));
      assert.equal(line?.meta?.correlationId, 'req-123', h.logger.text());
      assert.match(String(line.meta.detail), /key id 0123456789abcdef/);
    });

    it('a write whose reply was lost is recognised as ours and confirmed, not dropped', async () => {
      const store = new FlakyTokenStore();
      const h = managerHarness({ store });
      await h.seed(EXPIRED);
      const fresh = makeTokens(h.openId);
      h.client.onRefresh = () => Promise.resolve(fresh);
      store.failWrites = ['after'];
      assert.equal(await h.manager.getAccessToken(h.openId), fresh.access_token);
      assert.equal(h.client.refreshCalls.length, 1);
      assert.deepEqual((await store.get(h.openId))?.tokens, fresh);
      assert.ok(!h.logger.text().includes('stale write'), h.logger.text());
      assert.deepEqual(await h.refreshOutcomes(), { success: 1 });
    });

    it('a store that stays down: 503 before the lease ends, TikTok called once', async () => {
      const store = new FlakyTokenStore();
      // NOTE: retries stop shortly before the lease ends (at 90 % of it here): a 3 s lease leaves
      // the end of the test 300 ms, which a collector pause on a busy machine does not eat.
      const lockTtlMs = 3000;
      const h = managerHarness({ store, lockTtlMs });
      const old = await h.seed(EXPIRED);
      store.failWrites = Array.from({ length: 1000 }, () => 'before' as const);
      const started = Date.now();
      const err = await rejectsWith(h.manager.getAccessToken(h.openId), 'SERVICE_UNAVAILABLE');
      const took = Date.now() - started;
      assert.equal(err.statusCode, 503);
      assert.equal(err.retryable, true);
      assert.ok(took < lockTtlMs, `gave up within the lease (${took} ms < ${lockTtlMs} ms)`);
      assert.ok(took >= lockTtlMs / 2, `kept retrying for most of the lease (${took} ms)`);
      assert.ok(store.writes > 3, `retried (${store.writes} writes)`);
      assert.equal(h.client.refreshCalls.length, 1);
      assert.equal((await store.get(h.openId))?.tokens.access_token, old.access_token);
      // The last wait is what was left of the lease: logged in whole ms, like every duration.
      const delays = h.logger
        .events('storing the rotated tokens failed, retrying')
        .map((line) => line.meta?.delayMs);
      assert.ok(delays.length > 3, `the retries are logged (${delays.length})`);
      for (const delay of delays) assert.ok(Number.isInteger(delay), `delayMs ${String(delay)}`);
    });

    it('TikTok answering just before its deadline, then the store down for 600 ms of a 2 s lease: the lease is renewed, the tokens stored', async () => {
      const store = new OutageStore();
      const lockTtlMs = 2000;
      const h = managerHarness({ store, lockTtlMs });
      await h.seed(EXPIRED);
      const fresh = makeTokens(h.openId);
      h.client.onRefresh = async (_token, opts) => {
        await sleep(Number(opts.deadlineAt) - Date.now() - 300);
        store.downUntil = Date.now() + 600;
        return fresh;
      };
      assert.equal(await h.manager.getAccessToken(h.openId), fresh.access_token);
      assert.deepEqual((await store.get(h.openId))?.tokens, fresh);
      assert.ok(store.refused > 0, 'the store refused writes meanwhile');
    });

    it('tokens deleted while TikTok refreshes (a logout): INVALID_TOKEN at once, nothing written back', async () => {
      const h = managerHarness({ lockTtlMs: 3000 });
      await h.seed(EXPIRED);
      h.client.onRefresh = async () => {
        await h.manager.delete(h.openId); // the user logs out meanwhile
        return makeTokens(h.openId);
      };
      const started = Date.now();
      await rejectsWith(h.manager.getAccessToken(h.openId), 'INVALID_TOKEN');
      assert.ok(Date.now() - started < 1000, `${Date.now() - started} ms`);
      assert.equal(await h.store.get(h.openId), undefined);
      assert.equal(
        h.logger.events('the tokens were deleted while refreshing, the rotated ones are dropped')
          .length,
        1,
      );
    });

    it('a failed lock release is retried at once, so the next refresh does not wait out the lease', async () => {
      const store = new FlakyTokenStore();
      const h = managerHarness({ store, lockTtlMs: 10_000 });
      await h.seed(EXPIRED);
      store.failReleases = 1;
      await h.manager.getAccessToken(h.openId);
      const started = Date.now();
      const forced = await h.manager.refresh(h.openId);
      const took = Date.now() - started;
      assert.equal(h.client.refreshCalls.length, 2);
      assert.deepEqual((await store.get(h.openId))?.tokens, forced);
      assert.ok(took < 2000, `the forced refresh took ${took} ms (lease 10 000 ms)`);
      assert.match(h.logger.text(), /lock release failed, retrying/);
    });
  });
});
