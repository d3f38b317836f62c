import assert from 'node:assert/strict';
import { cpuLayout } from '../../bench/affinity';
import type { AppRun } from '../../bench/measure';
import { planFrom } from '../../bench/plan';
import { evaluateTargets, floorTable } from '../../bench/report/targets';
import type { BenchResults, HeadToHeadRow, ThroughputRow } from '../../bench/results';
import { median } from '../../bench/suite';
import type { CompetitorId, LoadResult } from '../../bench/types';

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

function results(headToHead: HeadToHeadRow[], throughput: ThroughputRow[]): BenchResults {
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
    memory: [],
    faults: [],
  };
}

describe('bench report', () => {
  it('median: odd, even and empty', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([]), 0);
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

  it('plan: rounds default to 9 (2 with --quick), BENCH_ROUNDS wins; --head-to-head', () => {
    assert.equal(planFrom([], {}).rounds, 9);
    assert.equal(planFrom(['--quick'], {}).rounds, 2);
    assert.equal(planFrom([], { BENCH_ROUNDS: '3' }).rounds, 3);
    assert.equal(planFrom(['--head-to-head'], {}).headToHeadOnly, true);
    assert.throws(() => planFrom([], { BENCH_ROUNDS: '0' }), /BENCH_ROUNDS/);
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
