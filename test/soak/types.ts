/** Shapes the soak's orchestrator, app child and driver exchange. */
import type { Upstream } from '../../bench/types';

export type PhaseKind = 'quiet' | '503' | 'hang' | 'reset' | 'invalid_grant' | 'redis_restart';

/** One phase of the run, in ms from its start. */
export interface Phase {
  readonly index: number;
  readonly kind: PhaseKind;
  readonly startMs: number;
  readonly endMs: number;
}

/** What the app child needs to build its app. */
export interface SoakAppConfig {
  readonly upstream: Upstream;
  readonly redisUrl: string;
  /** JSON lines of the package logger (every line, every level enabled). */
  readonly logFile: string;
  /** Secret values the app saw (tokens from verify, refreshed tokens): one per line. */
  readonly canaryFile: string;
  readonly logLevel: 'debug' | 'info';
  /** Per-attempt budget and the login deadline given to the strategy. */
  readonly attemptTimeoutMs: number;
  readonly loginDeadlineMs: number;
}

/** The app child's health and memory. */
export interface SoakAppStats {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly unhandledRejections: number;
  readonly uncaughtExceptions: number;
  /** Errors that reached the app's last error handler (not a TikTokAPIError): answered 500. */
  readonly internalErrors: number;
  /** Those errors by name (and code, when they have one). */
  readonly internalErrorNames: Readonly<Record<string, number>>;
  readonly logLines: number;
}

export interface SoakAppFinal extends SoakAppStats {
  /** The app's Prometheus text (scanned for secrets too). */
  readonly metricsText: string;
  /** Names of the unhandled rejections / uncaught exceptions, if any. */
  readonly crashNames: readonly string[];
}

/** One login the driver attempted, start to logout. */
export interface LoginRecord {
  readonly startedMs: number;
  readonly endedMs: number;
  readonly ok: boolean;
  /** `ok`, a TikTokErrorCode from the JSON error body, `HTTP_<status>`, `HUNG` or `NET_<code>`. */
  readonly code: string;
  /** The step that failed (`start`, `authorize`, `callback`, `session`, `logout`), or `done`. */
  readonly step: string;
  readonly startPhase: number;
  readonly endPhase: number;
}

export interface RssSample {
  /** ms from the start of the run. */
  readonly atMs: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
}
