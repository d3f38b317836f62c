/**
 * `npm run bench:cluster`: the refresh storm on a local Redis Cluster (3 primaries, 3 replicas),
 * with the primary owning the first user's record SIGKILLed during the storm. Prints users,
 * processes, TikTok refresh calls (must equal users), p50/p99 getAccessToken latency, how long
 * the killed shard was unavailable, and grants lost (must be 0). Exits 1 when a guarantee broke.
 *
 * Options: --users N (200) --processes N (2) --calls N per user per process (4)
 *          --min-replicas N (1) --kill-after-ms N (900) --no-failover --refresh-delay-ms N (1500)
 */
import { parseArgs } from 'node:util';
import { startTikTokEmulator } from '../lib/testing';
import { startRedisCluster } from '../test/support/redis-cluster';
import { runRefreshStorm } from '../test/support/refresh-storm';
import { tokenTestPrefix } from '../test/support/token-redis';

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
    },
  });
  const users = int(values.users, 'users', 200);
  const processes = int(values.processes, 'processes', 2);
  const callsPerUser = int(values.calls, 'calls', 4);
  const minReplicas = int(values['min-replicas'], 'min-replicas', 1);
  const killAfterMs = int(values['kill-after-ms'], 'kill-after-ms', 900);
  const refreshDelayMs = int(values['refresh-delay-ms'], 'refresh-delay-ms', 1500);
  const lockTtlMs = 15_000;
  const deadlineMs = 30_000;

  const cluster = await startRedisCluster({ nodeTimeoutMs: 1000 });
  const tt = await startTikTokEmulator();
  try {
    const report = await runRefreshStorm({
      tt,
      redis: { kind: 'cluster', cluster },
      prefix: tokenTestPrefix(),
      users,
      processes,
      callsPerUser,
      minReplicas,
      lockTtlMs,
      deadlineMs,
      refreshDelayMs,
      ...(values['no-failover'] === true
        ? {}
        : { disruption: { kind: 'kill-primary', afterMs: killAfterMs } as const }),
    });
    const rows: [string, string][] = [
      ['Redis', `Cluster, 3 primaries + 3 replicas, cluster-node-timeout 1000 ms`],
      ['minReplicas', String(minReplicas)],
      ['users (access token expired)', String(report.users)],
      ['processes', String(report.processes)],
      ['getAccessToken calls', `${report.calls} (${callsPerUser} per user per process)`],
      ['TikTok refresh calls', `${report.refreshCalls} (must equal users)`],
      ['latency p50 / p99 / max', `${report.p50Ms} / ${report.p99Ms} / ${report.maxMs} ms`],
      [
        'failover: primary SIGKILLed',
        values['no-failover'] === true
          ? 'none'
          : `at ${killAfterMs} ms, ${report.usersOnKilledPrimary} users' records on it`,
      ],
      [
        'failover window (shard unreadable)',
        report.unavailableMs === undefined ? '-' : `${report.unavailableMs} ms`,
      ],
      ['retried errors', JSON.stringify(report.transient)],
      ['final failures', JSON.stringify(report.failures)],
      ['callers with a wrong token', String(report.usersWithWrongToken)],
      ['grants lost', `${report.grantsLost} (must be 0) ${JSON.stringify(report.lostCodes)}`],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    process.stdout.write(
      `\nrefresh storm on a Redis Cluster\n${rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n')}\n\n`,
    );
    const broken =
      report.grantsLost > 0 ||
      report.refreshCalls !== report.users ||
      report.usersWithWrongToken > 0 ||
      Object.keys(report.failures).length > 0;
    if (broken) process.exitCode = 1;
  } finally {
    await tt.close();
    await cluster.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench:cluster failed: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exitCode = 1;
});
