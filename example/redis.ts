import type { TikTokLogger } from 'passport-tiktok';
import { createClient } from 'redis';
import type { ExampleRedisClient } from './storage';

/** The URL without its password, for logs and messages. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable REDIS_URL)';
  }
}

/**
 * Connects to `REDIS_URL`, failing at start (within `connectTimeoutMs`) rather than serving 503s
 * when Redis is unreachable or the URL is wrong. Afterwards node-redis reconnects by itself; with
 * `disableOfflineQueue` requests answer 503 meanwhile. Connection changes are logged once each.
 */
export async function connectRedis(
  url: string,
  logger: TikTokLogger,
  connectTimeoutMs = 5000,
): Promise<ExampleRedisClient> {
  const safeUrl = redactRedisUrl(url);
  let up = false;
  let connected = false;
  let firstError: unknown;
  const client: ExampleRedisClient = createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: connectTimeoutMs,
      // Until the first connection, an error ends the attempt (connect() rejects at once);
      // afterwards node-redis keeps reconnecting with a capped backoff.
      reconnectStrategy: (retries: number, cause: Error) =>
        connected ? Math.min(100 * 2 ** retries, 2000) : cause,
    },
  });
  client.on('error', (err: unknown) => {
    firstError ??= err;
    if (!up) return;
    up = false;
    logger.warn('redis connection lost: answering 503 until it is back', {
      redis: safeUrl,
      errorName: err instanceof Error ? err.name : typeof err,
    });
  });
  client.on('ready', () => {
    connected = true;
    if (up) return;
    up = true;
    logger.info('redis connected', { redis: safeUrl });
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no connection within ${connectTimeoutMs} ms`)),
      connectTimeoutMs,
    );
  });
  try {
    await Promise.race([client.connect(), timeout]);
    return client;
  } catch (err) {
    if (client.isOpen) client.destroy();
    const reason = firstError ?? err;
    throw new Error(
      `REDIS_URL is set but connecting to Redis at ${safeUrl} failed: ${reason instanceof Error ? reason.message : String(reason)}`,
      { cause: err },
    );
  } finally {
    clearTimeout(timer);
  }
}
