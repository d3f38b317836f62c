import type { TikTokEmulator } from '../lib/testing/index';
import { pin, type CpuLayout } from './affinity';
import { AppProcess, type DriverProcess, type ForkOptions } from './children';
import type { TlsFiles } from './cert';
import { BENCH_SCOPES } from './fields';
import { V8_LOG_PATTERN, type Footprint } from './footprint/summary';
import type { BenchPlan } from './plan';
import { registerAppCallback, upstreamOf, type FaultScenario } from './upstream';
import type { PerLoginCounters, SharedCoreRound } from './results';
import type {
  AppStats,
  CompetitorId,
  LoadJob,
  LoadResult,
  LoadTarget,
  ProcessCounters,
  Protocol,
} from './types';

/** What every measurement shares. */
export interface Bench {
  readonly plan: BenchPlan;
  readonly tls: TlsFiles;
  readonly emulators: Readonly<Record<Protocol, TikTokEmulator>>;
  readonly driver: DriverProcess;
  readonly layout: CpuLayout;
}

/** Pins the orchestrator (emulators) and the driver to `cpus`. */
export function pinLoad(bench: Bench, cpus: string | undefined): void {
  pin(process.pid, cpus);
  pin(bench.driver.pid, cpus);
}

export interface AppRun {
  readonly load: LoadResult;
  readonly app: AppStats;
  /** App CPU time per login (attempted) over the measured logins, in ms. */
  readonly cpuMsPerLogin: number;
  /** Upstream connections the app opened during the measured logins. */
  readonly connections: number;
}

/** App CPU time per login between two readings, in ms (3 decimals). */
function cpuMsPerLogin(
  before: AppStats | undefined,
  after: AppStats | undefined,
  logins: number,
): number {
  const micros = (after?.cpuMicros ?? 0) - (before?.cpuMicros ?? 0);
  return Math.round(micros / Math.max(1, logins)) / 1000;
}

/** The kernel-side counters of an app between two readings, per login. */
export function perLoginCounters(
  before: AppStats | undefined,
  after: AppStats | undefined,
  logins: number,
): PerLoginCounters {
  const n = Math.max(1, logins);
  // A reading's change per login, rounded; `scale` turns µs into ms.
  const per = (read: (s: AppStats) => number, digits: number, scale = 1): number =>
    after === undefined || before === undefined
      ? 0
      : Number(((read(after) - read(before)) / n / scale).toFixed(digits));
  const counter =
    (key: keyof ProcessCounters) =>
    (s: AppStats): number =>
      s.counters[key];
  return {
    userMs: per(counter('userMicros'), 3, 1000),
    systemMs: per(counter('systemMicros'), 3, 1000),
    voluntarySwitches: per(counter('voluntarySwitches'), 2),
    involuntarySwitches: per(counter('involuntarySwitches'), 2),
    readCalls: per(counter('readCalls'), 2),
    writeCalls: per(counter('writeCalls'), 2),
    connections: per((s) => s.outboundConnections, 3),
    gcMinorMs: per(counter('gcMinorMicros'), 3, 1000),
    gcMajorMs: per(counter('gcMajorMicros'), 3, 1000),
    minorGcs: per(counter('minorGcs'), 4),
    majorGcs: per(counter('majorGcs'), 4),
  };
}

async function measured(app: AppProcess, run: () => Promise<LoadResult>): Promise<AppRun> {
  const before = await app.stats();
  const load = await run();
  const after = await app.stats();
  return {
    load,
    app: after,
    cpuMsPerLogin: cpuMsPerLogin(before, after, load.attempted),
    connections: after.outboundConnections - before.outboundConnections,
  };
}

function job(
  bench: Bench,
  target: LoadTarget,
  concurrency: number,
  size: Partial<LoadJob>,
): LoadJob {
  return {
    target,
    concurrency,
    timeoutMs: bench.plan.driverTimeoutMs,
    caPath: bench.tls.certPath,
    scopes: BENCH_SCOPES,
    ...size,
  };
}

/** The warm-up before a measurement: so many logins, or so many seconds if that comes first. */
const warmup = (bench: Bench): Partial<LoadJob> => ({
  logins: bench.plan.warmupLogins,
  seconds: bench.plan.warmupSeconds,
});

/** Starts an app process for `competitor`, pinned to the app CPUs, against the emulator. */
async function startApp(
  bench: Bench,
  competitor: CompetitorId,
  protocol: Protocol,
  fork: ForkOptions = {},
): Promise<AppProcess> {
  const app = await AppProcess.start(
    {
      competitor,
      protocol,
      upstream: upstreamOf(bench.emulators[protocol]),
      ...(protocol === 'https'
        ? { tls: { keyPath: bench.tls.keyPath, certPath: bench.tls.certPath } }
        : {}),
      scopes: BENCH_SCOPES,
      attemptTimeoutMs: bench.plan.attemptTimeoutMs,
      deadlineMs: bench.plan.deadlineMs,
    },
    { ...fork, env: { NODE_EXTRA_CA_CERTS: bench.tls.certPath, ...fork.env } },
    bench.layout.app,
  );
  registerAppCallback(bench.emulators[protocol], app.baseUrl);
  return app;
}

/** Runs `body` against a fresh app process for `competitor`, with a clean emulator. */
export async function withApp<T>(
  bench: Bench,
  competitor: CompetitorId,
  protocol: Protocol,
  body: (app: AppProcess, target: LoadTarget) => Promise<T>,
  fork: ForkOptions = {},
): Promise<T> {
  const tt = bench.emulators[protocol];
  tt.reset();
  const app = await startApp(bench, competitor, protocol, fork);
  try {
    return await body(app, { kind: 'app', baseUrl: app.baseUrl });
  } finally {
    await app.stop();
    tt.reset();
  }
}

/** A few sequential logins: can this competitor log in at all against the emulator? */
export function probe(bench: Bench, competitor: CompetitorId, protocol: Protocol): Promise<AppRun> {
  return withApp(bench, competitor, protocol, (app, target) =>
    measured(app, () =>
      bench.driver.run(job(bench, target, 1, { logins: bench.plan.probeLogins })),
    ),
  );
}

/** Warm up, then as many logins as `concurrency` browsers manage in `sweepSeconds`. */
export function throughput(
  bench: Bench,
  competitor: CompetitorId,
  protocol: Protocol,
  concurrency: number,
  fork: ForkOptions = {},
): Promise<AppRun> {
  return withApp(
    bench,
    competitor,
    protocol,
    async (app, target) => {
      await bench.driver.run(job(bench, target, concurrency, warmup(bench)));
      return measured(app, () =>
        bench.driver.run(job(bench, target, concurrency, { seconds: bench.plan.sweepSeconds })),
      );
    },
    fork,
  );
}

/** Logins before `--footprint` counts anything. */
const FOOTPRINT_WARMUP_LOGINS = 6000;

/**
 * Warm up, then count the app's function calls over `logins` logins (`--footprint`): what a
 * login runs, in counts that do not depend on the machine's load.
 */
export function footprint(
  bench: Bench,
  competitor: CompetitorId,
  concurrency: number,
  logins: number,
): Promise<{ footprint: Footprint; failed: number }> {
  return withApp(
    bench,
    competitor,
    'https',
    async (app, target) => {
      // NOTE: a warm-up by count, not capped in seconds: what V8 has optimized by the end of it
      // is the machine code figure, and a time cap made it depend on the machine's speed (a
      // stack measured 17 and 41 KB in two runs of 8 s warm-ups).
      await bench.driver.run(job(bench, target, concurrency, { logins: FOOTPRINT_WARMUP_LOGINS }));
      await app.coverageStart();
      const load = await bench.driver.run(job(bench, target, concurrency, { logins }));
      // Every login of the window ran code, a failed one too: counts are per login attempted.
      return { footprint: await app.coverageTake(load.attempted), failed: load.failed };
    },
    // V8 writes the code it generates to /tmp/perf-<pid>.map: the machine code figures. NOTE:
    // with it V8 also keeps its event log, which would land in the working directory as
    // isolate-*-v8.log: it goes to /tmp too, where the app removes both.
    {
      execArgv: ['--perf-basic-prof', '--no-logfile-per-isolate', `--logfile=${V8_LOG_PATTERN}`],
    },
  );
}

/** The same upstream calls straight from the driver: what no app can beat. */
export async function ceiling(
  bench: Bench,
  protocol: Protocol,
  concurrency: number,
): Promise<LoadResult> {
  const tt = bench.emulators[protocol];
  tt.reset();
  const target: LoadTarget = { kind: 'ceiling', upstream: upstreamOf(tt) };
  pinLoad(bench, bench.layout.all);
  try {
    await bench.driver.run(job(bench, target, concurrency, warmup(bench)));
    return await bench.driver.run(
      job(bench, target, concurrency, { seconds: bench.plan.sweepSeconds }),
    );
  } finally {
    pinLoad(bench, bench.layout.load);
    tt.reset();
  }
}

export interface MemoryRun {
  readonly first: AppStats;
  readonly second: AppStats;
  /** The logins between the two readings. */
  readonly load: LoadResult;
}

/** RSS after N and after M logins in one process (HTTPS, `memoryConcurrency` browsers). */
export function memory(bench: Bench, competitor: CompetitorId): Promise<MemoryRun> {
  const [n, m] = bench.plan.memoryLogins;
  const c = bench.plan.memoryConcurrency;
  return withApp(bench, competitor, 'https', async (app, target) => {
    await bench.driver.run(job(bench, target, c, { logins: n }));
    const first = await app.settledStats();
    const load = await bench.driver.run(job(bench, target, c, { logins: m - n }));
    return { first, second: await app.settledStats(), load };
  });
}

/** Logins through HTTPS while the emulator misbehaves as `scenario` says. */
export function fault(
  bench: Bench,
  competitor: CompetitorId,
  scenario: FaultScenario,
): Promise<AppRun> {
  return withApp(bench, competitor, 'https', async (app, target) => {
    scenario.apply(bench.emulators.https);
    return measured(app, () =>
      bench.driver.run(
        job(bench, target, bench.plan.faultConcurrency, { logins: bench.plan.faultLogins }),
      ),
    );
  });
}

/** One stack of a shared-core measurement; `env` reaches its app (BENCH_PACKAGE_DIR for --ab). */
export interface SharedEntry {
  readonly label: string;
  readonly competitor: CompetitorId;
  readonly env?: NodeJS.ProcessEnv;
  /** More node flags for this entry's app (`--cpu-prof` for `--ab --profile`). */
  readonly execArgv?: readonly string[];
}

/**
 * Shared core: every other entry in a pair with the first (this package), one pair at a time.
 * Both apps start fresh, pinned to the app CPUs, warm up together, then run their share of
 * `sharedRounds` at the same time, each with `concurrency` browsers for `sweepSeconds` (which of
 * the two the driver starts first alternates); then both stop, and `sharedPairs` fresh pairs in
 * all take turns (bench/README.md, "Shared core"). The kernel shares the core between the two busy apps, so
 * the ratio of their logins/s in a run is mostly the ratio of their CPU cost per login (not
 * wholly: the core is about 90 % busy, and an app that yields it more often gets more turns;
 * `appCoreBusy` in report/targets.ts), and whatever
 * slows the machine during that run (other tenants, frequency) slows both alike: sequential
 * rounds on this kind of shared VM moved by ±30 % between identical runs, the pair ratios by a
 * few percent. Both apps of a pair are busy in every run. Two other layouts were tried and
 * dropped: all stacks at once (four apps thrashing one core, 256 browsers on the driver's core:
 * noisier, runs spread over 0.71–1.24), and one app of this package paired in turn with each
 * competitor, whose apps idled between their runs: ours came out 6–8 % ahead of every stack,
 * the floor included, where the head-to-head rounds had it 13 % behind: an app idle for 8 s
 * between its runs starts each one cold (caches, and presumably a heap V8 shrank while idle).
 */
export async function sharedCore(
  bench: Bench,
  entries: readonly SharedEntry[],
  concurrency: number,
  onRun: (round: number, label: string, result: SharedCoreRound) => void = () => undefined,
): Promise<SharedCoreRound[][]> {
  const perEntry: SharedCoreRound[][] = entries.map(() => []);
  const first = entries[0];
  if (first === undefined) return perEntry;
  const tt = bench.emulators.https;
  const start = (e: SharedEntry): Promise<AppProcess> =>
    startApp(bench, e.competitor, 'https', {
      ...(e.env ? { env: e.env } : {}),
      ...(e.execArgv ? { execArgv: e.execArgv } : {}),
    });
  const target = (app: AppProcess): LoadTarget => ({ kind: 'app', baseUrl: app.baseUrl });
  for (let index = 1; index < entries.length; index++) {
    const entry = entries[index];
    if (entry === undefined) continue;
    const { sharedRounds, sharedPairs } = bench.plan;
    let round = 0;
    for (let pairIndex = 0; pairIndex < sharedPairs; pairIndex++) {
      // The rounds spread evenly over the pairs; which app process starts first alternates too.
      const until = Math.round((sharedRounds * (pairIndex + 1)) / sharedPairs);
      // A pair with no round of its own (more pairs than rounds) is not started at all.
      if (until <= round) continue;
      tt.reset();
      const apps: AppProcess[] = [];
      try {
        const byRole: AppProcess[] = [];
        for (const role of pairIndex % 2 === 0 ? [0, 1] : [1, 0]) {
          const app = await start(role === 0 ? first : entry);
          apps.push(app);
          byRole[role] = app;
        }
        const [ours, other] = byRole;
        if (ours === undefined || other === undefined) continue;
        await Promise.all(
          apps.map((app) => bench.driver.run(job(bench, target(app), concurrency, warmup(bench)))),
        );
        for (; round < until; round++) {
          // Which of the two the driver starts first alternates with the round.
          const oursFirst = round % 2 === 1;
          const pair: AppProcess[] = oursFirst ? [ours, other] : [other, ours];
          const [theirs, mine] = oursFirst ? [1, 0] : [0, 1];
          const before = await Promise.all(pair.map((app) => app.stats()));
          const loads = await Promise.all(
            pair.map((app) =>
              bench.driver.run(
                job(bench, target(app), concurrency, { seconds: bench.plan.sweepSeconds }),
              ),
            ),
          );
          const after = await Promise.all(pair.map((app) => app.stats()));
          const cpu = (i: number): number =>
            cpuMsPerLogin(before[i], after[i], loads[i]?.attempted ?? 0);
          const result: SharedCoreRound = {
            loginsPerSec: loads[theirs]?.loginsPerSec ?? 0,
            cpuMsPerLogin: cpu(theirs),
            failed: loads[theirs]?.failed ?? 0,
            oursLoginsPerSec: loads[mine]?.loginsPerSec ?? 0,
            oursCpuMsPerLogin: cpu(mine),
            perLogin: [
              perLoginCounters(before[theirs], after[theirs], loads[theirs]?.attempted ?? 0),
              perLoginCounters(before[mine], after[mine], loads[mine]?.attempted ?? 0),
            ],
            pair: pairIndex,
          };
          perEntry[index]?.push(result);
          onRun(round, entry.label, result);
        }
      } finally {
        await Promise.all(apps.map((app) => app.stop()));
        tt.reset();
      }
    }
  }
  return perEntry;
}
