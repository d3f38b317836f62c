import { watchRedisClusterTopology, type TikTokLogger } from 'passport-tiktok';
import { createClient, createCluster } from 'redis';
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
 * How long a Redis connection may stay silent before it is dropped (and reconnected). NOTE:
 * node-redis restarts this idle timer with every command it writes, so it notices a Redis that
 * hangs only once the app's traffic pauses; until then the stores' `commandTimeoutMs` and the
 * session guard's `timeoutMs` bound each request. Once dropped, calls fail at once until the
 * reconnect. node-redis's own default reconnect strategy gives up for good after a socket
 * timeout, so every client here has its own.
 */
export const REDIS_SOCKET_TIMEOUT_MS = 3000;
/** A PING this often keeps an idle connection from hitting {@link REDIS_SOCKET_TIMEOUT_MS}. */
export const REDIS_PING_INTERVAL_MS = 1000;

/**
 * Connects to `REDIS_URL`, failing at start (within `connectTimeoutMs`) rather than serving 503s
 * when Redis is unreachable or the URL is wrong. Afterwards node-redis reconnects by itself; with
 * `disableOfflineQueue` requests answer 503 meanwhile, and an idle connection to a Redis that
 * stopped answering is dropped after {@link REDIS_SOCKET_TIMEOUT_MS}. Connection changes are
 * logged once each.
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
    pingInterval: REDIS_PING_INTERVAL_MS,
    socket: {
      connectTimeout: connectTimeoutMs,
      socketTimeout: REDIS_SOCKET_TIMEOUT_MS,
      // Until the first connection, an error ends the attempt (connect() rejects at once);
      // afterwards node-redis keeps reconnecting with a capped backoff, also after a timeout.
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
      ...redisErrorMeta(err),
    });
  });
  client.on('ready', () => {
    connected = true;
    if (up) return;
    up = true;
    logger.info('redis connected', { redis: safeUrl });
  });
  try {
    await connectWithin(client.connect(), connectTimeoutMs);
    return client;
  } catch (err) {
    if (client.isOpen) client.destroy();
    const reason = firstError ?? err;
    throw new Error(
      `REDIS_URL is set but connecting to Redis at ${safeUrl} failed: ${reason instanceof Error ? reason.message : String(reason)}`,
      { cause: err },
    );
  }
}

/**
 * What a node-redis connection error says, for the log: its name, its errno code
 * (`ECONNREFUSED`) and its message ("Socket timeout …"), which name the host and port but never
 * the URL's password. node-redis's errors are mostly plain `Error`s: the name alone says little.
 */
function redisErrorMeta(err: unknown): Record<string, string> {
  if (!(err instanceof Error)) return { errorName: typeof err };
  const code: unknown = Reflect.get(err, 'code');
  return {
    errorName: err.name,
    ...(typeof code === 'string' ? { errorCode: code } : {}),
    reason: err.message.slice(0, 200),
  };
}

/** `connecting`, or a rejection after `ms`: node-redis retries a first connection forever. */
async function connectWithin(connecting: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no connection within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([connecting, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A connected Redis Cluster client and how to let it go. */
export interface ExampleRedisCluster {
  readonly client: ReturnType<typeof createCluster>;
  /** Stops the topology watch and closes every node connection. */
  destroy(): void;
}

/**
 * Connects to the Redis Cluster reached through `urls` (`REDIS_CLUSTER_NODES`), failing at
 * start within `connectTimeoutMs` when none answers. Commands fail at once while a shard is
 * unreachable (→ 503), and the cluster topology is re-read whenever a node connection fails, so
 * that after a failover the promoted replica is found (watchRedisClusterTopology).
 */
export async function connectRedisCluster(
  urls: readonly string[],
  logger: TikTokLogger,
  connectTimeoutMs = 5000,
): Promise<ExampleRedisCluster> {
  const safe = urls.map(redactRedisUrl).join(',');
  const client = createCluster({
    rootNodes: urls.map((url) => ({ url })),
    defaults: {
      disableOfflineQueue: true,
      pingInterval: REDIS_PING_INTERVAL_MS,
      socket: {
        connectTimeout: connectTimeoutMs,
        socketTimeout: REDIS_SOCKET_TIMEOUT_MS,
        reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000),
      },
    },
  });
  let warned = false;
  client.on('error', (err: unknown) => {
    if (warned) return;
    warned = true;
    logger.warn('redis cluster error: answering 503 for the shards it concerns', {
      redis: safe,
      ...redisErrorMeta(err),
    });
  });
  client.on('node-ready', () => (warned = false));
  try {
    await connectWithin(client.connect(), connectTimeoutMs);
  } catch (err) {
    client.destroy();
    throw new Error(
      `REDIS_CLUSTER_NODES is set but connecting to the Redis Cluster at ${safe} failed: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  const stopWatching = watchRedisClusterTopology(client);
  logger.info('redis cluster connected', { redis: safe, primaries: client.masters.length });
  return {
    client,
    destroy: () => {
      stopWatching();
      client.destroy();
    },
  };
}
