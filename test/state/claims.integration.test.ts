import assert from 'node:assert/strict';
import { RedisClaimStore } from '../../lib';
import { connectTestRedis, deleteKeys, uniquePrefix, type TestRedis } from '../support/redis';

describe('state/claims', () => {
  describe('RedisClaimStore (SET NX PX)', function () {
    let redis: TestRedis | undefined;
    let prefix: string;
    before(async function () {
      redis = await connectTestRedis(this);
      prefix = uniquePrefix();
    });
    after(async () => {
      if (redis?.isOpen) {
        await deleteKeys(redis, prefix);
        redis.destroy();
      }
    });

    it('one winner across store instances, with the TTL set', async () => {
      const a = new RedisClaimStore({ client: redis!, prefix });
      const b = new RedisClaimStore({ client: redis!, prefix });
      const results = await Promise.all([a.claim('k1', 60_000), b.claim('k1', 60_000)]);
      assert.deepEqual(results.sort(), [false, true]);
      const ttl = await redis!.pTTL(`${prefix}k1`);
      assert.ok(ttl > 59_000 && ttl <= 60_000, `pttl ${ttl}`);
    });

    it('refuses an empty or non-string prefix (claims would land among the app keys)', () => {
      for (const bad of ['', 5 as unknown as string]) {
        assert.throws(
          () => new RedisClaimStore({ client: redis!, prefix: bad }),
          /RedisClaimStore option prefix must be a non-empty string/,
        );
      }
    });

    it('has() tells whether a key is claimed, without claiming it', async () => {
      const store = new RedisClaimStore({ client: redis!, prefix });
      assert.equal(await store.has?.('k3'), false);
      assert.equal(await redis!.exists(`${prefix}k3`), 0, 'has() claimed nothing');
      assert.equal(await store.claim('k3', 60_000), true);
      assert.equal(await store.has?.('k3'), true);
      await store.release('k3');
      assert.equal(await store.has?.('k3'), false);
    });

    it('has() is absent when the client has no exists()', () => {
      const client = { set: () => Promise.resolve('OK'), del: () => Promise.resolve(1) };
      assert.equal(new RedisClaimStore({ client, prefix }).has, undefined);
    });

    it('release gives the key back', async () => {
      const store = new RedisClaimStore({ client: redis!, prefix });
      assert.equal(await store.claim('k2', 60_000), true);
      await store.release('k2');
      assert.equal(await redis!.exists(`${prefix}k2`), 0);
      assert.equal(await store.claim('k2', 60_000), true);
    });
  });
});
