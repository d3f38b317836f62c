/** Shared shapes of the benchmark: what the orchestrator, app children and driver exchange. */

export type Protocol = 'http' | 'https';

/** The login stacks under test; `ceiling` is the upstream calls without Express/Passport. */
export const COMPETITORS = [
  'passport-tiktok',
  'passport-tiktok-auth',
  'passport-tiktok-auth-fields',
  'passport-oauth2',
  'passport-oauth2-expiring',
  'passport-oauth2-contract',
  'floor',
  'floor-contract',
  'floor-contract-full',
  'floor-contract-complete',
] as const;
export type CompetitorId = (typeof COMPETITORS)[number];

/**
 * Stacks run only when named (`--ab a,b`): variants of a competitor that measure what one
 * behaviour costs, not anybody's choice.
 */
export const VARIANTS: readonly CompetitorId[] = [
  'passport-oauth2-expiring',
  'passport-oauth2-contract',
  'floor-contract',
  'floor-contract-full',
  'floor-contract-complete',
];

export type FaultScenarioId = '503' | 'hang' | '200-error';

/** The emulator's endpoint URLs and the app credentials it accepts. */
export interface Upstream {
  readonly authorizationURL: string;
  readonly tokenURL: string;
  readonly revokeURL: string;
  readonly userInfoURL: string;
  readonly clientKey: string;
  readonly clientSecret: string;
}

/** What an app child needs to build its app. */
export interface AppStartConfig {
  readonly competitor: CompetitorId;
  readonly protocol: Protocol;
  readonly upstream: Upstream;
  /** PEM files served by the app under HTTPS (the same self-signed pair as the emulator). */
  readonly tls?: { readonly keyPath: string; readonly certPath: string };
  readonly scopes: readonly string[];
  /** Per-attempt budget, for the competitors that have one. */
  readonly attemptTimeoutMs: number;
  /** Budget of the whole callback (code exchange + user info), where configurable. */
  readonly deadlineMs: number;
}

export interface ProcessCounters {
  readonly userMicros: number;
  readonly systemMicros: number;
  readonly voluntarySwitches: number;
  readonly involuntarySwitches: number;
  readonly readCalls: number;
  readonly writeCalls: number;
  /**
   * Garbage collection on the main thread, forced collections (those of the readings at rest)
   * left out: pause time in µs and number of collections, minor (scavenges) and major (mark-compact,
   * incremental marking steps included) apart.
   */
  readonly gcMinorMicros: number;
  readonly gcMajorMicros: number;
  readonly minorGcs: number;
  readonly majorGcs: number;
}

/** Counters that saw nothing (tests, and platforms without them). */
export const ZERO_COUNTERS: ProcessCounters = {
  userMicros: 0,
  systemMicros: 0,
  voluntarySwitches: 0,
  involuntarySwitches: 0,
  readCalls: 0,
  writeCalls: 0,
  gcMinorMicros: 0,
  gcMajorMicros: 0,
  minorGcs: 0,
  majorGcs: 0,
};

/** Memory and health of an app child (after forced GCs only when read at rest: `settledStats`). */
export interface AppStats {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** V8 heap reserved (used or not): young-generation resizing shows here and in RSS. */
  readonly heapTotalBytes: number;
  /** Memory of C++ objects bound to JS (buffers, sockets, TLS). */
  readonly externalBytes: number;
  /** Peak RSS over the child's life (getrusage maxrss). */
  readonly peakRssBytes: number;
  /** CPU time (user + system) the child has used so far, in microseconds. */
  readonly cpuMicros: number;
  /** TCP/TLS connections the app opened (to the emulator) so far. */
  readonly outboundConnections: number;
  /**
   * Kernel-side counters so far (all threads): user and system CPU in µs, context switches
   * (voluntary: the process waited; involuntary: the scheduler took the core away) and the
   * read/write system calls of `/proc/self/io` (0 where it cannot be read).
   */
  readonly counters: ProcessCounters;
  /** Exceptions that would have crashed an app without an `uncaughtException` handler. */
  readonly uncaughtExceptions: number;
}

/** Whom the driver logs in through. */
export type LoadTarget =
  | { readonly kind: 'app'; readonly baseUrl: string }
  | { readonly kind: 'ceiling'; readonly upstream: Upstream };

/** One load run: `concurrency` browsers, until `logins` are done or `seconds` have passed. */
export interface LoadJob {
  readonly target: LoadTarget;
  readonly concurrency: number;
  readonly logins?: number;
  readonly seconds?: number;
  /** Per-request timeout of the driver: a request slower than this counts as hung. */
  readonly timeoutMs: number;
  /** PEM of the CA the driver trusts for HTTPS. */
  readonly caPath?: string;
  readonly scopes: readonly string[];
}

export interface LoadResult {
  readonly attempted: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly elapsedMs: number;
  /** Successful logins per second. */
  readonly loginsPerSec: number;
  /** Latency of successful logins (whole flow). */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The slowest single HTTP request the driver made, and which step it was. */
  readonly slowestRequestMs: number;
  readonly slowestStep: string;
  /** Failures by `<step>: <reason>`. */
  readonly errors: Record<string, number>;
}
