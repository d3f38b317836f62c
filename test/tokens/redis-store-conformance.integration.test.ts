import { RedisTokenStore } from '../../lib/tokens/redis-store';
import { behavesLikeATokenStore } from '../support/token-store-conformance';
import { type TestRedis, useTestRedis } from '../support/redis';

const KEY = Buffer.alloc(32, 7);

describe('RedisTokenStore', () => {
  describe('conformance', () => {
    const testRedis = useTestRedis();
    const prefix = testRedis.prefix;
    let redis: TestRedis;

    before(() => {
      redis = testRedis.redis;
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
