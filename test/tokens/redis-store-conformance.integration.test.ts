import { RedisTokenStore } from '../../lib/tokens/redis-store';
import { behavesLikeATokenStore } from '../support/token-store-conformance';
import {
  connectTestRedis,
  deleteKeys,
  tokenTestPrefix,
  type TestRedisClient,
} from '../support/token-redis';

const KEY = Buffer.alloc(32, 7);

describe('RedisTokenStore (conformance)', () => {
  let redis: TestRedisClient;
  const prefix = tokenTestPrefix();

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
      () => new RedisTokenStore({ client: redis, prefix: `${prefix}plain:`, allowPlaintext: true }),
    );
  });

  describe('encrypted', () => {
    behavesLikeATokenStore(
      () => new RedisTokenStore({ client: redis, prefix: `${prefix}enc:`, encryptionKey: KEY }),
    );
  });
});
