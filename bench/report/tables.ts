import type { AppRun } from '../measure';
import type { BenchResults, SharedCoreRow, Stack, ThroughputRow } from '../results';
import { median, medianInterval } from '../stats';
import type { Protocol } from '../types';
import { mb, num, percent, ratio, table, topErrors } from './format';
import { appCoreBusy, intervalRatiosToOurs, ratiosToOurs } from './targets';

const OURS = 'passport-tiktok';

function find(
  rows: readonly ThroughputRow[],
  stack: Stack,
  protocol: Protocol,
  c: number,
): ThroughputRow | undefined {
  return rows.find((r) => r.stack === stack && r.protocol === protocol && r.concurrency === c);
}

/** Logins/s, latency, errors, app CPU, connections and peak RSS, with ratios to this package. */
export function throughputTable(r: BenchResults): string {
  const rows = r.throughput.map((row) => {
    const ours = find(r.throughput, OURS, row.protocol, row.concurrency);
    const ceiling = find(r.throughput, 'ceiling', row.protocol, row.concurrency);
    const { load, run } = row;
    const app = (text: (a: AppRun) => string): string => (run === undefined ? '—' : text(run));
    return [
      row.protocol,
      String(row.concurrency),
      row.stack,
      num(load.loginsPerSec),
      ratio(load.loginsPerSec, ours?.load.loginsPerSec),
      app(() => percent(load.loginsPerSec, ceiling?.load.loginsPerSec ?? 0, 0)),
      num(load.p50Ms, 1),
      num(load.p99Ms, 1),
      String(load.failed),
      app((a) => num(a.cpuMsPerLogin, 2)),
      ratio(run?.cpuMsPerLogin, ours?.run?.cpuMsPerLogin),
      app((a) => String(a.connections)),
      app((a) => mb(a.app.peakRssBytes)),
      ratio(run?.app.peakRssBytes, ours?.run?.app.peakRssBytes),
    ];
  });
  return table(
    [
      ...['proto', 'conc', 'stack', 'logins/s', '× ours', 'of ceiling', 'p50 ms', 'p99 ms'],
      ...['errors', 'app CPU ms/login', '× ours', 'upstream conns', 'peak RSS MB', '× ours'],
    ],
    rows,
  );
}

/** The head-to-head rounds: every round's logins/s, the medians, and ratios of the medians. */
export function headToHeadTable(r: BenchResults): string {
  const ours = r.headToHead.find((row) => row.competitor === OURS);
  const rows = r.headToHead.map((row) => [
    row.competitor,
    row.runs.map((run) => num(run.load.loginsPerSec)).join(', '),
    num(row.medianLoginsPerSec),
    ratio(row.medianLoginsPerSec, ours?.medianLoginsPerSec),
    num(row.medianCpuMsPerLogin, 2),
    ratio(row.medianCpuMsPerLogin, ours?.medianCpuMsPerLogin),
    String(row.runs.reduce((n, run) => n + run.load.failed, 0)),
  ]);
  return table(
    [
      'stack',
      'logins/s per round',
      'median logins/s',
      '× ours',
      'median app CPU ms/login',
      '× ours',
      'errors',
    ],
    rows,
  );
}

/** `0.93–0.99`, or `—` when there were too few rounds for an interval. */
export function intervalText(interval: readonly [number, number] | undefined): string {
  return interval === undefined ? '—' : `${num(interval[0], 2)}–${num(interval[1], 2)}`;
}

/**
 * Shared-core rounds: each stack's logins/s in every pair run with this package (ours in the same
 * seconds after the slash), the median of the per-round ratios with their range and the 95 %
 * confidence interval of that median (over the medians of the process pairs when there were
 * several, else over the rounds), and the median CPU per login of each side.
 */
export function sharedCoreTable(rows: readonly SharedCoreRow[]): string {
  const body = rows
    .filter((row) => row.rounds.length > 0)
    .map((row) => {
      const ratios = ratiosToOurs(row);
      const cpu = median(row.rounds.map((x) => x.cpuMsPerLogin));
      const ourCpu = median(row.rounds.map((x) => x.oursCpuMsPerLogin));
      return [
        row.label,
        row.rounds.map((x) => `${num(x.loginsPerSec)}/${num(x.oursLoginsPerSec)}`).join(', '),
        ratios.length === 0 ? '—' : ratio(median(ratios), 1),
        ratios.length === 0 ? '—' : `${num(Math.min(...ratios), 2)}–${num(Math.max(...ratios), 2)}`,
        intervalText(medianInterval(intervalRatiosToOurs(row))),
        String(new Set(row.rounds.map((x) => x.pair ?? 0)).size),
        `${num(cpu, 2)} / ${num(ourCpu, 2)}`,
        ratio(cpu, ourCpu),
        percent(median(row.rounds.map(appCoreBusy)), 1, 0),
        String(row.rounds.reduce((n, x) => n + x.failed, 0)),
      ];
    });
  return table(
    [
      'stack',
      'logins/s per round (stack/ours)',
      '× ours (median of rounds)',
      'range of rounds',
      '95 % interval of the median (over process pairs)',
      'process pairs',
      'median app CPU ms/login (stack / ours)',
      '× ours',
      'app core busy (median)',
      'errors',
    ],
    body,
  );
}

/**
 * What the kernel saw per login in the shared-core rounds (medians of the rounds): user and
 * system CPU, context switches, read/write system calls and upstream connections, each stack
 * against this package in the same runs. Where two apps' CPU per login differs, this says
 * whether it is their own code (user) or the traffic they make the kernel carry (system, calls).
 */
export function perLoginCountersTable(rows: readonly SharedCoreRow[]): string {
  const fields = [
    ['user CPU ms', 'userMs', 3],
    ['system CPU ms', 'systemMs', 3],
    ['voluntary switches', 'voluntarySwitches', 2],
    ['involuntary switches', 'involuntarySwitches', 2],
    ['read calls', 'readCalls', 2],
    ['write calls', 'writeCalls', 2],
    ['upstream connections', 'connections', 3],
    ['minor GC pause ms', 'gcMinorMs', 3],
    ['major GC pause ms', 'gcMajorMs', 3],
    ['minor GCs', 'minorGcs', 4],
    ['major GCs', 'majorGcs', 4],
  ] as const;
  const body = rows.flatMap((row) => {
    const rounds = row.rounds.flatMap((x) => (x.perLogin === undefined ? [] : [x.perLogin]));
    if (rounds.length === 0) return [];
    return fields.flatMap(([label, key, digits]) => {
      // GC figures are absent from the results of an older bench.
      if (rounds.some(([t, o]) => t[key] === undefined || o[key] === undefined)) return [];
      const theirs = median(rounds.map(([t]) => t[key] ?? 0));
      const ours = median(rounds.map(([, o]) => o[key] ?? 0));
      return [
        [row.label, label, `${num(theirs, digits)} / ${num(ours, digits)}`, ratio(theirs, ours)],
      ];
    });
  });
  return body.length === 0
    ? ''
    : table(['stack', 'per login (median of rounds)', 'stack / ours', '× ours'], body);
}

export function memoryTable(r: BenchResults): string {
  const [n, m] = r.plan.memoryLogins;
  const ours = r.memory.find((row) => row.competitor === OURS);
  const rows = r.memory.map(({ competitor, run }) => [
    competitor,
    mb(run.first.rssBytes),
    mb(run.second.rssBytes),
    percent(run.second.rssBytes - run.first.rssBytes, run.first.rssBytes),
    mb(run.first.heapUsedBytes),
    mb(run.second.heapUsedBytes),
    ratio(run.second.rssBytes, ours?.run.second.rssBytes),
    num(run.load.loginsPerSec),
    String(run.load.failed),
  ]);
  return table(
    [
      'stack',
      `RSS @${n} MB`,
      `RSS @${m} MB`,
      'growth',
      `heap @${n} MB`,
      `heap @${m} MB`,
      'RSS × ours',
      'logins/s',
      'errors',
    ],
    rows,
  );
}

export function faultTable(r: BenchResults): string {
  const rows = r.faults.map(({ scenario, competitor, run }) => [
    scenario,
    competitor,
    `${run.load.succeeded}/${run.load.attempted}`,
    percent(run.load.succeeded, run.load.attempted, 2),
    `${num(run.load.slowestRequestMs)} (${run.load.slowestStep || '—'})`,
    String(run.app.uncaughtExceptions),
    topErrors(run.load.errors),
  ]);
  return table(
    [
      'fault',
      'stack',
      'logins ok',
      'success',
      'slowest request ms (step)',
      'uncaught exc.',
      'main failures',
    ],
    rows,
  );
}

/** Competitors that could not complete a login, and what the driver saw. */
export function probeTable(r: BenchResults): string {
  const rows = r.probes.map(({ competitor, protocol, run }) => [
    competitor,
    protocol,
    `${run.load.succeeded}/${run.load.attempted}`,
    topErrors(run.load.errors),
  ]);
  return table(['stack', 'proto', 'logins ok', 'failures'], rows);
}
