import { TikTokAPIError } from '../errors';
import {
  levelEnabled,
  SafeLogger,
  type LogLevel,
  type Scrubber,
  type TikTokLogger,
} from '../logging';
import type { TikTokMetrics, TikTokOperation } from '../metrics';
import { MAX_TIMER_MS } from '../time-limit';
import { TransportFailure, type HttpRequest, type Transport } from './http';
import { ALLOWED } from './circuit-breaker';
import { circuitOpenError, healthOf, type CallGuard } from './guard';
import { AttemptFailure, interpret } from './interpret';

/**
 * `idempotent`: every transient failure is retried. `singleUse`: the credential sent (an
 * authorization code, a refresh token, which rotates) is consumed by the first request that
 * reaches TikTok, so failures that may have reached it (timeouts, resets) are retried at most once (docs/client.md, "Retries, timeouts and deadlines").
 */
export type RetryMode = 'idempotent' | 'singleUse';

/**
 * How a client runs its operations. NOTE: nothing here is per operation, so a client keeps one
 * per endpoint and attempt count instead of building it for every call.
 */
export interface OperationSettings {
  readonly transport: Transport;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly retryBaseDelayMs: number;
  /**
   * The client's logger, unscrubbed: never written to directly. Every line goes through
   * logEvent(), which wraps it in a SafeLogger with the run's scrubber.
   */
  readonly logger: TikTokLogger;
  readonly metrics: TikTokMetrics | undefined;
  /** Circuit breaker of the endpoint and the client's retry budget; none when absent. */
  readonly guard?: CallGuard;
}

export interface OperationRun<T> {
  readonly operation: TikTokOperation;
  readonly label: string;
  readonly correlationId: string;
  readonly mode: RetryMode;
  /** Absolute epoch ms after which no attempt starts and no wait is scheduled. */
  readonly deadlineAt: number;
  readonly request: Omit<HttpRequest, 'timeoutMs'>;
  /** Hides the operation's secrets (and the client's) in its lines and errors. */
  readonly scrubber: Scrubber;
  /** The option holding the endpoint's URL, named in configuration errors. */
  readonly urlOption: string;
  /** What to check on a VALIDATION_ERROR for this operation (interpret()'s advice). */
  readonly validationAdvice?: string;
  /**
   * The value of an answer interpret() found successful: its parsed JSON (undefined when it is
   * not JSON), its text and the time it arrived. Throws a ShapeError for an unexpected shape.
   */
  readonly parse: (body: unknown, text: string, now: number) => T;
  /**
   * For `singleUse` runs: what the single-use credential is and what to do, used when a retry
   * after a lost attempt is refused with INVALID_TOKEN (the lost attempt may have used it).
   */
  readonly lostAttemptHint?: string;
  /**
   * How long one attempt may wait for TikTok's answer, when not the client's `timeoutMs`
   * (always cut at the deadline).
   */
  readonly attemptTimeoutMs?: number;
  /**
   * When a retry after a lost attempt (no answer: a timeout or a dropped connection) is refused:
   * the operation's value if that refusal means the lost attempt did the work (a revoke refused
   * because the token is already revoked), else undefined (the refusal is the operation's error).
   */
  readonly afterLostAttempt?: (error: TikTokAPIError) => { readonly value: T } | undefined;
  /** Told the operation's error just before it is thrown, after the failure line is logged. */
  readonly onFailure?: (error: TikTokAPIError) => void;
}

/** The least wait before retrying a rate-limited attempt that came without Retry-After. */
const RATE_LIMIT_MIN_DELAY_MS = 1000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The least time left before the deadline for an attempt to start. NOTE: an attempt with less
 * could not get TikTok's answer back, yet would reach TikTok and spend a single-use code.
 */
export const MIN_ATTEMPT_MS = 50;

/** The deadline left no time for a first attempt: nothing is sent. */
function deadlineFailure(run: OperationRun<unknown>): AttemptFailure {
  return new AttemptFailure(
    new TikTokAPIError({
      code: 'TIMEOUT_ERROR',
      message: `${run.label} failed: the operation deadline ran out before TikTok could be called. Try again shortly.`,
      correlationId: run.correlationId,
    }),
  );
}

/** Backoff before retry n (1-based): base × 2^(n−1), plus up to 20 % jitter. */
export function backoffDelay(baseMs: number, retry: number): number {
  const d = baseMs * 2 ** (retry - 1);
  return Math.round(d + Math.random() * d * 0.2);
}

/**
 * An attempt the deadline left less time than this says nothing about TikTok's health when it
 * times out: a healthy TikTok answers well within a second, but not within a sliver.
 */
const SHORT_ATTEMPT_MS = 1000;

function transportError(
  run: OperationRun<unknown>,
  f: TransportFailure,
  budgetHit: boolean,
  timeoutMs: number,
): AttemptFailure {
  const label = run.label;
  if (f.kind === 'tooLarge') {
    return new AttemptFailure(
      new TikTokAPIError({
        code: 'MALFORMED_RESPONSE',
        message: `${label} failed: TikTok's answer is larger than 1 MiB and was refused.`,
        correlationId: run.correlationId,
        cause: f,
      }),
    );
  }
  if (f.kind === 'timeout') {
    const why = budgetHit
      ? 'the operation deadline ran out'
      : `no complete answer within ${f.message.match(/\d+/)?.[0] ?? '?'} ms`;
    return new AttemptFailure(
      new TikTokAPIError({
        code: 'TIMEOUT_ERROR',
        message: `${label} failed: TikTok did not answer in time (${why}). Try again shortly.`,
        correlationId: run.correlationId,
        cause: f,
      }),
      'timeout',
      undefined,
      budgetHit && timeoutMs < SHORT_ATTEMPT_MS,
    );
  }
  return new AttemptFailure(
    new TikTokAPIError({
      code: 'NETWORK_ERROR',
      message: `${label} failed: could not reach TikTok (${f.message}). Check network access to TikTok and try again.`,
      correlationId: run.correlationId,
      cause: f,
    }),
    f.kind,
  );
}

/**
 * One `[TikTokOAuth] <operation> - <event>` line with the operation's correlation ID first,
 * through a SafeLogger made for the line (a successful operation at `info` writes none).
 */
function logEvent(
  s: OperationSettings,
  run: OperationRun<unknown>,
  level: LogLevel,
  event: string,
  meta: Record<string, unknown>,
): void {
  new SafeLogger(s.logger, run.scrubber).log(level, `[TikTokOAuth] ${run.operation} - ${event}`, {
    correlationId: run.correlationId,
    operation: run.operation,
    ...meta,
  });
}

/** Runs one operation: attempts, classification, backoff, logs and metrics. One error at most. */
export async function runOperation<T>(s: OperationSettings, run: OperationRun<T>): Promise<T> {
  // NOTE: `deadlineAt` is read against the wall clock once, here; from then on time is measured
  // on the monotonic clock, so that a wall clock stepped (NTP, a VM resumed) during the
  // operation neither stretches its deadline (back) nor cuts it (forward). The first attempt
  // reuses this reading.
  const started = performance.now();
  const deadline = started + (run.deadlineAt - Date.now());
  let ambiguousSeen = false;
  let spent = 0; // retry-budget tokens the current attempt cost
  const breaker = s.guard?.breaker;
  // NOTE: the levels are read once per operation, and every line's meta object is built only
  // when its level is on: at the default `info` level a successful operation builds no log line.
  const debug = levelEnabled(s.logger, 'debug');
  if (debug) logEvent(s, run, 'debug', 'start', { maxAttempts: s.maxAttempts });
  let lastFailure: AttemptFailure | undefined;
  for (let attempt = 1; ; attempt++) {
    const remaining = deadline - (attempt === 1 ? started : performance.now());
    if (remaining < MIN_ATTEMPT_MS) {
      // No permit taken, nothing sent: the breaker does not hear of it, and a retry's budget is
      // given back. After a first attempt, its failure is the operation's error.
      if (spent > 0) s.guard?.budget?.refund(spent);
      throw finalError(s, run, lastFailure ?? deadlineFailure(run), {
        attempt: lastFailure === undefined ? attempt : attempt - 1,
        started,
        ambiguousSeen,
        reason: 'deadline',
      });
    }
    const attemptLimit = run.attemptTimeoutMs ?? s.timeoutMs;
    const timeoutMs = Math.min(attemptLimit, remaining);
    const permit = breaker === undefined ? ALLOWED : breaker.permit();
    let failure: AttemptFailure;
    try {
      if (!permit.allowed) {
        // A retry the breaker refuses is never sent: its budget tokens come back, as when the
        // deadline leaves it no time.
        if (spent > 0) s.guard?.budget?.refund(spent);
        spent = 0;
        const endpoint = breaker?.endpoint ?? 'TikTok';
        throw new AttemptFailure(
          circuitOpenError(run.label, endpoint, run.correlationId, permit.retryInMs),
        );
      }
      const request = run.request;
      // NOTE: wall clock when the attempt was sent: the answer's `expires_in` (and Retry-After
      // dates) count from here. Tokens are issued between the send and the answer, so their
      // expiry errs early by the round trip, never late; and their issue time (expires_at less
      // the lifetime) is never after the request that made them. revoke() and a webhook removal
      // delete tokens issued up to a time: a refresh sent before a revoke but answered after it
      // is revoked with the rest, not kept as live.
      const sentAt = Date.now();
      const res = await s.transport({
        url: request.url,
        method: request.method,
        headers: request.headers,
        body: request.body,
        timeoutMs,
      });
      if (debug) {
        logEvent(s, run, 'debug', 'response', {
          status: res.status,
          durationMs: res.durationMs,
          attempt,
          logId: res.headers.get('x-tt-logid') ?? undefined,
        });
      }
      const value = interpret(
        {
          operationLabel: run.label,
          urlOption: run.urlOption,
          correlationId: run.correlationId,
          scrubber: run.scrubber,
          now: sentAt,
          validationAdvice: run.validationAdvice,
        },
        res,
        run.parse,
      );
      breaker?.recordSuccess(permit.probe);
      s.guard?.budget?.refund(spent);
      const metrics = s.metrics;
      if (debug || metrics !== undefined) {
        const durationMs = Math.max(0, Math.round(performance.now() - started));
        // debug, not info: at the default `info` level the package logs only what needs attention.
        if (debug) logEvent(s, run, 'debug', 'success', { attempt, durationMs });
        metrics?.requests.inc({ operation: run.operation, outcome: 'success' });
        metrics?.duration.observe({ operation: run.operation }, durationMs / 1000);
      }
      return value;
    } catch (err) {
      if (err instanceof AttemptFailure) failure = err;
      else if (err instanceof TransportFailure)
        failure = transportError(run, err, timeoutMs < attemptLimit, timeoutMs);
      else {
        // A bug, not TikTok's answer: free a half-open probe slot before surfacing it.
        if (permit.allowed) breaker?.recordNeutral(permit.probe);
        throw err;
      }
    }
    lastFailure = failure;
    const error = failure.error;
    if (failure.transport === 'timeout') s.metrics?.timeouts.inc({ operation: run.operation });
    if (permit.allowed && breaker !== undefined) {
      const health = failure.deadlineCut ? 'neutral' : healthOf(failure);
      if (health === 'failure') breaker.recordFailure(permit.probe);
      else if (health === 'success') breaker.recordSuccess(permit.probe);
      else breaker.recordNeutral(permit.probe);
    }
    const lostBefore = ambiguousSeen;
    let verdict = retryVerdict(s, failure, attempt, ambiguousSeen, run.mode, deadline);
    if (failure.transport === 'timeout' || failure.transport === 'ambiguous') ambiguousSeen = true;
    const settled =
      lostBefore && failure.transport === undefined ? run.afterLostAttempt?.(error) : undefined;
    if (settled !== undefined) {
      // TikTok refused the retry because the lost attempt did the work: the operation succeeded.
      logEvent(s, run, 'info', 'refusal after a lost attempt, taken as done', {
        attempt,
        tiktokError: error.tiktokError?.error,
        logId: error.logId,
      });
      // As any success: the retry's budget tokens come back, the duration is observed.
      s.guard?.budget?.refund(spent);
      s.metrics?.requests.inc({ operation: run.operation, outcome: 'success' });
      s.metrics?.duration.observe(
        { operation: run.operation },
        Math.max(0, performance.now() - started) / 1000,
      );
      return settled.value;
    }
    if (verdict.retry && s.guard?.budget !== undefined) {
      const cost = s.guard.budget.trySpend(failure.transport === 'timeout' && !failure.deadlineCut);
      if (cost === undefined) {
        verdict = { retry: false, reason: 'retry budget exhausted' };
        s.metrics?.retryBudgetExhausted?.inc({ operation: run.operation });
      } else {
        spent = cost;
      }
    }
    if (verdict.retry) {
      if (levelEnabled(s.logger, 'warn')) {
        logEvent(s, run, 'warn', 'retry', {
          attempt,
          reason: error.code,
          delayMs: verdict.delayMs,
          upstreamStatus: error.upstreamStatus,
          logId: error.logId,
          tiktokDescription: error.tiktokError?.description,
        });
      }
      s.metrics?.retries.inc({ operation: run.operation, reason: error.code });
      await sleep(verdict.delayMs);
      continue;
    }
    throw finalError(s, run, failure, { attempt, started, ambiguousSeen, reason: verdict.reason });
  }
}

/**
 * The operation's error after its last attempt, logged (`<operation> - failure`) and counted,
 * and told to `run.onFailure`.
 */
function finalError(
  s: OperationSettings,
  run: OperationRun<unknown>,
  failure: AttemptFailure,
  /** `started`: `performance.now()` ms. */
  at: { attempt: number; started: number; ambiguousSeen: boolean; reason: string },
): TikTokAPIError {
  const { attempt } = at;
  const error = failure.error;
  const final =
    run.mode === 'singleUse' && at.ambiguousSeen && attempt > 1 && error.code === 'INVALID_TOKEN'
      ? new TikTokAPIError({
          code: 'INVALID_TOKEN',
          message: `${run.label} failed: TikTok refused the retry with ${error.tiktokError?.error ?? 'INVALID_TOKEN'}. ${run.lostAttemptHint ?? 'The earlier attempt that got no answer may have used the single-use credential.'}`,
          correlationId: run.correlationId,
          ...(error.upstreamStatus === undefined ? {} : { upstreamStatus: error.upstreamStatus }),
          ...(error.logId === undefined ? {} : { logId: error.logId }),
          ...(error.tiktokError === undefined ? {} : { tiktokError: error.tiktokError }),
          cause: error,
        })
      : error;
  const durationMs = Math.max(0, Math.round(performance.now() - at.started));
  const level = final.retryable ? 'error' : 'warn';
  if (levelEnabled(s.logger, level)) {
    logEvent(s, run, level, 'failure', {
      attempt,
      durationMs,
      errorCode: final.code,
      retryable: final.retryable,
      upstreamStatus: final.upstreamStatus,
      logId: final.logId,
      tiktokError: final.tiktokError?.error,
      tiktokDescription: final.tiktokError?.description,
      reason: at.reason,
      // What to do about it (the error's message names the option to fix, for instance).
      detail: final.message,
    });
  }
  s.metrics?.requests.inc({ operation: run.operation, outcome: final.code });
  s.metrics?.duration.observe({ operation: run.operation }, durationMs / 1000);
  run.onFailure?.(final);
  return final;
}

function retryVerdict(
  s: OperationSettings,
  failure: AttemptFailure,
  attempt: number,
  ambiguousSeen: boolean,
  mode: RetryMode,
  /** The operation's deadline, `performance.now()` ms. */
  deadline: number,
): { retry: true; delayMs: number } | { retry: false; reason: string } {
  if (failure.error.code === 'CIRCUIT_OPEN') return { retry: false, reason: 'circuit open' };
  if (!failure.error.retryable) return { retry: false, reason: 'not retryable' };
  if (attempt >= s.maxAttempts) return { retry: false, reason: 'attempts exhausted' };
  const mayHaveReachedTikTok = failure.transport === 'timeout' || failure.transport === 'ambiguous';
  if (mode === 'singleUse' && mayHaveReachedTikTok && ambiguousSeen) {
    return { retry: false, reason: 'single-use code: one ambiguous retry already spent' };
  }
  const remaining = deadline - performance.now();
  let delayMs = backoffDelay(s.retryBaseDelayMs, attempt);
  // NOTE: TikTok limits each endpoint over a one-minute sliding window and documents no
  // Retry-After: a rate limit without one waits at least a second, not the 100 ms backoff,
  // which would only spend more of the window.
  if (failure.error.code === 'RATE_LIMIT' && failure.retryAfterMs === undefined) {
    delayMs = Math.max(delayMs, RATE_LIMIT_MIN_DELAY_MS);
  }
  if (failure.retryAfterMs !== undefined) {
    if (failure.retryAfterMs >= remaining)
      return { retry: false, reason: 'Retry-After beyond the deadline' };
    delayMs = Math.max(delayMs, failure.retryAfterMs);
  }
  // NOTE: the wait must leave room for an attempt that can get an answer back.
  if (delayMs + MIN_ATTEMPT_MS > remaining) return { retry: false, reason: 'deadline' };
  // NOTE: a longer wait (a far `deadlineAt`, a Retry-After of weeks) would end after 1 ms.
  if (delayMs > MAX_TIMER_MS) return { retry: false, reason: 'wait longer than a timer can hold' };
  return { retry: true, delayMs };
}
