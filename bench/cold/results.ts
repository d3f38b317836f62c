import type { MemoryRow, Machine } from '../results';

/** The stacks whose cold `require()` is measured. */
export type ColdImportStack = 'passport-tiktok' | 'passport-oauth2' | 'passport-tiktok-auth';

/** One fresh process's `require()`: its duration and the RSS it added. */
export interface ColdSample {
  readonly ms: number;
  readonly rssBytes: number;
}

/** One alternated round of the token hot path (64 concurrent callers each). */
export interface TokenRound {
  readonly hmgetPerSec: number;
  readonly getAccessTokenPerSec: number;
}

/** Everything `npm run bench -- --cold` measured; written as JSON under bench/results/. */
export interface ColdResults {
  readonly startedAt: string;
  readonly durationSec: number;
  readonly command: string;
  readonly machine: Machine;
  readonly cpuLayout: string;
  /** Fresh processes per stack, alternated (`BENCH_COLD_RUNS`). */
  readonly runs: number;
  readonly imports: Readonly<Record<ColdImportStack, readonly ColdSample[]>>;
  /** Milliseconds from a fresh process's first statement to its first completed login. */
  readonly firstLogin: Readonly<Record<'passport-tiktok' | 'passport-oauth2', readonly number[]>>;
  /**
   * RSS at rest after N and M logins (the suite's memory scenario), ours and passport-oauth2: one
   * row per run (a fresh process each), `BENCH_COLD_MEMORY_RUNS` per stack.
   */
  readonly memory: readonly MemoryRow[];
  readonly tokens: readonly TokenRound[];
}
