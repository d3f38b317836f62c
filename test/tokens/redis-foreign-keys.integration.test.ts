import assert from 'node:assert/strict';
import { RESP_TYPES } from 'redis';
import { TikTokAPIError } from '../../lib/errors';
import { RedisCommandTimeoutError } from '../../lib/redis-timeout';
import { RedisTokenStore, type RedisClientLike } from '../../lib/tokens/redis-store';
import { makeTokens, sleep } from '../support/token-fixtures';
import { EXPIRED, managerHarness, rejectsWith } from '../support/token-harness';
import { type TestRedis, useTestRedis } from '../support/redis';

/** What a store call rejected with (fails the test when it resolved). */
async function rejection(promise: Promise<unknown>): Promise<TikTokAPIError> {
  const err: unknown = await promise.then(
    (value: unknown) => assert.fail(`resolved with ${String(value)}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof TikTokAPIError, String(err));
  return err;
}

// Keys under the store's names that it did not write (another app sharing the prefix, a bug, an
// operator's redis-cli): never deleted, and never a refresh lock that holds for good.
describe('RedisTokenStore', () => {
  const testRedis = useTestRedis();
  const prefix = testRedis.prefix;
  let redis: TestRedis;
  let n = 0;
  const user = (): string => `foreign-user-${++n}`;
  const plainStore = (client: RedisClientLike = redis): RedisTokenStore =>
    new RedisTokenStore({ client, prefix, allowPlaintext: true, recordCache: false });

  before(() => {
    redis = testRedis.redis;
  });

  describe('#delete', () => {
    // It used to DEL whatever the record key held when no version was given.
    for (const [what, plant] of [
      ['a string', (key: string) => redis.set(key, 'act.PLANTED-CANARY')],
      ['a list', (key: string) => redis.rPush(key, ['act.PLANTED-CANARY'])],
    ] as const) {
      it(`a record key holding ${what}: CONFIGURATION_ERROR as from save(), the key kept`, async () => {
        const store = plainStore();
        const id = user();
        await plant(store.recordKey(id));
        const err = await rejection(store.delete(id));
        assert.equal(err.code, 'CONFIGURATION_ERROR');
        assert.equal(err.retryable, false);
        assert.match(err.message, /holds a value of another type/);
        assert.doesNotMatch(err.message, /CANARY/);
        assert.equal(await redis.exists(store.recordKey(id)), 1);
        // The same error as save() gives for that key.
        const saved = await rejection(managerHarness({ store }).manager.save(id, makeTokens(id)));
        assert.equal(saved.code, 'CONFIGURATION_ERROR');
        assert.match(saved.message, /holds a value of another type/);
      });
    }

    for (const [what, fields] of [
      ['without version', { owner: 'another app', data: 'act.PLANTED-CANARY' }],
      ['with an empty version', { version: '', data: 'act.PLANTED-CANARY' }],
    ] as const) {
      it(`a hash ${what}: CONFIGURATION_ERROR as from save(), the hash kept`, async () => {
        const store = plainStore();
        const id = user();
        await redis.hSet(store.recordKey(id), fields);
        const err = await rejection(store.delete(id));
        assert.equal(err.code, 'CONFIGURATION_ERROR');
        assert.equal(err.retryable, false);
        assert.match(err.message, /lacks version or data/);
        assert.doesNotMatch(err.message, /CANARY/);
        assert.equal(await redis.hGet(store.recordKey(id), 'data'), 'act.PLANTED-CANARY');
        const saved = await rejection(managerHarness({ store }).manager.save(id, makeTokens(id)));
        assert.equal(saved.code, 'CONFIGURATION_ERROR');
        assert.match(saved.message, /lacks version or data/);
      });
    }

    it("TikTokTokenManager.delete() on another app's hash: CONFIGURATION_ERROR, nothing deleted", async () => {
      const h = managerHarness({ store: plainStore() });
      const key = `${prefix}${h.openId}`;
      await redis.hSet(key, { owner: 'another app' });
      const err = await rejectsWith(h.manager.delete(h.openId), 'CONFIGURATION_ERROR');
      assert.equal(err.retryable, false);
      assert.equal(await redis.hGet(key, 'owner'), 'another app');
    });

    it("this store's records are still deleted without a version: also one with a version but no data", async () => {
      const store = plainStore();
      const id = user();
      assert.equal(await store.compareAndSet(id, undefined, makeTokens(id)), true);
      assert.equal(await store.delete(id), true);
      assert.equal(await redis.exists(store.recordKey(id)), 0);
      assert.equal(await store.delete(id), false, 'nothing stored: nothing to do');
      await redis.hSet(store.recordKey(id), { version: 'v1' });
      assert.equal(await store.delete(id), true);
      assert.equal(await redis.exists(store.recordKey(id)), 0);
    });

    it('with an expected version: deletes that version only, as before', async () => {
      const store = plainStore();
      const id = user();
      await store.compareAndSet(id, undefined, makeTokens(id));
      const version = (await store.get(id))?.version;
      assert.equal(await store.delete(id, 'another version'), false);
      assert.equal(await store.delete(id, version), true);
      await redis.hSet(store.recordKey(id), { owner: 'another app' });
      assert.equal(await store.delete(id, 'v1'), false, 'a hash without version is not that one');
      assert.equal(await redis.hGet(store.recordKey(id), 'owner'), 'another app');
    });
  });

  describe('#acquireLock', () => {
    // It used to answer "held" for any existing key: every refresh waited lockWaitMs and failed
    // with a retryable TIMEOUT_ERROR, for good.
    for (const [what, plant] of [
      ['a hash', (key: string) => redis.hSet(key, { owner: 'another app' })],
      ['a list', (key: string) => redis.rPush(key, ['x'])],
    ] as const) {
      it(`a lock key holding ${what}: CONFIGURATION_ERROR naming the lock key, the key kept`, async () => {
        const store = plainStore();
        const id = user();
        const key = store.lockKey(id);
        await plant(key);
        const err = await rejection(store.acquireLock(id, 5000));
        assert.equal(err.code, 'CONFIGURATION_ERROR');
        assert.equal(err.retryable, false);
        assert.equal(err.statusCode, 500);
        assert.ok(err.message.includes(`refresh lock key ${key} holds a `), err.message);
        assert.equal(await redis.exists(key), 1);
        assert.equal(await redis.pTTL(key), -1, 'left as it was');
      });
    }

    it('the type reply of a client mapping strings to Buffers: the same CONFIGURATION_ERROR', async () => {
      const buffers = redis.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
      const store = plainStore(buffers);
      const id = user();
      await redis.hSet(store.lockKey(id), { owner: 'another app' });
      const err = await rejection(store.acquireLock(id, 5000));
      assert.equal(err.code, 'CONFIGURATION_ERROR');
      assert.match(err.message, /holds a hash, not a lock/);
    });

    it('a refresh behind a lock key of another type: CONFIGURATION_ERROR at once, not TIMEOUT_ERROR after lockWaitMs', async () => {
      const store = plainStore();
      const h = managerHarness({ store, lockTtlMs: 1000, lockWaitMs: 3000 });
      await h.seed(EXPIRED);
      await redis.hSet(store.lockKey(h.openId), { owner: 'another app' });
      const started = Date.now();
      const err = await rejectsWith(h.manager.getAccessToken(h.openId), 'CONFIGURATION_ERROR');
      assert.ok(Date.now() - started < 1000, `failed after ${Date.now() - started} ms`);
      assert.equal(err.retryable, false);
      assert.equal(h.client.refreshCalls.length, 0);
      // revoke() still deletes the tokens locally, and rethrows.
      await rejectsWith(h.manager.revoke(h.openId), 'CONFIGURATION_ERROR');
      assert.equal(await store.get(h.openId), undefined);
    });

    it('a lock string without an expiry: held this time, given the lock TTL, then free', async () => {
      const store = plainStore();
      const id = user();
      const key = store.lockKey(id);
      await redis.set(key, 'left by hand');
      assert.equal(await store.acquireLock(id, 300), undefined);
      const ttl = await redis.pTTL(key);
      assert.ok(ttl > 0 && ttl <= 300, `ttl ${ttl}`);
      assert.equal(await redis.get(key), 'left by hand', 'not taken over');
      await sleep(350);
      const token = await store.acquireLock(id, 5000);
      assert.equal(typeof token, 'string');
      assert.equal(await redis.get(key), token);
    });

    it('a refresh behind a lock string without an expiry succeeds once it expired (it used to fail for good)', async () => {
      const store = plainStore();
      const h = managerHarness({ store, lockTtlMs: 300, lockWaitMs: 3000 });
      await h.seed(EXPIRED);
      await redis.set(store.lockKey(h.openId), 'left by a bug');
      const fresh = makeTokens(h.openId);
      h.client.onRefresh = () => Promise.resolve(fresh);
      assert.equal(await h.manager.getAccessToken(h.openId), fresh.access_token);
      assert.equal(h.client.refreshCalls.length, 1);
    });

    it('a lock held by another holder: held, its value and TTL untouched', async () => {
      const store = plainStore();
      const id = user();
      const holder = await store.acquireLock(id, 5000);
      assert.equal(typeof holder, 'string');
      await redis.pExpire(store.lockKey(id), 4000);
      assert.equal(await store.acquireLock(id, 60_000), undefined);
      assert.equal(await redis.get(store.lockKey(id)), holder);
      const ttl = await redis.pTTL(store.lockKey(id));
      assert.ok(ttl > 3000 && ttl <= 4000, `ttl ${ttl}`);
    });

    it('a lock freed between the SET and the script: the script takes it, and extend and release work', async () => {
      const client: RedisClientLike = {
        hmGet: (key, fields) => redis.hmGet(key, fields),
        // As if the key had been taken when the SET ran.
        set: () => Promise.resolve(null),
        eval: (script, options) => redis.eval(script, options),
      };
      const store = plainStore(client);
      const id = user();
      const token = await store.acquireLock(id, 3000);
      assert.equal(typeof token, 'string');
      assert.equal(await redis.get(store.lockKey(id)), token);
      const ttl = await redis.pTTL(store.lockKey(id));
      assert.ok(ttl > 2000 && ttl <= 3000, `ttl ${ttl}`);
      assert.equal(await store.extendLock(id, token ?? '', 8000), true);
      await store.releaseLock(id, token ?? '');
      assert.equal(await redis.exists(store.lockKey(id)), 0);
    });

    it('the SET and the script share one commandTimeoutMs; a script that lands late is taken back', async () => {
      // One connection: commands run in the order sent, the script answering 300 ms late.
      let queue: Promise<unknown> = Promise.resolve();
      const inOrder = <T>(run: () => Promise<T>): Promise<T> => {
        const next = queue.then(run);
        queue = next.catch(() => undefined);
        return next;
      };
      const client: RedisClientLike = {
        hmGet: (key, fields) => redis.hmGet(key, fields),
        set: () => inOrder(() => sleep(60).then(() => null)),
        eval: (script, options) =>
          inOrder(async () => {
            if (script.includes("'TYPE'")) await sleep(300);
            return redis.eval(script, options);
          }),
      };
      const store = new RedisTokenStore({
        client,
        prefix,
        allowPlaintext: true,
        commandTimeoutMs: 100,
      });
      const id = user();
      const started = Date.now();
      await assert.rejects(store.acquireLock(id, 15_000), RedisCommandTimeoutError);
      const ms = Date.now() - started;
      assert.ok(ms < 100 + 150, `failed after ${ms} ms`);
      await queue;
      await sleep(20);
      assert.equal(await redis.exists(store.lockKey(id)), 0, 'the late lock was released');
    });
  });
});
