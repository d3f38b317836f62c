import type { RecordedRequest } from './types';

/**
 * The longest delay a Node.js timer honours (a longer one fires after 1 ms). NOTE: the package's
 * own constant is not imported: the testing entry is built apart from the main one and loads
 * nothing of lib/ outside lib/testing/.
 */
const MAX_TIMER_MS = 2_147_483_647;

/** Bodies a `malformed` fault answers with HTTP 200. */
export type MalformedKind =
  'truncated' | 'html' | 'oversized' | 'null' | 'array' | 'string' | 'empty' | 'not-json';

const MALFORMED_KINDS: ReadonlySet<string> = new Set<MalformedKind>([
  'truncated',
  'html',
  'oversized',
  'null',
  'array',
  'string',
  'empty',
  'not-json',
]);

/**
 * A misbehaviour to inject with `tt.inject(endpoint, fault)`.
 *
 * When a fault sets several things, the first that applies wins, in this order (after
 * `delayMs`, which waits first for all but `hang`): `hang`, `reset`, `redirect`, `malformed`,
 * `trickle`, `tiktokError`, `status`/`body`.
 * A fault with only `delayMs` (and/or `retryAfter`/`headers`) delays the normal answer.
 *
 * On `token` and `revoke`, a fault TikTok would have answered after processing the request —
 * `delayMs` alone (even past the client's timeout), `reset: 'mid-body'`, `trickle` — lets the
 * request be processed first (the code is spent, the refresh token rotates, the token is
 * revoked) and then delivers the real answer late, cut or trickled. The others (`hang`,
 * `reset: 'before-headers'`, `redirect`, `malformed`, `tiktokError`, `status`/`body`) answer
 * instead of the endpoint: the request is not processed. The table: docs/emulator.md.
 */
export interface EmulatorFault {
  /** Answer with this HTTP status. Default 200 when `body` is given. */
  status?: number | undefined;
  /** Answer with this body: a string as-is (text/plain), an object as JSON. Default empty. */
  body?: string | object | undefined;
  /** Extra response headers (also added to normal handling after a delay). */
  headers?: Record<string, string> | undefined;
  /**
   * An error in TikTok's shape for that endpoint: flat `{error, error_description, log_id}` for
   * token/revoke, the `{data:{}, error:{code, message, log_id}}` envelope for user info, and a
   * redirect back to `redirect_uri` with `error=` for authorize. Default status: on token and
   * revoke, the one the emulator gives that error (`oauthErrorStatus`: 200 unless
   * `'documented'`); 200 on user info.
   */
  tiktokError?: { error: string; description?: string; status?: number } | undefined;
  /** Adds a `Retry-After` header (use with `status: 429` or `503`). */
  retryAfter?: number | string | undefined;
  /**
   * Wait this long before answering. On `token` and `revoke` the request is processed before the
   * wait (the answer is what comes late); elsewhere it is handled after the wait.
   */
  delayMs?: number | undefined;
  /**
   * Accept the request and never answer (until the client gives up or `close()`); the request is
   * not processed.
   */
  hang?: boolean | undefined;
  /**
   * Destroy the connection before any byte (the request is not processed), or after the headers
   * and half the body: on `token` and `revoke`, half of the real answer of the processed request
   * (a fault's `status` / `body` replace its own); elsewhere of a success-looking body.
   */
  reset?: 'before-headers' | 'mid-body' | undefined;
  /** HTTP 200 with a broken body; `oversized` is 10 MiB of application/json. */
  malformed?: MalformedKind | undefined;
  /**
   * An answer written one byte per `intervalMs` (default 1000): on `token` and `revoke` the real
   * answer of the processed request, elsewhere HTTP 200 with a success-looking JSON body.
   */
  trickle?: { intervalMs?: number } | undefined;
  /** Answer 302 with this `Location`. */
  redirect?: string | undefined;
  /** Only requests for which this returns true consume (or roll for) the fault. */
  match?: ((req: RecordedRequest) => boolean) | undefined;
  /** How many requests the fault applies to. Default 1 (Infinity with `probability`). */
  times?: number | undefined;
  /** Apply to this share (0..1) of matching requests, at random; persistent unless `times`. */
  probability?: number | undefined;
}

function fail(what: string): never {
  throw new TypeError(`TikTok emulator: invalid fault, ${what}`);
}

function isNonNegativeNumber(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/** A delay a Node.js timer honours (a longer one fires after 1 ms). */
function isTimerDelay(value: unknown): boolean {
  return isNonNegativeNumber(value) && (value as number) <= MAX_TIMER_MS;
}

/** An HTTP status that ends an answer. */
function isFinalStatus(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 200 && value <= 599;
}

/** Checks a fault up front so that a typo fails the test that injects it, not a later one. */
export function validateFault(fault: EmulatorFault): void {
  if (typeof fault !== 'object' || fault === null) fail('expected an object');
  const { status, times, probability, delayMs, reset, malformed, trickle } = fault;
  // NOTE: not 1xx: an informational status is no final answer (the client waits, or drops the
  // connection), so a fault with one would hang the test instead of answering it.
  if (status !== undefined && !isFinalStatus(status)) {
    fail('`status` must be an integer final HTTP status (200-599)');
  }
  if (times !== undefined && !(times === Infinity || (Number.isInteger(times) && times > 0))) {
    fail('`times` must be a positive integer or Infinity');
  }
  if (probability !== undefined && !(isNonNegativeNumber(probability) && probability <= 1)) {
    fail('`probability` must be a number between 0 and 1');
  }
  if (delayMs !== undefined && !isTimerDelay(delayMs)) {
    fail(
      `\`delayMs\` must be a non-negative number up to ${MAX_TIMER_MS} (use \`hang\` for no answer)`,
    );
  }
  if (reset !== undefined && reset !== 'before-headers' && reset !== 'mid-body') {
    fail("`reset` must be 'before-headers' or 'mid-body'");
  }
  if (malformed !== undefined && !MALFORMED_KINDS.has(malformed)) {
    fail(`\`malformed\` must be one of ${[...MALFORMED_KINDS].join(', ')}`);
  }
  if (trickle?.intervalMs !== undefined && !isTimerDelay(trickle.intervalMs)) {
    fail(`\`trickle.intervalMs\` must be a non-negative number up to ${MAX_TIMER_MS}`);
  }
  if (fault.tiktokError !== undefined && typeof fault.tiktokError.error !== 'string') {
    fail('`tiktokError.error` must be a string');
  }
  const errorStatus = fault.tiktokError?.status;
  if (errorStatus !== undefined && !isFinalStatus(errorStatus)) {
    fail('`tiktokError.status` must be an integer final HTTP status (200-599)');
  }
  if (fault.match !== undefined && typeof fault.match !== 'function') {
    fail('`match` must be a function');
  }
}
