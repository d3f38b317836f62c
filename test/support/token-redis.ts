import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';

export type TestRedisClient = ReturnType<typeof createClient>;

/** Redis for integration tests: `REDIS_URL`, default the local one. */
export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix owned by one test run: `ptt-test-tokens:<random>:`. */
export function tokenTestPrefix(): string {
  return `ptt-test-tokens:${randomBytes(6).toString('hex')}:`;
}

/**
 * Connects to the test Redis. Without one the suite is skipped locally, but under `CI=true` a
 * missing Redis fails the run (a skipped suite must not pass CI silently).
 */
export async function connectTestRedis(ctx: Mocha.Context): Promise<TestRedisClient> {
  const client = createClient({
    url: TEST_REDIS_URL,
    socket: { connectTimeout: 2000, reconnectStrategy: false },
  });
  client.on('error', () => undefined); // surfaced by the failing command instead
  try {
    await client.connect();
    return client;
  } catch (err) {
    if (process.env.CI === 'true') {
      throw new Error(`Redis is required under CI=true but ${TEST_REDIS_URL} is unreachable`, {
        cause: err,
      });
    }
    ctx.skip();
  }
}

/** Deletes every key under `prefix` (the run's own keys only). */
export async function deleteKeys(client: TestRedisClient, prefix: string): Promise<number> {
  let deleted = 0;
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) {
    if (keys.length > 0) deleted += await client.del(keys);
  }
  return deleted;
}
