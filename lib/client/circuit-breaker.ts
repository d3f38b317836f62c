import { describeValue } from '../describe-value';
/**
 * A circuit breaker for one TikTok endpoint. After a burst of transient failures (connection
 * errors, timeouts, 5xx) it opens: calls fail fast, without touching the network, until a
 * cool-down has passed; then one probe at a time is let through (half-open) and its outcome
 * closes the circuit or re-opens it for longer. TikTok answering at all — including OAuth 4xx
 * such as `invalid_grant`, and 429 — is never a failure here: only "TikTok is not working" is.
 */
export interface CircuitBreakerOptions {
  /** Share of failed attempts in the window that opens the circuit. Default: 0.5. */
  failureRatio?: number | undefined;
  /** Attempts the window must hold before the ratio counts (so 2 of 3 never trips). Default: 20. */
  minimumRequests?: number | undefined;
  /** Length of the rolling window. Default: 10 000 ms. */
  windowMs?: number | undefined;
  /** First cool-down when the circuit opens; doubles on each failed probe. Default: 5 000 ms. */
  openMs?: number | undefined;
  /**
   * Ceiling of the cool-down; also how long a probe may go unreported before it is presumed
   * lost and another one is let through (the lost probe's outcome, should it come after all, is
   * ignored). Default: 60 000 ms.
   */
  maxOpenMs?: number | undefined;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

/**
 * What the breaker decided for one attempt. `probe` is `false` for an ordinary attempt, and the
 * number of the half-open probe (1, 2, …) for a probe: the attempt's outcome is recorded with it,
 * so that the outcome of a probe that is no longer the current one is told apart and ignored.
 */
export type CircuitPermit =
  { allowed: true; probe: false | number } | { allowed: false; retryInMs: number };

const BUCKETS = 10;

// NOTE: the permit of an ordinary attempt is a shared, read-only object: one is asked for on
// every attempt (hot path).
/** @internal */
export const ALLOWED: CircuitPermit = Object.freeze({ allowed: true, probe: false });

function checkOption(
  value: number,
  name: string,
  ok: (v: number) => boolean,
  what: string,
): number {
  if (typeof value !== 'number' || !ok(value)) {
    throw new TypeError(
      `TikTokClient option circuitBreaker.${name} must be ${what}, got ${describeValue(value)}`,
    );
  }
  return value;
}
const positiveFinite = (v: number): boolean => Number.isFinite(v) && v > 0;

export class CircuitBreaker {
  private readonly failureRatio: number;
  private readonly minimumRequests: number;
  private readonly bucketMs: number;
  private readonly baseOpenMs: number;
  private readonly maxOpenMs: number;
  private readonly failures = new Array<number>(BUCKETS).fill(0);
  private readonly totals = new Array<number>(BUCKETS).fill(0);
  private bucketStart: number;
  private bucket = 0;
  private stateValue: CircuitState = 'closed';
  private openUntil = 0;
  private openMs: number;
  /** The number of the probe out now; 0 when none is. */
  private probeOut = 0;
  /** Probes let through so far: the last probe's number. */
  private probesSent = 0;
  private probeSentAt = 0;

  constructor(
    readonly endpoint: string,
    options: CircuitBreakerOptions = {},
    private readonly onTransition: (state: CircuitState, endpoint: string) => void = () =>
      undefined,
    // NOTE: a monotonic clock: only elapsed time matters here, and with Date.now a wall clock
    // stepped back (NTP, a VM resumed) would keep an open circuit open, and the window from
    // rotating, for as long as the step.
    private readonly now: () => number = () => performance.now(),
  ) {
    // Options are checked up front: a NaN windowMs would stop the window rotating for good, a
    // ratio of 0 or a negative cool-down would silently do something else.
    const o = options;
    const ratio = (v: number): boolean => v > 0 && v <= 1;
    this.failureRatio = checkOption(o.failureRatio ?? 0.5, 'failureRatio', ratio, 'in (0, 1]');
    this.minimumRequests = checkOption(
      o.minimumRequests ?? 20,
      'minimumRequests',
      (v) => Number.isSafeInteger(v) && v > 0,
      'a positive integer',
    );
    const windowMs = checkOption(o.windowMs ?? 10_000, 'windowMs', positiveFinite, 'positive');
    this.bucketMs = Math.max(1, Math.round(windowMs / BUCKETS));
    this.baseOpenMs = checkOption(o.openMs ?? 5_000, 'openMs', positiveFinite, 'positive');
    const maxOpenMs = checkOption(o.maxOpenMs ?? 60_000, 'maxOpenMs', positiveFinite, 'positive');
    this.maxOpenMs = Math.max(this.baseOpenMs, maxOpenMs);
    this.openMs = this.baseOpenMs;
    // The window starts now (not at 0: an injected clock may start at 0).
    this.bucketStart = this.now();
  }

  get state(): CircuitState {
    return this.stateValue;
  }

  /** Asks to send one attempt. A denied attempt must not be sent. */
  permit(): CircuitPermit {
    const now = this.now();
    if (this.stateValue === 'open') {
      if (now < this.openUntil) return { allowed: false, retryInMs: this.openUntil - now };
      this.transition('half-open');
    }
    if (this.stateValue === 'half-open') {
      // A probe whose outcome has not come back is presumed lost after maxOpenMs, so it cannot
      // hold the slot forever: its attempt threw something unexpected, or its timeout is at least
      // maxOpenMs. It is replaced by a new probe, and its outcome, if it comes after all, is
      // ignored (see isCurrentProbe).
      const lost = now - this.probeSentAt >= this.maxOpenMs;
      if (this.probeOut !== 0 && !lost) {
        return { allowed: false, retryInMs: Math.min(1000, this.openMs) };
      }
      this.probesSent += 1;
      this.probeOut = this.probesSent;
      this.probeSentAt = now;
      return { allowed: true, probe: this.probeOut };
    }
    return ALLOWED;
  }

  /**
   * TikTok answered (any status that shows it is working). `probe` is the attempt's
   * {@link CircuitPermit} `probe`.
   */
  recordSuccess(probe: false | number): void {
    if (probe !== false) {
      if (!this.isCurrentProbe(probe)) return;
      this.probeOut = 0;
      this.openMs = this.baseOpenMs;
      this.resetWindow();
      this.transition('closed');
      return;
    }
    // Only the probe decides while the circuit is not closed: the outcome of an attempt let
    // through before the circuit opened is old news, and must not free the probe's slot.
    if (this.stateValue !== 'closed') return;
    this.add(false);
  }

  /** TikTok did not work: connection failure, timeout, 5xx. */
  recordFailure(probe: false | number): void {
    const now = this.now();
    if (probe !== false) {
      if (!this.isCurrentProbe(probe)) return;
      this.probeOut = 0;
      this.openMs = Math.min(this.openMs * 2, this.maxOpenMs);
      this.open(now);
      return;
    }
    if (this.stateValue !== 'closed') return; // see recordSuccess
    this.add(true);
    const { failures, total } = this.counts();
    if (total >= this.minimumRequests && failures / total >= this.failureRatio) this.open(now);
  }

  /** Neither: e.g. a 429 or an attempt abandoned for another reason; frees a probe slot. */
  recordNeutral(probe: false | number): void {
    if (probe !== false && this.isCurrentProbe(probe)) this.probeOut = 0;
  }

  /**
   * Whether `probe` is the probe out now. Any other one was presumed lost and replaced: a newer
   * probe holds the slot, or has already closed or re-opened the circuit. Its outcome is old
   * news, like that of an attempt let through before the circuit opened: it neither closes nor
   * re-opens the circuit (which would double the cool-down) nor frees the slot (two probes out).
   */
  private isCurrentProbe(probe: number): boolean {
    return probe === this.probeOut;
  }

  private open(now: number): void {
    this.openUntil = now + this.openMs;
    this.resetWindow();
    this.transition('open');
  }

  private transition(state: CircuitState): void {
    if (this.stateValue === state) return;
    this.stateValue = state;
    this.onTransition(state, this.endpoint);
  }

  private rotate(): void {
    const now = this.now();
    const steps = Math.floor((now - this.bucketStart) / this.bucketMs);
    if (steps <= 0) return;
    for (let i = 0; i < Math.min(steps, BUCKETS); i++) {
      this.bucket = (this.bucket + 1) % BUCKETS;
      this.failures[this.bucket] = 0;
      this.totals[this.bucket] = 0;
    }
    this.bucketStart += steps * this.bucketMs;
  }

  private add(failed: boolean): void {
    this.rotate();
    this.totals[this.bucket] = (this.totals[this.bucket] ?? 0) + 1;
    if (failed) this.failures[this.bucket] = (this.failures[this.bucket] ?? 0) + 1;
  }

  private counts(): { failures: number; total: number } {
    let failures = 0;
    let total = 0;
    for (let i = 0; i < BUCKETS; i++) {
      failures += this.failures[i] ?? 0;
      total += this.totals[i] ?? 0;
    }
    return { failures, total };
  }

  private resetWindow(): void {
    this.failures.fill(0);
    this.totals.fill(0);
    this.bucketStart = this.now();
  }
}
