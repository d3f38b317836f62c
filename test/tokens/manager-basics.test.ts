import assert from 'node:assert/strict';
import { TikTokAPIError } from '../../lib/errors';
import { TikTokTokenManager } from '../../lib/tokens/manager';
import { MemoryTokenStore } from '../../lib/tokens/memory-store';
import { UnreadableTokenRecordError, type TokenStore } from '../../lib/tokens/store';
import { FakeTokenClient, makeTokens } from '../support/token-fixtures';
import { apiError, EXPIRED, managerHarness, rejectsWith } from '../support/token-harness';

describe('TikTokTokenManager', () => {
  describe('constructed', () => {
    const client = new FakeTokenClient('x');
    const store = new MemoryTokenStore();

    it('requires a client and a store, naming the option', () => {
      assert.throws(() => new TikTokTokenManager({ store } as never), /requires a client option/);
      assert.throws(() => new TikTokTokenManager({ client } as never), /requires a store option/);
      assert.throws(() => new TikTokTokenManager(undefined as never), TypeError);
    });

    for (const [option, value] of [
      ['refreshSkewMs', -1],
      ['refreshSkewMs', 1.5],
      ['lockTtlMs', 0],
      ['lockTtlMs', Number.NaN],
      ['lockWaitMs', '100'],
    ] as const) {
      it(`refuses ${option}: ${String(value)} with a TypeError naming it`, () => {
        assert.throws(
          () => new TikTokTokenManager(Object.assign({ client, store }, { [option]: value })),
          {
            name: 'TypeError',
            message: new RegExp(`TikTokTokenManager: ${option} must be`),
          },
        );
      });
    }
  });

  describe('save / get / delete', () => {
    it('save then get returns the tokens; save replaces; delete removes', async () => {
      const h = managerHarness();
      const first = await h.seed();
      assert.deepEqual(await h.manager.get(h.openId), first);
      const second = makeTokens(h.openId);
      await h.manager.save(h.openId, second);
      assert.deepEqual(await h.manager.get(h.openId), second);
      assert.equal(await h.manager.delete(h.openId), true);
      assert.equal(await h.manager.get(h.openId), undefined);
      assert.equal(await h.manager.delete(h.openId), false);
    });

    it('delete with issuedNotAfter removes only tokens issued by then', async () => {
      const h = managerHarness();
      const issued = Date.now() - 60_000;
      await h.seed({ expires_in: 3600, expires_at: issued + 3600_000 });
      assert.equal(await h.manager.delete(h.openId, { issuedNotAfter: issued - 1 }), false);
      assert.notEqual(await h.manager.get(h.openId), undefined, 'later tokens kept');
      assert.equal(await h.manager.delete(h.openId, { issuedNotAfter: issued }), true);
      assert.equal(await h.manager.get(h.openId), undefined);
      assert.equal(await h.manager.delete(h.openId, { issuedNotAfter: issued }), false);
      await assert.rejects(h.manager.delete(h.openId, { issuedNotAfter: Number.NaN }), {
        name: 'TypeError',
        message: /issuedNotAfter must be epoch milliseconds/,
      });
    });

    it('delete with issuedNotAfter: tokens saved between its read and its delete are kept', async () => {
      const store = new MemoryTokenStore();
      const h = managerHarness({ store });
      const issued = Date.now() - 60_000;
      await h.seed({ expires_in: 3600, expires_at: issued + 3600_000 });
      const get = store.get.bind(store);
      let reads = 0;
      store.get = async (openId) => {
        const record = await get(openId);
        // A new login lands right after the first read.
        if (++reads === 1) await h.manager.save(openId, makeTokens(openId));
        return record;
      };
      assert.equal(await h.manager.delete(h.openId, { issuedNotAfter: issued }), false);
      assert.notEqual(await h.manager.get(h.openId), undefined, "the new login's tokens kept");
      assert.ok(reads >= 4, 'read again after the refused delete');
    });

    it('delete with issuedNotAfter removes a record nobody can read', async () => {
      const store = new MemoryTokenStore();
      const h = managerHarness({ store });
      await h.seed();
      const stored = await store.get(h.openId);
      store.get = () =>
        Promise.reject(
          new UnreadableTokenRecordError({
            message: 'cannot decrypt',
            correlationId: 'tiktok-1-00000001',
            version: stored?.version ?? '',
          }),
        );
      assert.equal(await h.manager.delete(h.openId, { issuedNotAfter: 0 }), true);
    });

    it('save refuses tokens of another user, and tokens that are not TikTokTokens', async () => {
      const h = managerHarness();
      await assert.rejects(
        h.manager.save(h.openId, makeTokens('other')),
        /tokens.open_id differs from openId/,
      );
      await assert.rejects(
        h.manager.save(h.openId, { ...makeTokens(h.openId), access_token: '' }),
        {
          name: 'TypeError',
          message: /access_token/,
        },
      );
    });

    for (const bad of ['', 'a\nb', 'x'.repeat(257), undefined]) {
      it(`refuses openId ${JSON.stringify(bad)?.slice(0, 12) ?? 'undefined'} with a TypeError`, async () => {
        const h = managerHarness();
        await assert.rejects(h.manager.getAccessToken(bad as never), {
          name: 'TypeError',
          message: /openId/,
        });
      });
    }
  });

  describe('when the store fails', () => {
    function brokenStore(): TokenStore {
      const fail = (): Promise<never> =>
        Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
      return { get: fail, compareAndSet: fail, delete: fail, acquireLock: fail, releaseLock: fail };
    }

    it('getAccessToken: SERVICE_UNAVAILABLE (503, retryable) with the cause kept', async () => {
      const h = managerHarness({ store: brokenStore() });
      const err = await rejectsWith(
        h.manager.getAccessToken(h.openId, { correlationId: 'tiktok-3-0000000a' }),
        'SERVICE_UNAVAILABLE',
      );
      assert.equal(err.statusCode, 503);
      assert.equal(err.retryable, true);
      assert.equal(err.correlationId, 'tiktok-3-0000000a');
      assert.ok(err.cause instanceof Error);
    });

    it("a store's error quoting a token: the token_store - failure line cuts it", async () => {
      const store = new MemoryTokenStore();
      const h = managerHarness({ store });
      const tokens = makeTokens(h.openId);
      store.compareAndSet = () =>
        Promise.reject(
          new Error(
            `duplicate key value violates unique constraint "tokens_pkey": Key (access_token)=(${tokens.access_token}) already exists, refresh '${tokens.refresh_token ?? ''}'`,
          ),
        );
      await rejectsWith(h.manager.save(h.openId, tokens), 'SERVICE_UNAVAILABLE');
      const [line] = h.logger.lines.filter((l) => l.message.endsWith('token_store - failure'));
      const detail = String(line?.meta?.detail);
      assert.match(detail, /duplicate key value/, 'the rest of the text is kept');
      assert.ok(!detail.includes(tokens.access_token), detail);
      assert.ok(!detail.includes(tokens.refresh_token ?? '-'), detail);
      assert.match(detail, /act\.\[REDACTED\]/);
    });

    it('revoke: SERVICE_UNAVAILABLE', async () => {
      const h = managerHarness({ store: brokenStore() });
      await rejectsWith(h.manager.revoke(h.openId), 'SERVICE_UNAVAILABLE');
    });

    it('revoke: a store that cannot be read revokes nothing and deletes nothing; the retry does both', async () => {
      const store = new MemoryTokenStore();
      const h = managerHarness({ store });
      const tokens = await h.seed();
      const get = store.get.bind(store);
      let deletes = 0;
      const del = store.delete.bind(store);
      store.delete = (openId, version) => {
        deletes += 1;
        return del(openId, version);
      };
      // The store misses one read (a command timeout) and answers again right after.
      let reads = 0;
      store.get = (openId) => {
        reads += 1;
        if (reads === 1) return Promise.reject(new Error('command timed out after 2000 ms'));
        return get(openId);
      };
      await rejectsWith(h.manager.revoke(h.openId), 'SERVICE_UNAVAILABLE');
      assert.equal(h.client.revokeCalls.length, 0, 'TikTok not called');
      assert.equal(deletes, 0, 'nothing deleted');
      assert.equal((await store.get(h.openId))?.tokens.access_token, tokens.access_token);
      await h.manager.revoke(h.openId);
      assert.deepEqual(h.client.revokeCalls, [tokens.access_token]);
      assert.equal(await store.get(h.openId), undefined);
    });

    it('revoke: a record nobody can read is deleted, and its CONFIGURATION_ERROR rethrown', async () => {
      const store = new MemoryTokenStore();
      const h = managerHarness({ store });
      await h.seed();
      const stored = await store.get(h.openId);
      const get = store.get.bind(store);
      let reads = 0;
      store.get = (openId) => {
        reads += 1;
        if (reads > 1) return get(openId);
        return Promise.reject(
          new UnreadableTokenRecordError({
            message: 'cannot decrypt',
            correlationId: 'tiktok-1-00000001',
            version: stored?.version ?? '',
          }),
        );
      };
      await rejectsWith(h.manager.revoke(h.openId), 'CONFIGURATION_ERROR');
      assert.equal(h.client.revokeCalls.length, 0);
      assert.equal(await get(h.openId), undefined);
    });

    it("a store's own TikTokAPIError keeps its class, version, retryable flag and Retry-After under the call's correlation ID", async () => {
      const refuse = (err: Error) => (): Promise<never> => Promise.reject(err);
      const unreadable = new UnreadableTokenRecordError({
        message: 'the stored tokens cannot be decrypted with the configured keys',
        correlationId: 'tiktok-1-00000001',
        version: 'v-17',
      });
      const busy = new TikTokAPIError({
        code: 'SERVICE_UNAVAILABLE',
        message: 'Redis is loading its data set. Try again shortly.',
        correlationId: 'tiktok-1-00000002',
        retryAfterSeconds: 7,
      });
      for (const [thrown, code] of [
        [unreadable, 'CONFIGURATION_ERROR'],
        [busy, 'SERVICE_UNAVAILABLE'],
      ] as const) {
        const store: TokenStore = {
          get: refuse(thrown),
          compareAndSet: refuse(thrown),
          delete: refuse(thrown),
          acquireLock: refuse(thrown),
          releaseLock: refuse(thrown),
        };
        const h = managerHarness({ store });
        const err = await rejectsWith(
          h.manager.getAccessToken(h.openId, { correlationId: 'tiktok-3-0000000b' }),
          code,
        );
        assert.equal(err.correlationId, 'tiktok-3-0000000b');
        assert.equal(err.retryable, thrown.retryable);
        assert.equal(err.retryAfterSeconds, thrown.retryAfterSeconds);
        assert.equal(err.cause, thrown);
        assert.equal(err instanceof UnreadableTokenRecordError, thrown === unreadable);
        if (err instanceof UnreadableTokenRecordError) assert.equal(err.version, 'v-17');
      }
    });
  });

  describe('logs and metrics', () => {
    it('never contain a token (canary scan over refresh, fallback, failure and revoke)', async () => {
      const h = managerHarness();
      const canaries: string[] = [];
      const seedCanary = async (extra: object): Promise<void> => {
        const tokens = await h.seed({
          access_token: `CANARY-ACCESS-${canaries.length}`,
          refresh_token: `CANARY-REFRESH-${canaries.length}`,
          ...extra,
        });
        canaries.push(tokens.access_token, tokens.refresh_token ?? '');
      };
      h.client.onRefresh = () => {
        const t = makeTokens(h.openId, {
          access_token: 'CANARY-NEW-ACCESS',
          refresh_token: 'CANARY-NEW-REFRESH',
        });
        return Promise.resolve(t);
      };
      await seedCanary(EXPIRED);
      await h.manager.getAccessToken(h.openId);
      await seedCanary({ expires_at: Date.now() + 1000 });
      h.client.onRefresh = () => Promise.reject(apiError('API_ERROR'));
      await h.manager.getAccessToken(h.openId);
      h.client.onRefresh = () => Promise.reject(apiError('INVALID_TOKEN'));
      await seedCanary(EXPIRED);
      await assert.rejects(h.manager.getAccessToken(h.openId));
      await seedCanary({});
      await h.manager.revoke(h.openId);
      const text = h.logger.text();
      assert.ok(h.logger.lines.length >= 4, 'something was logged');
      for (const canary of [...canaries, 'CANARY-NEW-ACCESS', 'CANARY-NEW-REFRESH']) {
        assert.equal(text.includes(canary), false, 'a token reached the logs');
      }
      assert.deepEqual(await h.refreshOutcomes(), { success: 1, API_ERROR: 1, INVALID_TOKEN: 1 });
    });

    it('log lines carry the operation, the correlation ID and the open_id', async () => {
      const h = managerHarness();
      await h.seed(EXPIRED);
      await h.manager.getAccessToken(h.openId, { correlationId: 'tiktok-4-0000000b' });
      const [line] = h.logger.events('success');
      assert.equal(line?.message, '[TikTokOAuth] token_refresh - success');
      assert.equal(line.meta?.correlationId, 'tiktok-4-0000000b');
      assert.equal(line.meta.openId, h.openId);
    });
  });
});
