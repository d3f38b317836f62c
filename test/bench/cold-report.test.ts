import assert from 'node:assert/strict';
import { evaluateColdTargets, renderColdReport, tokenRatio } from '../../bench/cold/report';
import type { ColdResults, ColdSample } from '../../bench/cold/results';
import type { MemoryRun } from '../../bench/measure';
import { planFrom } from '../../bench/plan';
import { ZERO_COUNTERS, type AppStats } from '../../bench/types';

const MB = 2 ** 20;

const samples = (ms: number[], rssMb: number): ColdSample[] =>
  ms.map((m) => ({ ms: m, rssBytes: rssMb * MB }));

function stats(rssMb: number): AppStats {
  return {
    rssBytes: rssMb * MB,
    heapUsedBytes: 10 * MB,
    heapTotalBytes: 20 * MB,
    externalBytes: 1,
    peakRssBytes: rssMb * MB,
    cpuMicros: 1,
    outboundConnections: 0,
    counters: ZERO_COUNTERS,
    uncaughtExceptions: 0,
  };
}

function memoryRun(rssMb: number): MemoryRun {
  return {
    first: stats(rssMb - 2),
    second: stats(rssMb),
    load: {
      attempted: 1,
      succeeded: 1,
      failed: 0,
      elapsedMs: 1,
      loginsPerSec: 1,
      p50Ms: 1,
      p99Ms: 1,
      slowestRequestMs: 1,
      slowestStep: 'callback',
      errors: {},
    },
  };
}

function results(overrides: Partial<ColdResults> = {}): ColdResults {
  return {
    startedAt: '2026-01-01T00:00:00.000Z',
    durationSec: 1,
    command: 'npm run bench -- --cold',
    machine: { nproc: 2, cpu: 'test', node: 'v20', platform: 'linux' },
    cpuLayout: 'not pinned (test)',
    runs: 3,
    imports: {
      // medians: 40 ms / 20 ms = 2.0×; RSS 14 MB - 9 MB = +5 MB
      'passport-tiktok': samples([90, 40, 35], 14),
      'passport-oauth2': samples([20, 25, 10], 9),
      'passport-tiktok-auth': samples([30, 31, 32], 10),
    },
    // medians 300 / 200 = 1.5×
    firstLogin: { 'passport-tiktok': [300, 500, 250], 'passport-oauth2': [200, 190, 900] },
    memory: [
      { competitor: 'passport-tiktok', run: memoryRun(110) },
      { competitor: 'passport-oauth2', run: memoryRun(100) },
    ],
    // per-round ratios 0.5, 0.25, 0.75 → median 0.5
    tokens: [
      { hmgetPerSec: 1000, getAccessTokenPerSec: 500 },
      { hmgetPerSec: 2000, getAccessTokenPerSec: 500 },
      { hmgetPerSec: 1000, getAccessTokenPerSec: 750 },
    ],
    ...overrides,
  };
}

describe('bench: cold/report', () => {
  it('compares medians and passes every target exactly at its limit', () => {
    const targets = evaluateColdTargets(results());
    assert.deepEqual(
      targets.map((t) => [t.measured, t.pass]),
      [
        ['2.00×', true],
        ['+5.0 MB', true],
        ['1.50×', true],
        ['1.10×', true],
        ['0.50×', true],
      ],
    );
  });

  it('fails each target just past its limit', () => {
    const r = results({
      imports: {
        'passport-tiktok': samples([41, 41, 41], 14.1),
        'passport-oauth2': samples([20, 20, 20], 9),
        'passport-tiktok-auth': [],
      },
      firstLogin: { 'passport-tiktok': [301], 'passport-oauth2': [200] },
      memory: [
        { competitor: 'passport-tiktok', run: memoryRun(111) },
        { competitor: 'passport-oauth2', run: memoryRun(100) },
      ],
      tokens: [{ hmgetPerSec: 1000, getAccessTokenPerSec: 499 }],
    });
    assert.deepEqual(
      evaluateColdTargets(r).map((t) => t.pass),
      [false, false, false, false, false],
    );
  });

  it("RSS at rest: the median of each stack's runs, not its first run", () => {
    // The first process of ours was an unlucky one (130 MB): the medians say 109 / 100.
    const r = results({
      memory: [
        { competitor: 'passport-tiktok', run: memoryRun(130) },
        { competitor: 'passport-oauth2', run: memoryRun(100) },
        { competitor: 'passport-oauth2', run: memoryRun(101) },
        { competitor: 'passport-tiktok', run: memoryRun(108) },
        { competitor: 'passport-tiktok', run: memoryRun(109) },
        { competitor: 'passport-oauth2', run: memoryRun(99) },
      ],
    });
    const target = evaluateColdTargets(r).find((t) => t.target.startsWith('RSS at rest'));
    assert.deepEqual([target?.measured, target?.pass], ['1.09×', true]);
  });

  it('plan: three memory runs per stack in --cold (one with --quick); BENCH_COLD_MEMORY_RUNS wins', () => {
    assert.equal(planFrom(['--cold'], {}).coldMemoryRuns, 3);
    assert.equal(planFrom(['--cold', '--quick'], {}).coldMemoryRuns, 1);
    assert.equal(planFrom(['--cold'], { BENCH_COLD_MEMORY_RUNS: '5' }).coldMemoryRuns, 5);
  });

  it('the token ratio is the median of per-round ratios, not a ratio of medians', () => {
    // Medians of the columns would give 500 / 1000 = 0.5; the rounds say 0.25, 0.25, 1.
    const r = results({
      tokens: [
        { hmgetPerSec: 2000, getAccessTokenPerSec: 500 },
        { hmgetPerSec: 1000, getAccessTokenPerSec: 250 },
        { hmgetPerSec: 500, getAccessTokenPerSec: 500 },
      ],
    });
    assert.equal(tokenRatio(r), 0.25);
  });

  it('a stack that was not measured is n/a, never a pass', () => {
    const r = results({
      memory: [],
      tokens: [],
      firstLogin: { 'passport-tiktok': [], 'passport-oauth2': [] },
    });
    const targets = evaluateColdTargets(r);
    assert.deepEqual(
      targets.slice(2).map((t) => [t.measured, t.pass]),
      [
        ['not measured', undefined],
        ['not measured', undefined],
        ['not measured', undefined],
      ],
    );
    const text = renderColdReport(r);
    assert.match(text, /\| n\/a +\|/);
  });

  it('renders every section with the ratios to passport-oauth2', () => {
    const text = renderColdReport(results());
    assert.match(
      text,
      /\| passport-tiktok +\| 3 +\| 40\.0 +\| 35\.0–90\.0 +\| 2\.00× +\| 14\.0 +\| \+5\.0 /,
    );
    assert.match(text, /\| passport-tiktok +\| 3 +\| 300\.0 +\| 250\.0–500\.0 +\| 1\.50× +\|/);
    assert.match(text, /\| passport-tiktok +\| 108\.0 +\| 110\.0 +\| 10\.0 +\| 1\.10× +\|/);
    assert.match(text, /\| 2 +\| 2000 +\| 500 +\| 0\.25× +\|/);
    assert.equal((text.match(/\| PASS +\|/g) ?? []).length, 5);
  });

  it('--cold is a plan flag with 15 runs (5 with --quick) and BENCH_COLD_RUNS', () => {
    assert.equal(planFrom(['--cold'], {}).cold, true);
    assert.equal(planFrom([], {}).cold, false);
    assert.equal(planFrom(['--cold'], {}).coldRuns, 15);
    assert.equal(planFrom(['--cold', '--quick'], {}).coldRuns, 5);
    assert.equal(planFrom(['--cold'], { BENCH_COLD_RUNS: '21' }).coldRuns, 21);
  });
});
