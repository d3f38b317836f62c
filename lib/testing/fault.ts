import { validateHeaderName, validateHeaderValue } from 'node:http';
import { isRecord } from './options';
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
  /**
   * Answer with this body: a string as-is (text/plain), a `Buffer` as its raw bytes
   * (application/octet-stream), any other object or array as JSON. Default empty. A `headers`
   * entry `content-type` replaces the type.
   */
  body?: string | object | undefined;
  /**
   * Extra response headers (also added to normal handling after a delay). Names and values must
   * be valid HTTP (checked by `inject`): a value is Latin-1 text without control characters.
   */
  headers?: Record<string, string> | undefined;
  /**
   * An error in TikTok's shape for that endpoint: flat `{error, error_description, log_id}` for
   * token/revoke, the `{data:{}, error:{code, message, log_id}}` envelope for user info, and a
   * redirect back to `redirect_uri` with `error=` for authorize. Default status: on token and
   * revoke, the one the emulator gives that error (`oauthErrorStatus`: 200 unless
   * `'documented'`); 200 on user info. Set another with `tiktokError.status`: a top-level `status`
   * with `tiktokError` is a TypeError.
   */
  tiktokError?: { error: string; description?: string; status?: number } | undefined;
  /**
   * Adds a `Retry-After` header (use with `status: 429` or `503`): whole seconds (a non-negative
   * integer, or a string of digits) or an HTTP date (`'Wed, 21 Oct 2015 07:28:00 GMT'`). Any
   * other value, to test a client's parsing, goes in `headers`.
   */
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

/** The fields of an `EmulatorFault`, in the order of its documentation. */
const FAULT_KEYS: readonly string[] = [
  'status',
  'body',
  'headers',
  'tiktokError',
  'retryAfter',
  'delayMs',
  'hang',
  'reset',
  'malformed',
  'trickle',
  'redirect',
  'match',
  'times',
  'probability',
];

const TIKTOK_ERROR_KEYS: readonly string[] = ['error', 'description', 'status'];

const TRICKLE_KEYS: readonly string[] = ['intervalMs'];

/** `value` as an error message shows it. */
function shown(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/** Fails on the first key of `value` that is not in `allowed`. */
function checkKeys(
  where: string,
  value: Record<string, unknown>,
  allowed: readonly string[],
): void {
  const unknown = Object.keys(value).find((key) => !allowed.includes(key));
  if (unknown !== undefined) {
    fail(`unknown field \`${where}${unknown}\` (the fields: ${allowed.join(', ')})`);
  }
}

function isNonNegativeNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/** A delay a Node.js timer honours (a longer one fires after 1 ms). */
function isTimerDelay(value: unknown): boolean {
  return isNonNegativeNumber(value) && value <= MAX_TIMER_MS;
}

/** An HTTP status that ends an answer. */
function isFinalStatus(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 200 && value <= 599;
}

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '\\d{2}:\\d{2}:\\d{2}';

/**
 * The three forms of an HTTP-date (RFC 9110 §5.6.7): IMF-fixdate
 * (`Sun, 06 Nov 1994 08:49:37 GMT`), the obsolete RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`)
 * and asctime (`Sun Nov  6 08:49:37 1994`) forms.
 */
const HTTP_DATE = new RegExp(
  `^(?:${DAY}, \\d{2} ${MONTH} \\d{4} ${TIME} GMT|${LONG_DAY}, \\d{2}-${MONTH}-\\d{2} ${TIME} GMT|${DAY} ${MONTH} (?: \\d|\\d{2}) ${TIME} \\d{4})$`,
);

/** A `Retry-After` value (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. */
function isRetryAfter(value: unknown): boolean {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0;
  if (typeof value !== 'string') return false;
  return /^\d{1,15}$/.test(value) || (HTTP_DATE.test(value) && !Number.isNaN(Date.parse(value)));
}

/** Fails unless `name: value` can be sent as a response header. */
function checkHeader(where: string, name: string, value: unknown): void {
  try {
    validateHeaderName(name);
  } catch {
    fail(
      `${where} has the header name ${shown(name)}, which HTTP does not allow (a token: letters, digits, !#$%&'*+-.^_\`|~)`,
    );
  }
  if (typeof value !== 'string') {
    fail(`${where}[${JSON.stringify(name)}] must be a string (got ${shown(value)})`);
  }
  try {
    validateHeaderValue(name, value);
  } catch {
    fail(
      `${where}[${JSON.stringify(name)}] is ${shown(value)}, which HTTP does not allow in a header (Latin-1 text without control characters: encode anything else, e.g. with encodeURIComponent)`,
    );
  }
}

function checkHeaders(headers: unknown): void {
  if (!isRecord(headers)) {
    fail(`\`headers\` must be an object of header names to string values (got ${shown(headers)})`);
  }
  for (const [name, value] of Object.entries(headers)) checkHeader('`headers`', name, value);
}

function checkBody(body: unknown): void {
  if (typeof body === 'string' || body instanceof Uint8Array) return;
  if (typeof body !== 'object' || body === null) {
    fail(
      `\`body\` must be a string (sent as text/plain), a Buffer (sent as is) or an object or array (sent as JSON) (got ${shown(body)})`,
    );
  }
  try {
    JSON.stringify(body);
  } catch (error: unknown) {
    fail(
      `\`body\` cannot be sent as JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

function checkTikTokError(spec: unknown, status: unknown): void {
  if (!isRecord(spec)) {
    fail(
      `\`tiktokError\` must be an object ({ error, description?, status? }) (got ${shown(spec)})`,
    );
  }
  checkKeys('tiktokError.', spec, TIKTOK_ERROR_KEYS);
  if (typeof spec.error !== 'string') fail('`tiktokError.error` must be a string');
  if (spec.description !== undefined && typeof spec.description !== 'string') {
    fail(`\`tiktokError.description\` must be a string (got ${shown(spec.description)})`);
  }
  if (spec.status !== undefined && !isFinalStatus(spec.status)) {
    fail('`tiktokError.status` must be an integer final HTTP status (200-599)');
  }
  // NOTE: `tiktokError` answers before `status` would be read: a top-level status was ignored.
  if (status !== undefined) {
    fail(
      '`status` does not apply with `tiktokError`: give the HTTP status as `tiktokError.status` (e.g. { tiktokError: { error, status: 429 } })',
    );
  }
}

function checkTrickle(trickle: unknown): void {
  if (!isRecord(trickle)) {
    fail(`\`trickle\` must be an object ({ intervalMs? }; {} for 1000 ms) (got ${shown(trickle)})`);
  }
  checkKeys('trickle.', trickle, TRICKLE_KEYS);
  if (trickle.intervalMs !== undefined && !isTimerDelay(trickle.intervalMs)) {
    fail(`\`trickle.intervalMs\` must be a non-negative number up to ${MAX_TIMER_MS}`);
  }
}

/** Checks the fields that answer or damage the request. */
function checkAnswerFields(fault: Record<string, unknown>): void {
  const { status, body, headers, tiktokError, retryAfter, reset, malformed, trickle, redirect } =
    fault;
  // NOTE: not 1xx: an informational status is no final answer (the client waits, or drops the
  // connection), so a fault with one would hang the test instead of answering it.
  if (status !== undefined && !isFinalStatus(status)) {
    fail('`status` must be an integer final HTTP status (200-599)');
  }
  if (body !== undefined) checkBody(body);
  // NOTE: checked here, not when the answer is written: a header Node.js refuses would make the
  // endpoint answer 500 after processing the request (a code spent, a token rotated).
  if (headers !== undefined) checkHeaders(headers);
  if (tiktokError !== undefined) checkTikTokError(tiktokError, status);
  if (retryAfter !== undefined && !isRetryAfter(retryAfter)) {
    fail(
      `\`retryAfter\` must be a non-negative integer of seconds or an HTTP date such as 'Wed, 21 Oct 2015 07:28:00 GMT' (got ${shown(retryAfter)}); to send another value, use \`headers: { 'retry-after': … }\``,
    );
  }
  if (reset !== undefined && reset !== 'before-headers' && reset !== 'mid-body') {
    fail("`reset` must be 'before-headers' or 'mid-body'");
  }
  if (
    malformed !== undefined &&
    !(typeof malformed === 'string' && MALFORMED_KINDS.has(malformed))
  ) {
    fail(`\`malformed\` must be one of ${[...MALFORMED_KINDS].join(', ')}`);
  }
  if (trickle !== undefined) checkTrickle(trickle);
  if (redirect !== undefined) {
    if (typeof redirect !== 'string' || redirect === '') {
      fail(
        `\`redirect\` must be a non-empty string, the Location to send (got ${shown(redirect)})`,
      );
    }
    checkHeader('`redirect`', 'location', redirect);
  }
}

/**
 * Checks a fault up front so that a typo fails the test that injects it, not a later one: an
 * unknown field, a field of the wrong type, a header HTTP does not allow are TypeErrors naming the
 * field.
 */
export function validateFault(fault: unknown): asserts fault is EmulatorFault {
  if (!isRecord(fault)) fail(`expected an object (got ${shown(fault)})`);
  checkKeys('', fault, FAULT_KEYS);
  checkAnswerFields(fault);
  const { times, probability, delayMs, hang, match } = fault;
  if (
    times !== undefined &&
    !(typeof times === 'number' && (times === Infinity || (Number.isInteger(times) && times > 0)))
  ) {
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
  if (hang !== undefined && typeof hang !== 'boolean') {
    fail(`\`hang\` must be true or false (got ${shown(hang)})`);
  }
  if (match !== undefined && typeof match !== 'function') {
    fail('`match` must be a function');
  }
}
