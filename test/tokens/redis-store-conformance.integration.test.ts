import { RedisTokenStore } from '../../lib/tokens/redis-store';
import { behavesLikeATokenStore } from '../support/token-store-conformance';
import { connectTestRedis, deleteKeys, uniquePrefix, type TestRedis } from '../support/redis';

const KEY = Buffer.alloc(32, 7);

describe('RedisTokenStore', () => {
  describe('conformance', () => {
    let redis: TestRedis;
    const prefix = uniquePrefix();

    before(async function () {
      redis = await connectTestRedis(this);
    });
    after(async () => {
      if (redis === undefined) return;
      await deleteKeys(redis, prefix);
      await redis.close();
    });

    describe('in the clear', () => {
      behavesLikeATokenStore(
        () =>
          new RedisTokenStore({ client: redis, prefix: `${prefix}plain:`, allowPlaintext: true }),
      );
    });

    describe('encrypted', () => {
      behavesLikeATokenStore(
        () => new RedisTokenStore({ client: redis, prefix: `${prefix}enc:`, encryptionKey: KEY }),
      );
    });
  });
});
