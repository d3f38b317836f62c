/**
 * A refresh storm across app instances, for the cluster/failover suites and `npm run
 * bench:cluster`: `users` users whose access tokens have expired, `processes` worker processes
 * (storm-worker.ts) each making `callsPerUser` concurrent getAccessToken calls per user, an
 * optional disruption (a primary SIGKILLed, Redis stopped) while it runs, then a check that every
 * grant still works: a forced refresh for every user, at the emulator.
 */
import { createClient, createCluster } from 'redis';
import { TikTokAPIError } from '../../lib/errors';
import { watchRedisClusterTopology } from '../../lib/redis-cluster';
import type { TikTokEmulator } from '../../lib/testing';
import { TikTokTokenManager } from '../../lib/tokens/manager';
import { RedisTokenStore, type RedisClientLike } from '../../lib/tokens/redis-store';
import { CaptureLogger } from './capture-logger';
import type { LocalRedisCluster } from './redis-cluster';
import type { RedisServerProcess } from './redis';
import { StormWorker } from './token-processes';
import { emulatorClient, expiredGrant, sleep } from './token-fixtures';
import type { StormWorkerResult } from './storm-worker';

export const STORM_KEY_HEX = 'cd'.repeat(32);

/** Where the storm's Redis is. */
export type StormRedis =
  { kind: 'cluster'; cluster: LocalRedisCluster } | { kind: 'single'; server: RedisServerProcess };

/** What happens while the storm runs. */
export type Disruption =
  /** SIGKILL the primary of the first user's record; once its replica took over, restart it. */
  | { kind: 'kill-primary'; afterMs: number }
  /** Stop the single Redis for `downMs`, then start it again (same port and data dir). */
  | { kind: 'stop-redis'; afterMs: number; downMs: number; restart: () => Promise<void> };

export interface StormOptions {
  tt: TikTokEmulator;
  redis: StormRedis;
  prefix: string;
  users: number;
  processes: number;
  callsPerUser: number;
  minReplicas: number;
  lockTtlMs: number;
  /** Budget of one caller's request, retries included. */
  deadlineMs: number;
  /** Extra latency of TikTok's refresh answer, so the storm overlaps the disruption. */
  refreshDelayMs?: number;
  disruption?: Disruption;
}

export interface StormReport {
  users: number;
  processes: number;
  calls: number;
  /** Refresh requests TikTok received during the storm (must equal `users`). */
  refreshCalls: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Longest single getAccessToken attempt. */
  maxAttemptMs: number;
  /** Final failures of callers, by `CODE/status`. */
  failures: Record<string, number>;
  /** Retryable errors callers met and retried, by `CODE/status`. */
  transient: Record<string, number>;
  /** Retryable errors that were not a 503/504 (must be 0). */
  badTransient: number;
  /** Users whose callers got more than one token, or not the stored one (must be 0). */
  usersWithWrongToken: number;
  /** Users whose record lived on the killed primary. */
  usersOnKilledPrimary: number;
  /** From the disruption until a client could read the affected users' records again, ms. */
  unavailableMs: number | undefined;
  /** Users whose forced refresh afterwards failed for good: grants lost (must be 0). */
  grantsLost: number;
  /** Codes of those failures. */
  lostCodes: Record<string, number>;
}

interface OrchestratorRedis {
  client: RedisClientLike;
  close(): void;
}

async function connect(redis: StormRedis): Promise<OrchestratorRedis> {
  const reconnectStrategy = (retries: number): number => Math.min(50 * 2 ** retries, 500);
  if (redis.kind === 'cluster') {
    const cluster = createCluster({
      rootNodes: redis.cluster.rootNodes,
      defaults: { disableOfflineQueue: true, socket: { connectTimeout: 1000, reconnectStrategy } },
    });
    cluster.on('error', () => undefined);
    await cluster.connect();
    const stop = watchRedisClusterTopology(cluster, { intervalMs: 0 });
    return {
      client: cluster,
      close: () => {
        stop();
        cluster.destroy();
      },
    };
  }
  const client = createClient({
    url: redis.server.url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 1000, reconnectStrategy },
  });
  client.on('error', () => undefined);
  await client.connect();
  return { client, close: () => client.destroy() };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

function tally(labels: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of labels) out[l] = (out[l] ?? 0) + 1;
  return out;
}

/** Retries retryable failures for up to `forMs`; resolves the last error code, or undefined. */
async function untilDone(fn: () => Promise<unknown>, forMs: number): Promise<string | undefined> {
  const until = Date.now() + forMs;
  for (;;) {
    try {
      await fn();
      return undefined;
    } catch (err) {
      const code = err instanceof TikTokAPIError ? err.code : String(err);
      if (!(err instanceof TikTokAPIError && err.retryable) || Date.now() > until) return code;
      await sleep(100);
    }
  }
}

/** Runs the storm and reports; throws only when the harness itself fails. */
export async function runRefreshStorm(o: StormOptions): Promise<StormReport> {
  const { tt } = o;
  const redis = await connect(o.redis);
  const logger = new CaptureLogger();
  const store = new RedisTokenStore({
    client: redis.client,
    prefix: o.prefix,
    encryptionKey: STORM_KEY_HEX,
    minReplicas: o.minReplicas,
  });
  const manager = new TikTokTokenManager({
    client: emulatorClient(tt),
    store,
    lockTtlMs: o.lockTtlMs,
    logger,
  });
  const workers: StormWorker[] = [];
  try {
    const openIds = Array.from({ length: o.users }, () => tt.addUser().openId);
    for (const openId of openIds) await manager.save(openId, expiredGrant(tt, openId));
    for (let i = 0; i < o.processes; i++) {
      workers.push(
        new StormWorker({
          ...(o.redis.kind === 'cluster'
            ? { clusterNodes: o.redis.cluster.nodes.map((n) => n.address) }
            : { redisUrl: o.redis.server.url }),
          prefix: o.prefix,
          encryptionKeyHex: STORM_KEY_HEX,
          minReplicas: o.minReplicas,
          openIds,
          callsPerUser: o.callsPerUser,
          clientKey: tt.clientKey,
          clientSecret: tt.clientSecret,
          tokenURL: tt.endpoints.tokenURL,
          revokeURL: tt.endpoints.revokeURL,
          lockTtlMs: o.lockTtlMs,
          deadlineMs: o.deadlineMs,
          retryDelayMs: 100,
        }),
      );
    }
    await Promise.all(workers.map((w) => w.ready(20_000)));
    const refreshesBefore = tt.count('token', { grantType: 'refresh_token' });
    if (o.refreshDelayMs !== undefined) {
      tt.inject('token', {
        delayMs: o.refreshDelayMs,
        match: (r) => r.grantType === 'refresh_token',
        times: o.users * 2,
      });
    }
    const probeId = openIds[0] ?? '';
    // Who owns what is worked out before the storm, so that the kill comes at `afterMs` sharp.
    let victim = '';
    let victimSlot = 0;
    let usersOnKilledPrimary = 0;
    if (o.disruption?.kind === 'kill-primary' && o.redis.kind === 'cluster') {
      const slots = await o.redis.cluster.keySlots(openIds.map((id) => store.recordKey(id)));
      const owners = await o.redis.cluster.primariesOf(slots);
      victimSlot = slots[0] ?? 0;
      victim = owners[0] ?? '';
      usersOnKilledPrimary = owners.filter((a) => a === victim).length;
    }
    let disrupted: Promise<number | undefined> = Promise.resolve(undefined);
    for (const w of workers) w.go();
    if (o.disruption !== undefined) {
      const d = o.disruption;
      disrupted = (async () => {
        await sleep(d.afterMs);
        if (d.kind === 'kill-primary' && o.redis.kind === 'cluster') {
          const cluster = o.redis.cluster;
          const killedAt = Date.now();
          await cluster.kill(victim);
          const promoted = async (): Promise<boolean> =>
            (await cluster.primaryOf(victimSlot).catch(() => victim)) !== victim;
          const back = await probe(store, probeId, killedAt, promoted);
          // The old primary comes back as a replica of the promoted one: minReplicas writes on
          // that shard can be acknowledged again.
          await cluster.restart(victim);
          return back;
        }
        if (d.kind === 'stop-redis' && o.redis.kind === 'single') {
          const stoppedAt = Date.now();
          await o.redis.server.stop();
          await sleep(d.downMs);
          await d.restart();
          return probe(store, probeId, stoppedAt, () => Promise.resolve(true));
        }
        throw new Error(`disruption ${d.kind} does not fit Redis ${o.redis.kind}`);
      })();
    }
    const results: StormWorkerResult[] = await Promise.all(
      workers.map((w) => w.result(o.deadlineMs + 30_000)),
    );
    const unavailableMs = await disrupted;
    const refreshCalls = tt.count('token', { grantType: 'refresh_token' }) - refreshesBefore;
    if (o.redis.kind === 'cluster') await o.redis.cluster.waitHealthy(20_000);

    let usersWithWrongToken = 0;
    for (const openId of openIds) {
      const got = new Set(results.flatMap((r) => r.tokens[openId] ?? []));
      const stored = await untilDone(() => store.get(openId), 10_000).then(() => store.get(openId));
      if (got.size !== 1 || !got.has(stored?.tokens.access_token ?? '')) usersWithWrongToken++;
    }
    // Every grant must still work: a forced refresh reaches TikTok with the stored refresh token.
    const lost: string[] = [];
    for (let i = 0; i < openIds.length; i += 20) {
      const batch = openIds.slice(i, i + 20);
      const codes = await Promise.all(
        batch.map((id) => untilDone(() => manager.refresh(id), 15_000)),
      );
      for (const c of codes) if (c !== undefined) lost.push(c);
    }
    const latencies = results.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
    const transient: Record<string, number> = {};
    for (const r of results)
      for (const [k, v] of Object.entries(r.transient)) transient[k] = (transient[k] ?? 0) + v;
    return {
      users: o.users,
      processes: o.processes,
      calls: latencies.length,
      refreshCalls,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies.at(-1) ?? 0,
      maxAttemptMs: Math.max(0, ...results.map((r) => r.maxAttemptMs)),
      failures: tally(results.flatMap((r) => r.failures)),
      transient,
      badTransient: results.reduce((n, r) => n + r.badTransient, 0),
      usersWithWrongToken,
      usersOnKilledPrimary,
      unavailableMs,
      grantsLost: lost.length,
      lostCodes: tally(lost),
    };
  } finally {
    await Promise.all(workers.map((w) => w.kill()));
    redis.close();
  }
}

/** Once `ready()`, polls the record of `openId` until a read succeeds; the ms since `since`. */
async function probe(
  store: RedisTokenStore,
  openId: string,
  since: number,
  ready: () => Promise<boolean>,
): Promise<number> {
  while (!(await ready())) await sleep(20);
  for (;;) {
    try {
      await store.get(openId);
      return Date.now() - since;
    } catch {
      await sleep(20);
    }
  }
}
