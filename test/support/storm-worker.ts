/**
 * One app instance of a refresh storm, run as its own Node process:
 * `node --require tsx/cjs test/support/storm-worker.ts` with its config as JSON in STORM_WORKER.
 * Protocol on stdio (as token-worker.ts): prints `ready` once connected to Redis (a single node
 * or a Cluster), waits for `go`, makes `callsPerUser` concurrent getAccessToken calls for every
 * user, each retried on retryable errors as an HTTP client honouring 503/504 would, until
 * `deadlineMs`; prints `result <json>` and exits.
 */
import { createInterface } from 'node:readline';
import { createClient, createCluster } from 'redis';
import { TikTokClient } from '../../lib/client/client';
import { TikTokAPIError } from '../../lib/errors';
import { watchRedisClusterTopology } from '../../lib/redis-cluster';
import { TikTokTokenManager } from '../../lib/tokens/manager';
import { RedisTokenStore, type RedisClientLike } from '../../lib/tokens/redis-store';
import { envJsonReader } from './json';
import { testMetrics } from './token-fixtures';

export interface StormWorkerConfig {
  /** A single Redis (`redis://…`), or the Cluster's `host:port` nodes. */
  redisUrl?: string;
  clusterNodes?: string[];
  prefix: string;
  encryptionKeyHex: string;
  minReplicas: number;
  openIds: string[];
  callsPerUser: number;
  clientKey: string;
  clientSecret: string;
  tokenURL: string;
  revokeURL: string;
  lockTtlMs: number;
  /** Budget of one call including its retries. */
  deadlineMs: number;
  /** Pause before retrying a retryable error. */
  retryDelayMs: number;
}

/** What one worker reports. */
export interface StormWorkerResult {
  /** The access tokens each user's calls got. */
  tokens: Record<string, string[]>;
  /** Final failures (not retried, or out of time): `CODE/status`. */
  failures: string[];
  /** Retryable errors met on the way, by `CODE/status`. */
  transient: Record<string, number>;
  /** How many retryable errors lacked retryable=true with a 503/504 status (must be 0). */
  badTransient: number;
  /** End-to-end duration of every call (with retries), ms. */
  latenciesMs: number[];
  /** Duration of every single getAccessToken attempt, ms: none may outlive its deadline. */
  maxAttemptMs: number;
  /** `tokenRefresh{outcome}` counts. */
  outcomes: Record<string, number>;
}

function parseConfig(text: string | undefined): StormWorkerConfig {
  const { raw, str, num, list } = envJsonReader('STORM_WORKER', text);
  const redisUrl = raw.redisUrl === undefined ? undefined : str('redisUrl');
  const clusterNodes = list('clusterNodes');
  return {
    ...(redisUrl === undefined ? {} : { redisUrl }),
    ...(clusterNodes === undefined ? {} : { clusterNodes }),
    prefix: str('prefix'),
    encryptionKeyHex: str('encryptionKeyHex'),
    minReplicas: num('minReplicas'),
    openIds: list('openIds') ?? [],
    callsPerUser: num('callsPerUser'),
    clientKey: str('clientKey'),
    clientSecret: str('clientSecret'),
    tokenURL: str('tokenURL'),
    revokeURL: str('revokeURL'),
    lockTtlMs: num('lockTtlMs'),
    deadlineMs: num('deadlineMs'),
    retryDelayMs: num('retryDelayMs'),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const reconnectStrategy = (retries: number): number => Math.min(50 * 2 ** retries, 500);

interface Connection {
  client: RedisClientLike;
  close(): Promise<void>;
}

async function connect(config: StormWorkerConfig): Promise<Connection> {
  const onError = (): void => undefined; // counted through the failing commands instead
  if (config.clusterNodes !== undefined) {
    const cluster = createCluster({
      rootNodes: config.clusterNodes.map((n) => ({ url: `redis://${n}` })),
      defaults: { disableOfflineQueue: true, socket: { connectTimeout: 1000, reconnectStrategy } },
    });
    cluster.on('error', onError);
    await cluster.connect();
    const stop = watchRedisClusterTopology(cluster, { intervalMs: 0 });
    return {
      client: cluster,
      close: async () => {
        stop();
        cluster.destroy();
        await Promise.resolve();
      },
    };
  }
  const client = createClient({
    url: config.redisUrl,
    disableOfflineQueue: true,
    socket: { connectTimeout: 1000, reconnectStrategy },
  });
  client.on('error', onError);
  await client.connect();
  return {
    client,
    close: async () => {
      client.destroy();
      await Promise.resolve();
    },
  };
}

async function main(): Promise<void> {
  const config = parseConfig(process.env.STORM_WORKER);
  const redis = await connect(config);
  const { metrics, refreshOutcomes } = testMetrics();
  const manager = new TikTokTokenManager({
    client: new TikTokClient({
      clientKey: config.clientKey,
      clientSecret: config.clientSecret,
      redirectUri: 'http://127.0.0.1:3000/auth/tiktok/callback',
      tokenURL: config.tokenURL,
      revokeURL: config.revokeURL,
      retryBaseDelayMs: 10,
    }),
    store: new RedisTokenStore({
      client: redis.client,
      prefix: config.prefix,
      encryptionKey: config.encryptionKeyHex,
      minReplicas: config.minReplicas,
      replicationTimeoutMs: 500,
    }),
    lockTtlMs: config.lockTtlMs,
    metrics,
  });
  const result: StormWorkerResult = {
    tokens: {},
    failures: [],
    transient: {},
    badTransient: 0,
    latenciesMs: [],
    maxAttemptMs: 0,
    outcomes: {},
  };
  const call = async (openId: string): Promise<void> => {
    const started = Date.now();
    for (;;) {
      const attempt = Date.now();
      try {
        const token = await manager.getAccessToken(openId);
        (result.tokens[openId] ??= []).push(token);
        break;
      } catch (err) {
        const label =
          err instanceof TikTokAPIError ? `${err.code}/${String(err.statusCode)}` : String(err);
        const retryable =
          err instanceof TikTokAPIError &&
          err.retryable &&
          (err.statusCode === 503 || err.statusCode === 504);
        if (err instanceof TikTokAPIError && err.retryable && !retryable) result.badTransient += 1;
        if (!retryable || Date.now() - started + config.retryDelayMs > config.deadlineMs) {
          result.failures.push(label);
          break;
        }
        result.transient[label] = (result.transient[label] ?? 0) + 1;
        await sleep(config.retryDelayMs);
      } finally {
        result.maxAttemptMs = Math.max(result.maxAttemptMs, Date.now() - attempt);
      }
    }
    result.latenciesMs.push(Date.now() - started);
  };
  const lines = createInterface({ input: process.stdin });
  process.stdout.write('ready\n');
  for await (const line of lines) if (line.trim() === 'go') break;
  await Promise.all(
    config.openIds.flatMap((openId) =>
      Array.from({ length: config.callsPerUser }, () => call(openId)),
    ),
  );
  result.outcomes = await refreshOutcomes();
  process.stdout.write(`result ${JSON.stringify(result)}\n`);
  await redis.close();
}

main().catch((err: unknown) => {
  process.stderr.write(
    `storm-worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
