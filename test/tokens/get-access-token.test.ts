import assert from 'node:assert/strict';
import { TikTokAPIError } from '../../lib';
import { makeTokens } from '../support/token-fixtures';
import { apiError, EXPIRED, managerHarness, rejectsWith } from '../support/token-harness';

describe('TikTokTokenManager', () => {
  describe('#getAccessToken', () => {
    describe('with a fresh token', () => {
      it('returns the stored access token without calling TikTok', async () => {
        const h = managerHarness();
        const tokens = await h.seed();
        assert.equal(await h.manager.getAccessToken(h.openId), tokens.access_token);
        assert.equal(h.client.refreshCalls.length, 0);
      });
    });

    describe('within the refresh skew of expiry', () => {
      it('refreshes with the stored refresh token, persists the rotation and returns the new token', async () => {
        const h = managerHarness();
        const old = await h.seed({ expires_at: Date.now() + 60_000 }); // inside the 5 min default skew
        const rotated = makeTokens(h.openId);
        h.client.onRefresh = () => Promise.resolve(rotated);
        assert.equal(await h.manager.getAccessToken(h.openId), rotated.access_token);
        assert.deepEqual(
          h.client.refreshCalls.map((c) => c.refreshToken),
          [old.refresh_token],
        );
        assert.deepEqual((await h.store.get(h.openId))?.tokens, rotated);
        assert.deepEqual(await h.refreshOutcomes(), { success: 1 });
      });

      it('honours refreshSkewMs', async () => {
        const h = managerHarness({ refreshSkewMs: 10_000 });
        const tokens = await h.seed({ expires_at: Date.now() + 60_000 });
        assert.equal(await h.manager.getAccessToken(h.openId), tokens.access_token);
        assert.equal(h.client.refreshCalls.length, 0);
      });

      it('passes the correlation ID and a deadline inside the lock lease to the client', async () => {
        const h = managerHarness({ lockTtlMs: 4000 });
        await h.seed(EXPIRED);
        const before = Date.now();
        await h.manager.getAccessToken(h.openId, { correlationId: 'tiktok-1-abcdef01' });
        const opts = h.client.refreshCalls[0]?.opts;
        assert.equal(opts?.correlationId, 'tiktok-1-abcdef01');
        assert.ok(
          opts?.deadlineAt !== undefined &&
            opts.deadlineAt <= before + 4000 &&
            opts.deadlineAt > before,
        );
      });
    });

    describe('100 concurrent calls for one expired user', () => {
      it('make exactly one refresh call and all get the new token', async () => {
        const h = managerHarness();
        await h.seed(EXPIRED);
        const rotated = makeTokens(h.openId);
        h.client.onRefresh = () => new Promise((resolve) => setTimeout(() => resolve(rotated), 20));
        const results = await Promise.all(
          Array.from({ length: 100 }, () => h.manager.getAccessToken(h.openId)),
        );
        assert.equal(h.client.refreshCalls.length, 1);
        assert.deepEqual(new Set(results), new Set([rotated.access_token]));
      });
    });

    describe('when the refresh fails transiently', () => {
      for (const code of ['API_ERROR', 'NETWORK_ERROR', 'TIMEOUT_ERROR', 'RATE_LIMIT'] as const) {
        it(`${code} with the token still valid: serves the current token and keeps the stored tokens`, async () => {
          const h = managerHarness();
          const tokens = await h.seed({ expires_at: Date.now() + 60_000 });
          h.client.onRefresh = () => Promise.reject(apiError(code));
          assert.equal(await h.manager.getAccessToken(h.openId), tokens.access_token);
          assert.deepEqual((await h.store.get(h.openId))?.tokens, tokens);
          assert.deepEqual(await h.refreshOutcomes(), { [code]: 1 });
          assert.equal(
            h.logger.events('serving the current access token until it expires').length,
            1,
          );
        });
      }

      it('tokens deleted while the refresh failed (a revoke, a logout): INVALID_TOKEN, not the deleted token', async () => {
        const h = managerHarness();
        await h.seed({ expires_at: Date.now() + 60_000 });
        h.client.onRefresh = async () => {
          await h.manager.delete(h.openId);
          throw apiError('API_ERROR');
        };
        await rejectsWith(h.manager.getAccessToken(h.openId), 'INVALID_TOKEN');
        assert.equal(
          h.logger.events('serving the current access token until it expires').length,
          0,
        );
      });

      it('tokens replaced while the refresh failed (a new login): the new access token', async () => {
        const h = managerHarness();
        await h.seed({ expires_at: Date.now() + 60_000 });
        const newer = makeTokens(h.openId);
        h.client.onRefresh = async () => {
          await h.manager.save(h.openId, newer);
          throw apiError('API_ERROR');
        };
        assert.equal(await h.manager.getAccessToken(h.openId), newer.access_token);
      });

      it('a store that cannot be read again: the token read before, as for any failure', async () => {
        const h = managerHarness();
        const tokens = await h.seed({ expires_at: Date.now() + 60_000 });
        const get = h.store.get.bind(h.store);
        let reads = 0;
        h.store.get = (openId: string) =>
          ++reads > 1 ? Promise.reject(new Error('down')) : get(openId);
        h.client.onRefresh = () => Promise.reject(apiError('API_ERROR'));
        assert.equal(await h.manager.getAccessToken(h.openId), tokens.access_token);
      });

      it('with the token already expired: throws the retryable error and keeps the tokens', async () => {
        const h = managerHarness();
        const tokens = await h.seed(EXPIRED);
        h.client.onRefresh = () => Promise.reject(apiError('API_ERROR'));
        const err = await rejectsWith(h.manager.getAccessToken(h.openId), 'API_ERROR');
        assert.equal(err.retryable, true);
        assert.deepEqual((await h.store.get(h.openId))?.tokens, tokens);
      });

      it('the next call refreshes again (failures are not cached)', async () => {
        const h = managerHarness();
        await h.seed(EXPIRED);
        h.client.onRefresh = () => Promise.reject(apiError('API_ERROR'));
        await rejectsWith(h.manager.getAccessToken(h.openId), 'API_ERROR');
        const rotated = makeTokens(h.openId);
        h.client.onRefresh = () => Promise.resolve(rotated);
        assert.equal(await h.manager.getAccessToken(h.openId), rotated.access_token);
        assert.equal(h.client.refreshCalls.length, 2);
      });
    });

    describe('when the refresh fails without ending the grant, not retryable', () => {
      /** A refusal as the client raises it for TikTok's `error` value. */
      const refused = (code: 'VALIDATION_ERROR' | 'API_ERROR', error?: string): TikTokAPIError =>
        new TikTokAPIError({
          code,
          message: 'Token refresh failed',
          correlationId: 'tiktok-0-scripted',
          retryable: false,
          ...(error === undefined ? {} : { tiktokError: { error } }),
        });
      const cases = [
        ['a 4xx without a TikTok error (a proxy)', refused('API_ERROR')],
        [
          'an error value TikTok does not document for a refresh',
          refused('VALIDATION_ERROR', 'some_new_error'),
        ],
        [
          'unsupported_grant_type (the request, not the grant)',
          refused('VALIDATION_ERROR', 'unsupported_grant_type'),
        ],
        ['invalid_client (the app credentials)', apiError('INVALID_CREDENTIALS')],
      ] as const;
      for (const [what, failure] of cases) {
        it(`${what}: the tokens are kept, the current token served while it has not expired`, async () => {
          const h = managerHarness();
          const tokens = await h.seed({ expires_at: Date.now() + 60_000 });
          h.client.onRefresh = () => Promise.reject(failure);
          assert.equal(await h.manager.getAccessToken(h.openId), tokens.access_token);
          assert.deepEqual((await h.store.get(h.openId))?.tokens, tokens);
          await h.manager.save(h.openId, makeTokens(h.openId, EXPIRED));
          await rejectsWith(h.manager.getAccessToken(h.openId), failure.code);
          assert.ok(await h.store.get(h.openId), 'still stored');
        });
      }

      it('access_denied ends the grant like invalid_grant', async () => {
        const h = managerHarness();
        await h.seed({ expires_at: Date.now() + 60_000 });
        h.client.onRefresh = () => Promise.reject(refused('VALIDATION_ERROR', 'access_denied'));
        await rejectsWith(h.manager.getAccessToken(h.openId), 'INVALID_TOKEN');
        assert.equal(await h.store.get(h.openId), undefined);
      });
    });

    describe('when TikTok rejects the refresh token (INVALID_TOKEN)', () => {
      it('deletes the grant and throws INVALID_TOKEN saying to log in again', async () => {
        const h = managerHarness();
        await h.seed(EXPIRED);
        const upstream = apiError('INVALID_TOKEN');
        h.client.onRefresh = () => Promise.reject(upstream);
        const err = await rejectsWith(
          h.manager.getAccessToken(h.openId, { correlationId: 'tiktok-2-00000000' }),
          'INVALID_TOKEN',
        );
        assert.match(err.message, /log in again/);
        assert.equal(err.statusCode, 401);
        assert.equal(err.correlationId, 'tiktok-2-00000000');
        assert.equal(err.cause, upstream);
        assert.equal(await h.store.get(h.openId), undefined);
        assert.deepEqual(await h.refreshOutcomes(), { INVALID_TOKEN: 1 });
      });

      it('even with the access token still valid (the grant is over)', async () => {
        const h = managerHarness();
        await h.seed({ expires_at: Date.now() + 60_000 });
        h.client.onRefresh = () => Promise.reject(apiError('INVALID_TOKEN'));
        await rejectsWith(h.manager.getAccessToken(h.openId), 'INVALID_TOKEN');
        assert.equal(await h.store.get(h.openId), undefined);
      });

      it('keeps and serves tokens saved meanwhile by a new login (or a newer holder)', async () => {
        const h = managerHarness();
        await h.seed(EXPIRED);
        const relogin = makeTokens(h.openId);
        h.client.onRefresh = async () => {
          await h.manager.save(h.openId, relogin);
          throw apiError('INVALID_TOKEN');
        };
        assert.equal(await h.manager.getAccessToken(h.openId), relogin.access_token);
        assert.deepEqual((await h.store.get(h.openId))?.tokens, relogin);
        assert.deepEqual(await h.refreshOutcomes(), { shared: 1 });
      });

      it('throws when what was saved meanwhile needs a refresh too (no loop)', async () => {
        const h = managerHarness();
        await h.seed(EXPIRED);
        const stale = makeTokens(h.openId, EXPIRED);
        h.client.onRefresh = async () => {
          await h.manager.save(h.openId, stale);
          throw apiError('INVALID_TOKEN');
        };
        await rejectsWith(h.manager.getAccessToken(h.openId), 'INVALID_TOKEN');
        assert.deepEqual((await h.store.get(h.openId))?.tokens, stale, 'not ours to delete');
        assert.equal(h.client.refreshCalls.length, 1);
      });
    });

    describe('when the grant cannot be refreshed', () => {
      it('refresh token expired: TOKEN_EXPIRED without calling TikTok, tokens kept', async () => {
        const h = managerHarness();
        const tokens = await h.seed({ ...EXPIRED, refresh_expires_at: Date.now() - 1 });
        const err = await rejectsWith(h.manager.getAccessToken(h.openId), 'TOKEN_EXPIRED');
        assert.equal(err.statusCode, 401);
        assert.match(err.message, /log in again/);
        assert.equal(h.client.refreshCalls.length, 0);
        assert.deepEqual((await h.store.get(h.openId))?.tokens, tokens);
      });

      it('no refresh token: TOKEN_EXPIRED without calling TikTok', async () => {
        const h = managerHarness();
        await h.seed({ ...EXPIRED, refresh_token: undefined, refresh_expires_at: undefined });
        await rejectsWith(h.manager.getAccessToken(h.openId), 'TOKEN_EXPIRED');
        assert.equal(h.client.refreshCalls.length, 0);
      });

      it('serves the access token while it has not expired', async () => {
        const h = managerHarness();
        const tokens = await h.seed({
          expires_at: Date.now() + 60_000,
          refresh_expires_at: Date.now() - 1,
        });
        assert.equal(await h.manager.getAccessToken(h.openId), tokens.access_token);
        assert.equal(h.client.refreshCalls.length, 0);
      });
    });

    describe('odd answers and failures', () => {
      it('no tokens stored: INVALID_TOKEN telling the user to log in', async () => {
        const h = managerHarness();
        const err = await rejectsWith(h.manager.getAccessToken(h.openId), 'INVALID_TOKEN');
        assert.equal(err.message, 'No TikTok tokens are stored for this user: log in with TikTok.');
      });

      it('an answer without refresh_token keeps the old refresh token', async () => {
        const h = managerHarness();
        const old = await h.seed(EXPIRED);
        const answer = makeTokens(h.openId, {
          refresh_token: undefined,
          refresh_expires_at: undefined,
          refresh_expires_in: undefined,
        });
        h.client.onRefresh = () => Promise.resolve(answer);
        await h.manager.getAccessToken(h.openId);
        const stored = (await h.store.get(h.openId))?.tokens;
        assert.equal(stored?.access_token, answer.access_token);
        assert.equal(stored?.refresh_token, old.refresh_token);
        assert.equal(stored?.refresh_expires_at, old.refresh_expires_at);
      });

      it("a rotated refresh token without a lifetime keeps the grant's previous end", async () => {
        const h = managerHarness();
        const old = await h.seed(EXPIRED);
        const answer = makeTokens(h.openId, {
          refresh_expires_at: undefined,
          refresh_expires_in: undefined,
        });
        h.client.onRefresh = () => Promise.resolve(answer);
        await h.manager.getAccessToken(h.openId);
        const stored = (await h.store.get(h.openId))?.tokens;
        assert.equal(stored?.refresh_token, answer.refresh_token);
        assert.equal(stored?.refresh_expires_at, old.refresh_expires_at);
        const issuedAt = answer.expires_at - answer.expires_in * 1000;
        assert.equal(
          stored?.refresh_expires_in,
          Math.round(((old.refresh_expires_at ?? 0) - issuedAt) / 1000),
        );
      });

      it("an answer without scope keeps the grant's stored scopes", async () => {
        const h = managerHarness();
        const old = await h.seed({ ...EXPIRED, scope: 'user.info.basic,video.list' });
        h.client.onRefresh = () => Promise.resolve(makeTokens(h.openId, { scope: '' }));
        await h.manager.getAccessToken(h.openId);
        assert.equal((await h.store.get(h.openId))?.tokens.scope, old.scope);
      });

      it('a rotated refresh token without a lifetime, past the previous end: lifetime unknown, still refreshable', async () => {
        const h = managerHarness();
        // The refresh is sent before the stored end and answered after it (TikTok renewed it).
        await h.seed({ ...EXPIRED, refresh_expires_at: Date.now() + 50 });
        const answer = makeTokens(h.openId, {
          refresh_expires_at: undefined,
          refresh_expires_in: undefined,
        });
        h.client.onRefresh = async () => {
          await new Promise((resolve) => setTimeout(resolve, 100));
          return { ...answer, expires_at: Date.now() + answer.expires_in * 1000 };
        };
        await h.manager.getAccessToken(h.openId);
        const stored = (await h.store.get(h.openId))?.tokens;
        assert.equal(stored?.refresh_token, answer.refresh_token);
        assert.equal(stored?.refresh_expires_at, undefined);
        h.client.onRefresh = () => Promise.resolve(makeTokens(h.openId));
        await h.manager.refresh(h.openId);
        assert.equal(h.client.refreshCalls.length, 2);
      });

      it('a rotated refresh token with its own lifetime keeps that lifetime', async () => {
        const h = managerHarness();
        await h.seed(EXPIRED);
        const answer = makeTokens(h.openId);
        h.client.onRefresh = () => Promise.resolve(answer);
        await h.manager.getAccessToken(h.openId);
        assert.deepEqual((await h.store.get(h.openId))?.tokens, answer);
      });

      it('an answer for another open_id: MALFORMED_RESPONSE, stored tokens kept', async () => {
        const h = managerHarness();
        const tokens = await h.seed(EXPIRED);
        h.client.onRefresh = () => Promise.resolve(makeTokens('someone-else'));
        await rejectsWith(h.manager.getAccessToken(h.openId), 'MALFORMED_RESPONSE');
        assert.deepEqual((await h.store.get(h.openId))?.tokens, tokens);
      });
    });
  });
});
