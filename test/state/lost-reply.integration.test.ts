import assert from 'node:assert/strict';
import { RedisClaimStore } from '../../lib';
import { RedisTokenStore } from '../../lib/tokens/redis-store';
import { useTestRedis, type TestRedis } from '../support/redis';

const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7);

/**
 * The client as node-redis gives it, except that `set` runs in Redis and then fails the way a
 * connection dropped before the reply does, or answers as a client mapping simple strings to
 * Buffers would.
 */
function withSet(
  redis: TestRedis,
  set: (real: TestRedis['set'], ...args: unknown[]) => unknown,
): TestRedis {
  return new Proxy(redis, {
    get(target, prop) {
      if (prop === 'set') return (...args: unknown[]) => set(target.set.bind(target), ...args);
      const value: unknown = Reflect.get(target, prop);
      return typeof value === 'function' ? (value.bind(target) as unknown) : value;
    },
  });
}

const lostReply = (redis: TestRedis): TestRedis =>
  withSet(redis, async (real, ...args) => {
    await (real as (...a: unknown[]) => Promise<unknown>)(...args);
    throw new Error('Socket closed unexpectedly');
  });

const bufferReply = (redis: TestRedis): TestRedis =>
  withSet(redis, async (real, ...args) => {
    const reply = await (real as (...a: unknown[]) => Promise<unknown>)(...args);
    return typeof reply === 'string' ? Buffer.from(reply) : reply;
  });

/** Waits for the fire-and-forget take-back to reach Redis. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 100));

describe('redis-timeout', () => {
  describe('a SET whose reply is lost, or comes as a Buffer', function () {
    const test = useTestRedis();

    it('RedisClaimStore: a claim whose reply was lost is taken back, so the retry can claim', async () => {
      const lost = new RedisClaimStore({ client: lostReply(test.redis), prefix: test.prefix });
      await assert.rejects(lost.claim('state-1', 600_000), /Socket closed unexpectedly/);
      await settle();
      const store = new RedisClaimStore({ client: test.redis, prefix: test.prefix });
      assert.equal(await store.claim('state-1', 600_000), true, 'the retry wins');
    });

    it('RedisTokenStore: a lock whose reply was lost is released, so the next refresh is not held up', async () => {
      const lost = new RedisTokenStore({
        client: lostReply(test.redis),
        prefix: test.prefix,
        encryptionKey: TEST_ENCRYPTION_KEY,
      });
      await assert.rejects(lost.acquireLock('user-1', 15_000), /Socket closed unexpectedly/);
      await settle();
      const store = new RedisTokenStore({
        client: test.redis,
        prefix: test.prefix,
        encryptionKey: TEST_ENCRYPTION_KEY,
      });
      assert.equal(typeof (await store.acquireLock('user-1', 15_000)), 'string');
    });

    it('a client answering simple strings as Buffers: claims and locks still work', async () => {
      const claims = new RedisClaimStore({ client: bufferReply(test.redis), prefix: test.prefix });
      assert.equal(await claims.claim('state-2', 60_000), true);
      assert.equal(await claims.claim('state-2', 60_000), false);
      const tokens = new RedisTokenStore({
        client: bufferReply(test.redis),
        prefix: test.prefix,
        encryptionKey: TEST_ENCRYPTION_KEY,
      });
      const lock = await tokens.acquireLock('user-2', 15_000);
      assert.equal(typeof lock, 'string');
      assert.equal(await tokens.acquireLock('user-2', 15_000), undefined);
    });
  });
});
