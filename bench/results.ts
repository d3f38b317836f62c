import type { AppRun, MemoryRun } from './measure';
import type { BenchPlan } from './plan';
import type { CompetitorId, FaultScenarioId, LoadResult, Protocol } from './types';

export type Stack = CompetitorId | 'ceiling';

export interface ProbeRow {
  readonly competitor: CompetitorId;
  readonly protocol: Protocol;
  readonly run: AppRun;
}

export interface ThroughputRow {
  readonly stack: Stack;
  readonly protocol: Protocol;
  readonly concurrency: number;
  readonly load: LoadResult;
  /** The app's side (CPU, connections, memory); absent for the ceiling. */
  readonly run?: AppRun;
}

/** One competitor's head-to-head rounds (HTTPS, highest concurrency) and their medians. */
export interface HeadToHeadRow {
  readonly competitor: CompetitorId;
  readonly runs: readonly AppRun[];
  readonly medianLoginsPerSec: number;
  readonly medianCpuMsPerLogin: number;
}

/**
 * One stack's shared-core rounds: in each, it ran at the same time as this package on the app
 * core (bench/measure.ts sharedCore); the first row of a run is this package itself, no rounds.
 */
export interface SharedCoreRow {
  /** The competitor, or `<competitor> (<dir>)` for the other build of `--ab`. */
  readonly label: string;
  readonly competitor: CompetitorId;
  readonly rounds: readonly SharedCoreRound[];
}

/** One pair run: this stack's figures, and this package's in the same seconds on the same core. */
export interface SharedCoreRound {
  readonly loginsPerSec: number;
  readonly cpuMsPerLogin: number;
  readonly failed: number;
  readonly oursLoginsPerSec: number;
  readonly oursCpuMsPerLogin: number;
  /** Kernel-side figures per login of the same run: this stack's, then this package's. */
  readonly perLogin?: readonly [PerLoginCounters, PerLoginCounters];
  /** Which pair of app processes ran it (0-based; absent in results of an older bench). */
  readonly pair?: number;
}

/**
 * Per attempted login: CPU split, context switches, read/write system calls, upstream connections,
 * garbage collection (absent in results of an older bench).
 */
export interface PerLoginCounters {
  readonly userMs: number;
  readonly systemMs: number;
  readonly voluntarySwitches: number;
  readonly involuntarySwitches: number;
  readonly readCalls: number;
  readonly writeCalls: number;
  readonly connections: number;
  /** Main-thread GC pauses (forced ones left out), ms and collections per login. */
  readonly gcMinorMs?: number;
  readonly gcMajorMs?: number;
  readonly minorGcs?: number;
  readonly majorGcs?: number;
}

export interface MemoryRow {
  readonly competitor: CompetitorId;
  readonly run: MemoryRun;
}

export interface FaultRow {
  readonly scenario: FaultScenarioId;
  readonly label: string;
  readonly competitor: CompetitorId;
  readonly run: AppRun;
}

export interface Machine {
  readonly nproc: number;
  readonly cpu: string;
  readonly node: string;
  readonly platform: string;
}

/** Everything one run measured; written as JSON under bench/results/. */
export interface BenchResults {
  readonly startedAt: string;
  readonly durationSec: number;
  readonly command: string;
  readonly machine: Machine;
  readonly plan: BenchPlan;
  readonly probes: readonly ProbeRow[];
  readonly throughput: readonly ThroughputRow[];
  readonly headToHead: readonly HeadToHeadRow[];
  readonly sharedCore: readonly SharedCoreRow[];
  /** How processes were pinned to CPUs (bench/affinity.ts). */
  readonly cpuLayout: string;
  readonly memory: readonly MemoryRow[];
  readonly faults: readonly FaultRow[];
}
