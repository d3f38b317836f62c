import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export type TestRedis = ReturnType<typeof createClient>;

/**
 * Connects to the test Redis (REDIS_URL, default 127.0.0.1:6379). Unreachable: the suite is
 * skipped locally, but under `CI=true` it FAILS — CI must never silently skip the Redis suites.
 */
export async function connectTestRedis(ctx: Mocha.Context): Promise<TestRedis> {
  const client = createClient({
    url: REDIS_URL,
    disableOfflineQueue: true,
    socket: { connectTimeout: 2000, reconnectStrategy: false },
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    if (process.env.CI === 'true') {
      throw new Error(`Redis is required under CI=true but ${REDIS_URL} is unreachable`, {
        cause: err,
      });
    }
    ctx.skip();
  }
  return client;
}

/** A key prefix no other run shares: `ptt-test:<random>:`. */
export function uniquePrefix(): string {
  return `ptt-test:${randomBytes(6).toString('hex')}:`;
}

/** Deletes every key under `prefix`; returns how many were deleted. */
export async function deleteKeys(client: TestRedis, prefix: string): Promise<number> {
  let deleted = 0;
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 200 })) {
    if (keys.length > 0) deleted += await client.del(keys);
  }
  return deleted;
}
