/**
 * `npm run bench:cluster`: the refresh storm on a local Redis Cluster (3 primaries, 3 replicas),
 * with the primary owning the first user's record SIGKILLed during the storm. Prints users,
 * processes, TikTok refresh calls (must equal users), p50/p99 getAccessToken latency, how long
 * the killed shard was unavailable, and grants lost (must be 0). Exits 1 when a guarantee broke.
 *
 * Options: --users N (200) --processes N (2) --calls N per user per process (4)
 *          --min-replicas N (1) --kill-after-ms N (900) --no-failover --refresh-delay-ms N (1500)
 *          --single-stop-ms N: instead, a single Redis (a redis-server of its own, with an
 *          append-only file) stopped for N ms during the storm, then started again
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startTikTokEmulator } from '../lib/testing';
import { startRedisCluster } from '../test/support/redis-cluster';
import { freePort, startRedisServer } from '../test/support/redis';
import {
  runRefreshStorm,
  type Disruption,
  type StormRedis,
  type StormReport,
} from '../test/support/refresh-storm';
import { uniquePrefix } from '../test/support/redis';

function int(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new TypeError(`--${name} must be a whole number`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      users: { type: 'string' },
      processes: { type: 'string' },
      calls: { type: 'string' },
      'min-replicas': { type: 'string' },
      'kill-after-ms': { type: 'string' },
      'refresh-delay-ms': { type: 'string' },
      'no-failover': { type: 'boolean' },
      'single-stop-ms': { type: 'string' },
    },
  });
  const singleStopMs =
    values['single-stop-ms'] === undefined
      ? undefined
      : int(values['single-stop-ms'], 'single-stop-ms', 0);
  const users = int(values.users, 'users', 200);
  const processes = int(values.processes, 'processes', 2);
  const callsPerUser = int(values.calls, 'calls', 4);
  const minReplicas = int(values['min-replicas'], 'min-replicas', 1);
  const killAfterMs = int(values['kill-after-ms'], 'kill-after-ms', 900);
  const refreshDelayMs = int(values['refresh-delay-ms'], 'refresh-delay-ms', 1500);
  const lockTtlMs = 15_000;
  const deadlineMs = 30_000;

  const tt = await startTikTokEmulator();
  const cleanups: (() => Promise<void>)[] = [() => tt.close()];
  try {
    let redis: StormRedis;
    let disruption: Disruption | undefined;
    if (singleStopMs === undefined) {
      const cluster = await startRedisCluster({ nodeTimeoutMs: 1000 });
      cleanups.push(() => cluster.stop());
      redis = { kind: 'cluster', cluster };
      disruption =
        values['no-failover'] === true ? undefined : { kind: 'kill-primary', afterMs: killAfterMs };
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'ptt-bench-redis-'));
      const port = await freePort();
      const single = { kind: 'single' as const, server: await startRedisServer(port, { dir }) };
      cleanups.push(async () => {
        await single.server.stop();
        rmSync(dir, { recursive: true, force: true });
      });
      redis = single;
      disruption = {
        kind: 'stop-redis',
        afterMs: killAfterMs,
        downMs: singleStopMs,
        restart: async () => {
          single.server = await startRedisServer(port, { dir });
        },
      };
    }
    const report: StormReport = await runRefreshStorm({
      tt,
      redis,
      prefix: uniquePrefix(),
      users,
      processes,
      callsPerUser,
      minReplicas: singleStopMs === undefined ? minReplicas : 0,
      lockTtlMs,
      deadlineMs,
      refreshDelayMs,
      ...(disruption === undefined ? {} : { disruption }),
    });
    const what =
      disruption === undefined
        ? 'none'
        : disruption.kind === 'kill-primary'
          ? `primary SIGKILLed at ${killAfterMs} ms, ${report.usersOnKilledPrimary} users' records on it`
          : `Redis stopped at ${killAfterMs} ms for ${disruption.downMs} ms`;
    const rows: [string, string][] = [
      [
        'Redis',
        singleStopMs === undefined
          ? 'Cluster, 3 primaries + 3 replicas, cluster-node-timeout 1000 ms'
          : 'single node (own redis-server, append-only file)',
      ],
      ['minReplicas', String(singleStopMs === undefined ? minReplicas : 0)],
      ['users (access token expired)', String(report.users)],
      ['processes', String(report.processes)],
      ['getAccessToken calls', `${report.calls} (${callsPerUser} per user per process)`],
      ['TikTok refresh calls', `${report.refreshCalls} (must equal users)`],
      ['latency p50 / p99 / max', `${report.p50Ms} / ${report.p99Ms} / ${report.maxMs} ms`],
      ['disruption', what],
      [
        'failover window (records unreadable)',
        report.unavailableMs === undefined ? '-' : `${report.unavailableMs} ms`,
      ],
      ['retried errors', JSON.stringify(report.transient)],
      ['final failures', JSON.stringify(report.failures)],
      ['callers with a wrong token', String(report.usersWithWrongToken)],
      ['grants lost', `${report.grantsLost} (must be 0) ${JSON.stringify(report.lostCodes)}`],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    process.stdout.write(
      `\nrefresh storm\n${rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n')}\n\n`,
    );
    const broken =
      report.grantsLost > 0 ||
      report.refreshCalls !== report.users ||
      report.usersWithWrongToken > 0 ||
      Object.keys(report.failures).length > 0;
    if (broken) process.exitCode = 1;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench:cluster failed: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exitCode = 1;
});
