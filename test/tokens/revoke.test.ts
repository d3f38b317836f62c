import assert from 'node:assert/strict';
import { TikTokAPIError } from '../../lib';
import { makeTokens, sleep } from '../support/token-fixtures';
import { apiError, EXPIRED, managerHarness, rejectsWith } from '../support/token-harness';

/** The VALIDATION_ERROR the client raises when TikTok refuses a revoke with `tiktokError`. */
function refusedWith(tiktokError: { error: string; description?: string }): TikTokAPIError {
  return new TikTokAPIError({
    code: 'VALIDATION_ERROR',
    message: 'Revoke failed',
    correlationId: 'tiktok-0-scripted',
    tiktokError,
  });
}

describe('TikTokTokenManager', () => {
  describe('#revoke', () => {
    it('revokes the current access token at TikTok, then deletes locally', async () => {
      const h = managerHarness();
      const tokens = await h.seed();
      await h.manager.revoke(h.openId);
      assert.deepEqual(h.client.revokeCalls, [tokens.access_token]);
      assert.equal(await h.store.get(h.openId), undefined);
      assert.equal(h.client.refreshCalls.length, 0);
    });

    it('refreshes first when the access token has expired, and revokes the new one', async () => {
      const h = managerHarness();
      await h.seed(EXPIRED);
      const rotated = makeTokens(h.openId);
      h.client.onRefresh = () => Promise.resolve(rotated);
      await h.manager.revoke(h.openId);
      assert.equal(h.client.refreshCalls.length, 1);
      assert.deepEqual(h.client.revokeCalls, [rotated.access_token]);
      assert.equal(await h.store.get(h.openId), undefined);
    });

    it('an already-revoked grant (INVALID_TOKEN) counts as success', async () => {
      const h = managerHarness();
      await h.seed();
      h.client.onRevoke = () => Promise.reject(apiError('INVALID_TOKEN'));
      await h.manager.revoke(h.openId);
      assert.equal(await h.store.get(h.openId), undefined);
      assert.equal(h.logger.events('grant already revoked or expired').length, 1);
    });

    it('an already-revoked or expired grant refused with invalid_request (VALIDATION_ERROR) counts as success', async () => {
      // TikTok's pages do not say whether it answers invalid_grant or invalid_request: both count.
      const h = managerHarness();
      await h.seed();
      h.client.onRevoke = () =>
        Promise.reject(
          refusedWith({ error: 'invalid_request', description: 'Access token is invalid.' }),
        );
      await h.manager.revoke(h.openId);
      assert.equal(await h.store.get(h.openId), undefined);
      const [line] = h.logger.events('grant already revoked or expired');
      assert.equal(line?.meta?.errorCode, 'VALIDATION_ERROR');
    });

    it('any other VALIDATION_ERROR (not invalid_request from TikTok) is rethrown after the local delete', async () => {
      const h = managerHarness();
      await h.seed();
      h.client.onRevoke = () => Promise.reject(refusedWith({ error: 'invalid_params' }));
      await rejectsWith(h.manager.revoke(h.openId), 'VALIDATION_ERROR');
      h.client.onRevoke = () => Promise.reject(apiError('VALIDATION_ERROR')); // the client's own
      await h.seed();
      await rejectsWith(h.manager.revoke(h.openId), 'VALIDATION_ERROR');
      assert.equal(await h.store.get(h.openId), undefined);
      assert.equal(h.logger.events('grant already revoked or expired').length, 0);
    });

    it('an unrefreshable expired grant (TOKEN_EXPIRED) counts as success, no TikTok call', async () => {
      const h = managerHarness();
      await h.seed({ ...EXPIRED, refresh_expires_at: Date.now() - 1 });
      await h.manager.revoke(h.openId);
      assert.equal(h.client.revokeCalls.length, 0);
      assert.equal(await h.store.get(h.openId), undefined);
    });

    it('a failed revoke still deletes locally, then rethrows for the app to log', async () => {
      const h = managerHarness();
      await h.seed();
      h.client.onRevoke = () => Promise.reject(apiError('API_ERROR'));
      const err = await rejectsWith(h.manager.revoke(h.openId), 'API_ERROR');
      assert.equal(err.retryable, true);
      assert.equal(await h.store.get(h.openId), undefined);
    });

    it('a failed refresh before the revoke still deletes locally', async () => {
      const h = managerHarness();
      await h.seed(EXPIRED);
      h.client.onRefresh = () => Promise.reject(apiError('NETWORK_ERROR'));
      await rejectsWith(h.manager.revoke(h.openId), 'NETWORK_ERROR');
      assert.equal(h.client.revokeCalls.length, 0);
      assert.equal(await h.store.get(h.openId), undefined);
    });

    it('a login saved by another instance while TikTok answers keeps its tokens', async () => {
      const h = managerHarness();
      const revoked = await h.seed();
      const newer = { current: makeTokens(h.openId) };
      h.client.onRevoke = async () => {
        await sleep(5); // another device's login, after the revoke was sent
        newer.current = makeTokens(h.openId);
        await h.another().save(h.openId, newer.current);
      };
      await h.manager.revoke(h.openId);
      assert.deepEqual(h.client.revokeCalls, [revoked.access_token]);
      assert.deepEqual((await h.store.get(h.openId))?.tokens, newer.current);
    });

    it("tokens another instance's refresh stored before the revoke was sent are deleted too", async () => {
      const h = managerHarness();
      await h.seed();
      const read = h.store.get.bind(h.store);
      let reads = 0;
      h.store.get = async (openId) => {
        const record = await read(openId);
        // Right after revoke()'s own read: the same grant, rotated by another instance.
        if (++reads === 1 && record !== undefined) {
          await h.store.compareAndSet(openId, record.version, makeTokens(h.openId));
        }
        return record;
      };
      await sleep(5);
      await h.manager.revoke(h.openId);
      assert.equal(await read(h.openId), undefined);
    });

    it('nothing stored: resolves without calling TikTok', async () => {
      const h = managerHarness();
      await h.manager.revoke(h.openId);
      assert.equal(h.client.revokeCalls.length, 0);
    });
  });
});
