import assert from 'node:assert/strict';
import { cpuLayout } from '../../bench/affinity';
import type { AppRun } from '../../bench/measure';
import { planFrom } from '../../bench/plan';
import { perLoginCountersTable, sharedCoreTable } from '../../bench/report/tables';
import { perLoginCounters } from '../../bench/measure';
import {
  appCoreBusy,
  cpuContext,
  evaluateTargets,
  floorTable,
  ratiosToOurs,
} from '../../bench/report/targets';
import type {
  BenchResults,
  HeadToHeadRow,
  PerLoginCounters,
  SharedCoreRow,
  ThroughputRow,
} from '../../bench/results';
import { median, medianInterval } from '../../bench/stats';
import {
  ZERO_COUNTERS,
  type AppStats,
  type CompetitorId,
  type LoadResult,
} from '../../bench/types';

function load(loginsPerSec: number): LoadResult {
  return {
    attempted: 100,
    succeeded: 100,
    failed: 0,
    elapsedMs: 1000,
    loginsPerSec,
    p50Ms: 1,
    p99Ms: 2,
    slowestRequestMs: 3,
    slowestStep: 'callback',
    errors: {},
  };
}

function run(loginsPerSec: number): AppRun {
  return {
    load: load(loginsPerSec),
    app: {
      rssBytes: 1,
      heapUsedBytes: 1,
      heapTotalBytes: 1,
      externalBytes: 1,
      peakRssBytes: 1,
      cpuMicros: 1,
      outboundConnections: 0,
      counters: ZERO_COUNTERS,
      uncaughtExceptions: 0,
    },
    cpuMsPerLogin: 1,
    connections: 0,
  };
}

function rounds(competitor: CompetitorId, rates: number[]): HeadToHeadRow {
  return {
    competitor,
    runs: rates.map(run),
    medianLoginsPerSec: median(rates),
    medianCpuMsPerLogin: 1,
  };
}

function sweepPoint(stack: ThroughputRow['stack'], rate: number): ThroughputRow {
  return { stack, protocol: 'https', concurrency: 64, load: load(rate) };
}

/** A stack's shared-core rounds: its logins/s and ours in the same runs. */
function shared(label: CompetitorId, rates: number[], ours: number[]): SharedCoreRow {
  return {
    label,
    competitor: label,
    rounds: rates.map((loginsPerSec, i) => ({
      loginsPerSec,
      cpuMsPerLogin: 1000 / loginsPerSec,
      failed: 0,
      oursLoginsPerSec: ours[i] ?? 0,
      oursCpuMsPerLogin: 1000 / (ours[i] ?? 1),
    })),
  };
}

function results(
  headToHead: HeadToHeadRow[],
  throughput: ThroughputRow[],
  sharedCore: SharedCoreRow[] = [],
): BenchResults {
  return {
    startedAt: '2026-11-28T00:00:00.000Z',
    durationSec: 1,
    command: 'npm run bench',
    machine: { nproc: 2, cpu: 'test', node: 'v20', platform: 'linux x64' },
    cpuLayout: 'not pinned (test)',
    plan: planFrom([], {}),
    probes: [],
    throughput,
    headToHead,
    sharedCore,
    memory: [],
    faults: [],
  };
}

describe('bench: report', () => {
  it('median: odd, even and empty', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([]), 0);
  });

  it('medianInterval: the binomial order statistics of the median, none for too few values', () => {
    const ascending = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
    // Shuffled input: the interval comes from the sorted values.
    assert.deepEqual(medianInterval([...ascending(20)].reverse()), [6, 15]);
    assert.deepEqual(medianInterval(ascending(40)), [14, 27]);
    // n = 6: P(all on one side) = 2/64 ≤ 5 %, so the extremes; n = 5: 2/32 > 5 %, no interval.
    assert.deepEqual(medianInterval(ascending(6)), [1, 6]);
    assert.equal(medianInterval(ascending(5)), undefined);
    assert.equal(medianInterval([]), undefined);
    // Large counts do not underflow: about n/2 ± 1.96·√n/2.
    assert.deepEqual(medianInterval(ascending(2000)), [956, 1045]);
    assert.throws(() => medianInterval(ascending(20), 1), RangeError);
    // A wider confidence needs more values.
    assert.deepEqual(medianInterval(ascending(20), 0.99), [4, 17]);
  });

  it('the oauth2 target prints the interval of the median when the rounds allow one', () => {
    const oursRates = [100, 100, 100, 100, 100, 100, 100, 100];
    // theirs ÷ ours 0.9…1.25: ours ÷ theirs 1.11, 1.05, 1, 0.95, 0.91, 0.87, 0.83, 0.8
    const theirRates = [90, 95, 100, 105, 110, 115, 120, 125];
    const r = results(
      [],
      [sweepPoint('ceiling', 1000)],
      [shared('passport-tiktok', [], []), shared('passport-oauth2', theirRates, oursRates)],
    );
    const target = evaluateTargets(r).find((t) => t.target.includes('passport-oauth2'));
    // Median (0.95 + 0.91) / 2 = 0.93; n = 8 at 95 %: the 1st and the 8th.
    // The helper's rounds cost 1000 / rate ms per login each, so both apps fill a second each.
    assert.equal(
      target?.measured,
      '0.93× (95 % interval 0.80–1.11; CPU per login 0.93×, app core 200 % busy)',
    );
    assert.equal(target?.pass, false);
  });

  it('throughput targets compare the head-to-head medians, not the sweep point', () => {
    const r = results(
      [rounds('passport-tiktok', [90, 200, 100]), rounds('passport-oauth2', [100, 100, 300])],
      [sweepPoint('passport-tiktok', 10), sweepPoint('passport-oauth2', 1000)],
    );
    const target = evaluateTargets(r).find((t) => t.target.includes('passport-oauth2'));
    assert.equal(target?.measured, '1.00×');
    assert.equal(target?.pass, true);
  });

  it("throughput targets use the median of the shared-core rounds' ratios when there are some", () => {
    // Rounds where the machine was slow for both stacks still compare them fairly.
    const r = results(
      [rounds('passport-tiktok', [300]), rounds('passport-oauth2', [100])],
      [sweepPoint('ceiling', 1000)],
      [
        shared('passport-tiktok', [], []),
        shared('passport-oauth2', [100, 100, 200, 50], [50, 90, 190, 60]),
      ],
    );
    const targets = evaluateTargets(r);
    const oauth2 = targets.find((t) => t.target.includes('passport-oauth2'));
    // ours ÷ theirs per run: 0.5, 0.9, 0.95, 1.2 → median 0.925; too few rounds for an interval.
    // CPU per login: theirs 10, 10, 5, 20 (median 10), ours 20, 11.1, 5.3, 16.7 (median 13.9).
    assert.equal(oauth2?.measured, '0.93× (CPU per login 0.72×, app core 200 % busy)');
    assert.equal(oauth2?.pass, false);
    // The ceiling has no app: ours alone on its core (the head-to-head median) against it.
    const ceiling = targets.find((t) => t.target.includes('ceiling'));
    assert.equal(ceiling?.measured, '0.30×');
  });

  it('ratios to ours skip runs where ours completed nothing; two stacks compare through ours', () => {
    assert.deepEqual(
      ratiosToOurs(shared('passport-oauth2', [100, 100, 100], [50, 0, 200])),
      [2, 0.5],
    );
    assert.deepEqual(ratiosToOurs(undefined), []);
    const sharedCore = [
      shared('passport-oauth2', [110, 110, 110], [100, 100, 100]),
      shared('floor', [121, 121, 121], [100, 100, 100]),
    ];
    assert.deepEqual(
      floorTable(results([rounds('floor', [121])], [sweepPoint('ceiling', 1000)], sharedCore)),
      [
        ['floor ÷ hand-wired passport-oauth2', '1.10×', '≥ 1.0×'],
        ['floor ÷ ceiling', '0.12×', '≥ 0.70×'],
        ['passport-tiktok ÷ floor', '0.83×', '—'],
      ],
    );
  });

  it('appCoreBusy and the oauth2 target: CPU per login of the same rounds, and how busy the core was', () => {
    // Six rounds: theirs 200 logins/s at 2.3 ms each, ours 190 at 2.5 ms: 46 % + 47.5 % of the core.
    const round = {
      loginsPerSec: 200,
      cpuMsPerLogin: 2.3,
      failed: 0,
      oursLoginsPerSec: 190,
      oursCpuMsPerLogin: 2.5,
    };
    assert.ok(Math.abs(appCoreBusy(round) - 0.935) < 1e-9);
    const rows: SharedCoreRow[] = [
      shared('passport-tiktok', [], []),
      { label: 'passport-oauth2', competitor: 'passport-oauth2', rounds: Array(6).fill(round) },
    ];
    const r = results([], [sweepPoint('ceiling', 1000)], rows);
    const target = evaluateTargets(r).find((t) => t.target.includes('passport-oauth2'));
    // 190 / 200 = 0.95; their CPU per login ÷ ours = 2.3 / 2.5 = 0.92 (above 1 would be cheaper).
    assert.equal(
      target?.measured,
      '0.95× (95 % interval 0.95–0.95; CPU per login 0.92×, app core 94 % busy)',
    );
    assert.equal(cpuContext(r, 'passport-tiktok-auth'), undefined, 'no rounds, no context');
    assert.match(sharedCoreTable(rows).split('\n')[2] ?? '', /\| 0\.92× +\| 94 % +\| 0 +\|$/);
  });

  it('the shared-core table: per-run rates with ours, median ratio and its range', () => {
    const text = sharedCoreTable([
      shared('passport-tiktok', [], []),
      shared('passport-oauth2', [110, 90, 120], [100, 100, 100]),
    ]);
    const lines = text.split('\n');
    assert.equal(lines.length, 3, 'header, rule and one row: ours has no rounds of its own');
    assert.match(
      lines[2] ?? '',
      /\| passport-oauth2 \| 110\/100, 90\/100, 120\/100 +\| 1\.10× +\| 0\.90–1\.20 +\| — +\|/,
    );
  });

  it('the shared-core table gives the 95 % interval of the median from 6 rounds on', () => {
    const text = sharedCoreTable([
      shared('passport-tiktok', [], []),
      shared('passport-oauth2', [90, 95, 100, 105, 110, 120], [100, 100, 100, 100, 100, 100]),
    ]);
    // Ratios 0.9…1.2, median 1.025 (printed 1.02× or 1.03× by rounding), n = 6: the extremes.
    assert.match(text.split('\n')[2] ?? '', /\| 0\.90–1\.20 +\| 0\.90–1\.20 +\|/);
  });

  it('plan: shared-core rounds spread over 6 fresh process pairs (1 with --quick, --profile or --alloc)', () => {
    assert.equal(planFrom([], {}).sharedPairs, 6);
    assert.equal(planFrom(['--quick'], {}).sharedPairs, 1);
    assert.equal(planFrom([], { BENCH_SHARED_PAIRS: '3' }).sharedPairs, 3);
    assert.equal(planFrom(['--ab', 'passport-oauth2', '--profile'], {}).sharedPairs, 1);
    assert.equal(planFrom(['--ab', 'passport-oauth2', '--alloc'], {}).sharedPairs, 1);
  });

  it('the shared-core interval is taken over the process pairs when there were several', () => {
    // Six pairs of two rounds: each pair's rounds agree, the pairs differ (0.95…1.05).
    const pairMedians = [0.95, 0.97, 0.99, 1.01, 1.03, 1.05];
    const row: SharedCoreRow = {
      label: 'passport-oauth2',
      competitor: 'passport-oauth2',
      rounds: pairMedians.flatMap((ratio, pair) =>
        [ratio - 0.001, ratio + 0.001].map((r) => ({
          loginsPerSec: 100 * r,
          cpuMsPerLogin: 1,
          failed: 0,
          oursLoginsPerSec: 100,
          oursCpuMsPerLogin: 1,
          pair,
        })),
      ),
    };
    const line = sharedCoreTable([shared('passport-tiktok', [], []), row]).split('\n')[2] ?? '';
    // Over the 12 rounds alone it would be 0.97–1.03 (the 3rd and 10th); over 6 pairs, the extremes.
    assert.match(line, /\| 0\.95–1\.05 +\| 6 +\|/);
    // One pair: over its rounds, as before.
    const one: SharedCoreRow = { ...row, rounds: row.rounds.map((x) => ({ ...x, pair: 0 })) };
    assert.match(sharedCoreTable([one]).split('\n')[2] ?? '', /\| 0\.97–1\.03 +\| 1 +\|/);
  });

  it('falls back on the sweep point without rounds, and fails a ratio under the target', () => {
    const r = results([], [sweepPoint('passport-tiktok', 90), sweepPoint('passport-oauth2', 100)]);
    const target = evaluateTargets(r).find((t) => t.target.includes('passport-oauth2'));
    assert.equal(target?.measured, '0.90×');
    assert.equal(target?.pass, false);
  });

  it('the floor table: the floor against each stack and the ceiling, and ours against the floor', () => {
    const r = results(
      [
        rounds('passport-tiktok', [90]),
        rounds('passport-tiktok-auth-fields', [100]),
        rounds('passport-oauth2', [100]),
        rounds('floor', [105]),
      ],
      [sweepPoint('ceiling', 500)],
    );
    assert.deepEqual(floorTable(r), [
      ['floor ÷ passport-tiktok-auth-fields', '1.05×', '≥ 1.3×'],
      ['floor ÷ hand-wired passport-oauth2', '1.05×', '≥ 1.0×'],
      ['floor ÷ ceiling', '0.21×', '≥ 0.70×'],
      ['passport-tiktok ÷ floor', '0.86×', '—'],
    ]);
    assert.deepEqual(floorTable(results([], [])), []);
  });

  it('plan: shared-core rounds default to 18 (3 with --quick); --ab takes a directory', () => {
    assert.equal(planFrom([], {}).sharedRounds, 18);
    assert.equal(planFrom(['--quick'], {}).sharedRounds, 3);
    assert.equal(planFrom([], { BENCH_SHARED_ROUNDS: '5' }).sharedRounds, 5);
    assert.equal(planFrom(['--ab', '../base/dist'], {}).ab, '../base/dist');
    assert.equal(planFrom([], {}).ab, undefined);
    assert.throws(() => planFrom(['--ab'], {}), /--ab needs the directory/);
    assert.throws(() => planFrom(['--ab', '--quick'], {}), /--ab needs the directory/);
  });

  it('plan: warm-up of 3000 logins or 8 s (300 or 2 s with --quick); BENCH_WARMUP_LOGINS wins', () => {
    assert.deepEqual([planFrom([], {}).warmupLogins, planFrom([], {}).warmupSeconds], [3000, 8]);
    const quick = planFrom(['--quick'], {});
    assert.deepEqual([quick.warmupLogins, quick.warmupSeconds], [300, 2]);
    assert.equal(planFrom([], { BENCH_WARMUP_LOGINS: '200' }).warmupLogins, 200);
  });

  it('plan: rounds default to 9 (2 with --quick), BENCH_ROUNDS wins; --head-to-head', () => {
    assert.equal(planFrom([], {}).rounds, 9);
    assert.equal(planFrom(['--quick'], {}).rounds, 2);
    assert.equal(planFrom([], { BENCH_ROUNDS: '3' }).rounds, 3);
    assert.equal(planFrom(['--head-to-head'], {}).headToHeadOnly, true);
    assert.throws(() => planFrom([], { BENCH_ROUNDS: '0' }), /BENCH_ROUNDS/);
  });

  it('per-login counters: deltas between two readings over the logins, and their medians against ours', () => {
    const at = (k: number): AppStats => ({
      ...run(1).app,
      outboundConnections: 2 * k,
      counters: {
        userMicros: 1500 * k,
        systemMicros: 300 * k,
        voluntarySwitches: 4 * k,
        involuntarySwitches: k,
        readCalls: 10 * k,
        writeCalls: 12 * k,
        gcMinorMicros: 250 * k,
        gcMajorMicros: 40 * k,
        minorGcs: k / 50,
        majorGcs: k / 1000,
      },
    });
    const theirs = perLoginCounters(at(1), at(11), 10);
    assert.deepEqual(theirs, {
      userMs: 1.5,
      systemMs: 0.3,
      voluntarySwitches: 4,
      involuntarySwitches: 1,
      readCalls: 10,
      writeCalls: 12,
      connections: 2,
      gcMinorMs: 0.25,
      gcMajorMs: 0.04,
      minorGcs: 0.02,
      majorGcs: 0.001,
    });
    const ours = perLoginCounters(at(1), at(21), 10);
    const round = {
      loginsPerSec: 1,
      cpuMsPerLogin: 1,
      failed: 0,
      oursLoginsPerSec: 1,
      oursCpuMsPerLogin: 1,
    };
    const text = perLoginCountersTable([
      {
        label: 'passport-oauth2',
        competitor: 'passport-oauth2',
        rounds: [{ ...round, perLogin: [theirs, ours] }],
      },
    ]);
    assert.match(text, /\| passport-oauth2 \| user CPU ms +\| 1\.500 \/ 3\.000 +\| 0\.50× +\|/);
    assert.match(text, /\| write calls +\| 12\.00 \/ 24\.00 +\| 0\.50× +\|/);
    assert.match(text, /\| minor GC pause ms +\| 0\.250 \/ 0\.500 +\| 0\.50× +\|/);
    assert.match(text, /\| major GCs +\| 0\.0010 \/ 0\.0020 \| 0\.50× +\|/);
    // Rounds of an older bench (no GC figures) still give the kernel's rows.
    const older = ({
      gcMinorMs: _a,
      gcMajorMs: _b,
      minorGcs: _c,
      majorGcs: _d,
      ...rest
    }: PerLoginCounters): PerLoginCounters => rest;
    const oldText = perLoginCountersTable([
      {
        label: 'passport-oauth2',
        competitor: 'passport-oauth2',
        rounds: [{ ...round, perLogin: [older(theirs), older(ours)] }],
      },
    ]);
    assert.match(oldText, /user CPU ms/);
    assert.doesNotMatch(oldText, /GC/);
    // Rounds without counters (results of an older bench) give no table.
    assert.equal(
      perLoginCountersTable([
        { label: 'passport-oauth2', competitor: 'passport-oauth2', rounds: [round] },
      ]),
      '',
    );
  });

  it('cpu layout: BENCH_PIN=0 turns pinning off; otherwise the app gets the last CPU', () => {
    const off = cpuLayout({ BENCH_PIN: '0' });
    assert.equal(off.app, undefined);
    assert.match(off.description, /BENCH_PIN=0/);
    const on = cpuLayout({});
    if (on.app !== undefined) {
      assert.equal(on.all?.startsWith('0-'), true);
      assert.notEqual(on.app, on.load);
    }
  });
});
