import { COMPETITORS, VARIANTS, type CompetitorId, type Protocol } from './types';

/** What one `npm run bench` does. `--quick` (or BENCH_QUICK=1) is the CI-sized form. */
export interface BenchPlan {
  readonly quick: boolean;
  readonly profile: boolean;
  /**
   * `--alloc` (with `--ab`): both apps sample their allocations (V8's sampling heap profiler,
   * collected objects included) and the report compares KB allocated per login.
   */
  readonly alloc: boolean;
  /** `--head-to-head`: only the probe and the head-to-head rounds (the targets' throughput). */
  readonly headToHeadOnly: boolean;
  readonly protocols: readonly Protocol[];
  readonly concurrencies: readonly number[];
  /** Every competitor is probed; those that complete a login are measured. */
  readonly competitors: readonly CompetitorId[];
  readonly probeLogins: number;
  /**
   * Warm-up before every measurement: `warmupLogins`, or `warmupSeconds` if that comes first.
   * A server runs for days, so the JIT has settled; 200 warm-up logins (the first setting)
   * measured this package 14 % behind passport-oauth2 and 3 000 measured it level: more code
   * takes more logins to be optimised (bench/README.md "Warm-up").
   */
  readonly warmupLogins: number;
  readonly warmupSeconds: number;
  readonly sweepSeconds: number;
  /**
   * Head-to-head rounds at the targets' point (HTTPS, highest concurrency): every competitor
   * once per round, in a rotated order, a fresh app each time; the medians are what one app
   * reaches alone on its core, and the ceiling target uses this package's.
   */
  readonly rounds: number;
  /**
   * Shared-core runs at the targets' point, per competitor: its app and this package's at the
   * same time on the app core, 64 browsers each, for `sweepSeconds`; the throughput targets
   * against other stacks use the median of the per-run ratios (bench/README.md "Shared core").
   */
  readonly sharedRounds: number;
  /**
   * Fresh process pairs the shared-core rounds are spread over (`BENCH_SHARED_PAIRS`; default 6,
   * 1 with `--quick`, `--profile` and `--alloc`; at most `sharedRounds`). NOTE: two processes of the same build differ by a few percent for their
   * whole life (an A/A run of one pair read 0.96×, 0.99× and 1.03× on three pairs in one hour), so
   * a ratio's interval is taken over pairs, not over the rounds of one pair.
   */
  readonly sharedPairs: number;
  /** `--cold`: import time and RSS, first login, RSS at rest and the token hot path only. */
  readonly cold: boolean;
  /** Fresh processes per stack for the cold import and first-login medians (`BENCH_COLD_RUNS`). */
  readonly coldRuns: number;
  /** Alternated rounds of the token hot path (HMGET, then getAccessToken, or the reverse). */
  readonly coldTokenRounds: number;
  /**
   * Memory runs per stack in `--cold` (`BENCH_COLD_MEMORY_RUNS`; default 3, 1 with `--quick`),
   * alternated; the RSS-at-rest target takes the medians. NOTE: one process's RSS at rest moved
   * by ±4 % between runs of one build (1.09×, 1.14× and 1.09× against passport-oauth2 in an hour).
   */
  readonly coldMemoryRuns: number;
  /** `--footprint`: the code each stack runs per login, counted by V8 (no timing). */
  readonly footprint: boolean;
  /** `--ab <dir>`: only shared-core rounds of this build against the package built in `dir`. */
  readonly ab: string | undefined;
  /** RSS is read after the first and after the second number of logins. */
  readonly memoryLogins: readonly [number, number];
  readonly memoryConcurrency: number;
  readonly faultLogins: number;
  readonly faultConcurrency: number;
  /** Per attempt (this package), for the competitors that have a setting. */
  readonly attemptTimeoutMs: number;
  /** The configured login deadline (this package's `loginDeadlineMs`). */
  readonly deadlineMs: number;
  /** The driver abandons a request after this long and counts it as hung. */
  readonly driverTimeoutMs: number;
}

function envNumbers(env: NodeJS.ProcessEnv, name: string): number[] | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const values = raw.split(',').map(Number);
  if (!values.every((n) => Number.isInteger(n) && n > 0)) {
    throw new TypeError(`${name} must be positive integers separated by commas, got "${raw}"`);
  }
  return values;
}

/** The directory after `--ab` (a built package: its `dist/`, or a copy of one). */
function abDir(argv: readonly string[]): string | undefined {
  const at = argv.indexOf('--ab');
  if (at === -1) return undefined;
  const dir = argv[at + 1];
  if (dir === undefined || dir.startsWith('--')) {
    throw new TypeError('--ab needs the directory of another build, e.g. --ab ../base/dist');
  }
  return dir;
}

export function planFrom(argv: readonly string[], env: NodeJS.ProcessEnv): BenchPlan {
  const quick = argv.includes('--quick') || env.BENCH_QUICK === '1';
  const sharedRounds = envNumbers(env, 'BENCH_SHARED_ROUNDS')?.[0] ?? (quick ? 3 : 18);
  const memory = envNumbers(env, 'BENCH_MEMORY_LOGINS') ?? (quick ? [1000, 5000] : [5000, 50_000]);
  const [first, second] = memory;
  if (first === undefined || second === undefined || second <= first) {
    throw new TypeError('BENCH_MEMORY_LOGINS must be two increasing numbers, e.g. 5000,50000');
  }
  const ab = abDir(argv);
  if (argv.includes('--alloc') && ab === undefined) {
    throw new TypeError('--alloc samples the two apps of an A/B run: use it with --ab <dir>');
  }
  return {
    quick,
    profile: argv.includes('--profile'),
    alloc: argv.includes('--alloc'),
    headToHeadOnly: argv.includes('--head-to-head'),
    protocols: ['http', 'https'],
    concurrencies: envNumbers(env, 'BENCH_CONCURRENCY') ?? [1, 16, 64],
    competitors: COMPETITORS.filter((c) => !VARIANTS.includes(c)),
    probeLogins: 20,
    warmupLogins: envNumbers(env, 'BENCH_WARMUP_LOGINS')?.[0] ?? (quick ? 300 : 3000),
    warmupSeconds: quick ? 2 : 8,
    sweepSeconds: envNumbers(env, 'BENCH_SECONDS')?.[0] ?? (quick ? 2 : 4),
    rounds: envNumbers(env, 'BENCH_ROUNDS')?.[0] ?? (quick ? 2 : 9),
    sharedRounds,
    // One pair when profiling or sampling: each reads the profile of one app process. Never
    // more pairs than rounds: a pair without a round would start and warm up two apps for nothing.
    sharedPairs:
      argv.includes('--profile') || argv.includes('--alloc')
        ? 1
        : Math.min(sharedRounds, envNumbers(env, 'BENCH_SHARED_PAIRS')?.[0] ?? (quick ? 1 : 6)),
    cold: argv.includes('--cold'),
    coldRuns: envNumbers(env, 'BENCH_COLD_RUNS')?.[0] ?? (quick ? 5 : 15),
    coldTokenRounds: quick ? 3 : 9,
    coldMemoryRuns: envNumbers(env, 'BENCH_COLD_MEMORY_RUNS')?.[0] ?? (quick ? 1 : 3),
    footprint: argv.includes('--footprint'),
    ab,
    memoryLogins: [first, second],
    memoryConcurrency: 64,
    faultLogins: quick ? 400 : 2000,
    faultConcurrency: 64,
    attemptTimeoutMs: 2000,
    deadlineMs: 5000,
    driverTimeoutMs: 7500,
  };
}
