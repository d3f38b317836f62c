import assert from 'node:assert/strict';
import type { TikTokTokens } from '../../lib/client/types';
import { TikTokAPIError } from '../../lib/errors';
import { makeTokens, sleep, waitFor } from '../support/token-fixtures';
import { EXPIRED, managerHarness, rejectsWith } from '../support/token-harness';

/** A promise with its resolve function, to hold a scripted refresh open. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('TikTokTokenManager', () => {
  describe('refresh coordination (another instance on the same store)', () => {
    describe('while another instance holds the lock', () => {
      it('waits, then serves the tokens it wrote without calling TikTok ("shared")', async () => {
        const h = managerHarness();
        const old = await h.seed(EXPIRED);
        const lock = await h.store.acquireLock(h.openId, 5000);
        assert.ok(lock !== undefined);
        const pending = h.manager.getAccessToken(h.openId);
        await sleep(50);
        const written = makeTokens(h.openId);
        const version = (await h.store.get(h.openId))?.version;
        assert.equal(old.access_token, (await h.store.get(h.openId))?.tokens.access_token);
        await h.store.compareAndSet(h.openId, version, written);
        await h.store.releaseLock(h.openId, lock);
        assert.equal(await pending, written.access_token);
        assert.equal(h.client.refreshCalls.length, 0);
        assert.deepEqual(await h.refreshOutcomes(), { shared: 1 });
      });

      it('takes over once the holder lets go without writing (it failed), and refreshes itself', async () => {
        const h = managerHarness();
        await h.seed(EXPIRED);
        const lock = await h.store.acquireLock(h.openId, 5000);
        assert.ok(lock !== undefined);
        const pending = h.manager.getAccessToken(h.openId);
        await sleep(50);
        assert.equal(h.client.refreshCalls.length, 0, 'no refresh while the lock is held');
        await h.store.releaseLock(h.openId, lock);
        await pending;
        assert.equal(h.client.refreshCalls.length, 1);
      });

      it('takes over when the holder died and its lock expired', async () => {
        const h = managerHarness({ lockTtlMs: 150 });
        await h.seed(EXPIRED);
        assert.ok((await h.store.acquireLock(h.openId, 150)) !== undefined); // never released
        const started = Date.now();
        await h.manager.getAccessToken(h.openId);
        assert.equal(h.client.refreshCalls.length, 1);
        assert.ok(Date.now() - started >= 100, 'waited for the lock to expire');
      });

      it('gives up after lockWaitMs: serves a still-valid token', async () => {
        const h = managerHarness({ lockWaitMs: 100 });
        const tokens = await h.seed({ expires_at: Date.now() + 60_000 });
        await h.store.acquireLock(h.openId, 5000);
        assert.equal(await h.manager.getAccessToken(h.openId), tokens.access_token);
        assert.equal(h.client.refreshCalls.length, 0);
        assert.deepEqual(await h.refreshOutcomes(), { TIMEOUT_ERROR: 1 });
      });

      it('gives up after lockWaitMs: TIMEOUT_ERROR (504, retryable) when the token has expired', async () => {
        const h = managerHarness({ lockWaitMs: 100 });
        await h.seed(EXPIRED);
        await h.store.acquireLock(h.openId, 5000);
        const started = Date.now();
        const err = await rejectsWith(h.manager.getAccessToken(h.openId), 'TIMEOUT_ERROR');
        assert.equal(err.statusCode, 504);
        assert.equal(err.retryable, true);
        assert.ok(Date.now() - started < 1000);
      });
    });

    describe('a stale lock holder (its lock expired mid-refresh)', () => {
      it("loses the compare-and-set: the winner's tokens stay and are returned to it", async () => {
        const h = managerHarness({ lockTtlMs: 100 });
        await h.seed(EXPIRED);
        const slow = deferred<TikTokTokens>();
        const staleAnswer = makeTokens(h.openId);
        const winnerAnswer = makeTokens(h.openId);
        h.client.onRefresh = () => slow.promise; // instance A's TikTok call hangs past its lease
        const stale = h.manager.getAccessToken(h.openId);
        await waitFor(() => h.client.refreshCalls.length === 1, 2000, "A's refresh call");
        await sleep(150); // A's lock expires
        h.client.onRefresh = () => Promise.resolve(winnerAnswer);
        const b = h.another();
        assert.equal(await b.getAccessToken(h.openId), winnerAnswer.access_token);
        slow.resolve(staleAnswer); // A's answer finally arrives
        assert.equal(await stale, winnerAnswer.access_token);
        assert.deepEqual((await h.store.get(h.openId))?.tokens, winnerAnswer);
        assert.equal(h.logger.events('stale write refused, using the stored tokens').length, 1);
      });
    });

    describe('refresh() (forced)', () => {
      it('refreshes even a fresh token and returns the new tokens', async () => {
        const h = managerHarness();
        const old = await h.seed();
        const rotated = makeTokens(h.openId);
        h.client.onRefresh = () => Promise.resolve(rotated);
        assert.deepEqual(await h.manager.refresh(h.openId), rotated);
        assert.deepEqual(
          h.client.refreshCalls.map((c) => c.refreshToken),
          [old.refresh_token],
        );
      });

      it('concurrent refresh() calls share one TikTok call', async () => {
        const h = managerHarness();
        await h.seed();
        const results = await Promise.all(
          Array.from({ length: 10 }, () => h.manager.refresh(h.openId)),
        );
        assert.equal(h.client.refreshCalls.length, 1);
        assert.equal(new Set(results.map((t) => t.access_token)).size, 1);
      });

      it('does not refresh again when another instance refreshed after the call began', async () => {
        const h = managerHarness();
        await h.seed();
        const lock = await h.store.acquireLock(h.openId, 5000);
        assert.ok(lock !== undefined);
        const pending = h.manager.refresh(h.openId);
        await sleep(30);
        const written = makeTokens(h.openId);
        await h.store.compareAndSet(h.openId, (await h.store.get(h.openId))?.version, written);
        await h.store.releaseLock(h.openId, lock);
        assert.deepEqual(await pending, written);
        assert.equal(h.client.refreshCalls.length, 0);
      });

      it('throws transient errors (no fallback) and keeps the tokens', async () => {
        const h = managerHarness();
        const tokens = await h.seed();
        h.client.onRefresh = () => Promise.reject(new Error('boom'));
        await assert.rejects(h.manager.refresh(h.openId), /boom/);
        assert.deepEqual((await h.store.get(h.openId))?.tokens, tokens);
        assert.deepEqual(await h.refreshOutcomes(), { error: 1 });
      });
    });

    it('releases the lock after every refresh, failed or not', async () => {
      const h = managerHarness();
      await h.seed(EXPIRED);
      h.client.onRefresh = () => Promise.reject(new Error('boom'));
      await assert.rejects(h.manager.getAccessToken(h.openId));
      const lock = await h.store.acquireLock(h.openId, 1000);
      assert.equal(typeof lock, 'string');
    });
  });

  describe('callers joining a refresh already in flight in this process', () => {
    it('refresh() that read the newest record refreshes again when the joined refresh ends with it', async () => {
      const h = managerHarness();
      await h.seed(EXPIRED);
      // Another instance refreshes (TikTok slow) while holding the store's lock.
      const other = h.another();
      const rotated = makeTokens(h.openId);
      h.client.onRefresh = async () => {
        await sleep(200);
        return rotated;
      };
      const otherCall = other.getAccessToken(h.openId);
      await waitFor(() => h.client.refreshCalls.length === 1);
      // This instance waits for it (watching the store)…
      const waiting = h.manager.getAccessToken(h.openId);
      await waitFor(
        async () => (await h.store.get(h.openId))?.tokens.access_token === rotated.access_token,
        5000,
        'the rotated tokens',
      );
      h.client.onRefresh = () => Promise.resolve(makeTokens(h.openId));
      // …and a request that saw TikTok refuse the rotated access token forces a refresh: it
      // joins the wait, which ends with the tokens it read, so it refreshes itself.
      const forced = await h.manager.refresh(h.openId);
      await Promise.all([otherCall, waiting]);
      assert.notEqual(forced.access_token, rotated.access_token);
      assert.equal(h.client.refreshCalls.length, 2);
    });

    it("a joining caller's error carries its own correlation ID", async () => {
      const h = managerHarness();
      await h.seed(EXPIRED);
      h.client.onRefresh = async (_token, opts) => {
        await sleep(50);
        throw new TikTokAPIError({
          code: 'API_ERROR',
          message: 'TikTok answered HTTP 502',
          correlationId: String(opts.correlationId),
        });
      };
      const first = h.manager.getAccessToken(h.openId, { correlationId: 'request-A' });
      await sleep(5);
      const second = h.manager.getAccessToken(h.openId, { correlationId: 'request-B' });
      const idOf = (p: Promise<string>): Promise<unknown> =>
        p.then(
          () => 'resolved',
          (err: unknown) => (err instanceof TikTokAPIError ? err.correlationId : err),
        );
      assert.deepEqual(await Promise.all([idOf(first), idOf(second)]), ['request-A', 'request-B']);
      assert.equal(h.client.refreshCalls.length, 1, 'one TikTok call for both');
    });
  });
});
