import { codeForUpstreamError, TikTokAPIError, type TikTokErrorCode } from '../errors';
import type { Scrubber } from '../logging';
import type { HttpResponse } from './http';
import { envelopeError, flatError, logIdOf, parseJson, ShapeError } from './parse';

/** How one attempt failed, with what the retry policy needs to know. */
export class AttemptFailure extends Error {
  override readonly name = 'AttemptFailure';
  constructor(
    readonly error: TikTokAPIError,
    /** Set for transport failures: whether the request may have reached TikTok. */
    readonly transport?: 'notSent' | 'ambiguous' | 'timeout',
    /** From `Retry-After`, when TikTok sent one. */
    readonly retryAfterMs?: number,
    /**
     * A timeout cut short by the operation's deadline (not the endpoint's `timeoutMs`): says
     * nothing about TikTok's health, so the circuit breaker does not count it.
     */
    readonly deadlineCut = false,
  ) {
    super(error.message);
  }
}

export interface InterpretContext {
  readonly operationLabel: string;
  /** Option that holds this endpoint's URL, named in configuration errors. */
  readonly urlOption: string;
  readonly correlationId: string;
  readonly scrubber: Scrubber;
  readonly now: number;
  /** What to check on a VALIDATION_ERROR for this operation. Default: the generic advice. */
  readonly validationAdvice?: string;
}

const ADVICE: Partial<Record<TikTokErrorCode, string>> = {
  INVALID_CREDENTIALS:
    'Check TIKTOK_CLIENT_KEY / TIKTOK_CLIENT_SECRET, and that sandbox and production keys are not mixed.',
  INVALID_TOKEN: 'The code or token is invalid, used, expired or revoked: log in again.',
  VALIDATION_ERROR: 'TikTok refused the request parameters.',
  SCOPE_NOT_AUTHORIZED:
    'The user did not grant a scope this call needs, or the app is not approved for it.',
  RATE_LIMIT: 'TikTok is rate limiting this app: try again shortly.',
  API_ERROR: 'TikTok is having trouble: try again shortly.',
  ACCESS_DENIED: 'The user declined the authorization.',
};

/**
 * How much of a longer description is decoded and scrubbed. NOTE: decoding the 1 MiB of escapes
 * a misbehaving TikTok or proxy can send cost ~150 ms of the event loop; percent-decoding
 * shrinks text at most fivefold (`%2541` → `A`), so this head still decodes to more than 25 000
 * characters: the result's `max` plus the longest escaped form of any secret around them.
 */
const DESCRIPTION_INPUT_CHARS = 131_072;

/**
 * Percent-escapes decoded (either case of hex digits, twice for double encoding), control
 * characters out, this operation's secrets replaced, then `max` chars (default 200) and `…`.
 */
export function cleanDescription(text: string, scrubber: Scrubber, max = 200): string {
  // NOTE: decoding never makes a control character (printable ASCII escapes only), so they go
  // first, over the whole text (linear, and a long run of them cannot push the text out).
  // eslint-disable-next-line no-control-regex
  let printable = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  if (printable.length > DESCRIPTION_INPUT_CHARS) {
    // Cut at the last space before the limit: whatever follows it could be the head of a secret
    // that the scrubber, seeing only part of it, would not recognise (no secret holds a space).
    // An unbroken run of that many characters is no description: nothing of it is kept.
    const head = printable.slice(0, DESCRIPTION_INPUT_CHARS);
    printable = `${head.slice(0, Math.max(0, head.lastIndexOf(' ')))} …`;
  }
  // NOTE: scrubbed before it is cut, so that a secret straddling the limit is still recognised
  // whole and no head of it stays in the text.
  const flat = scrubber.scrub(decodePercentEscapes(printable).trim());
  if (flat.length <= max) return flat;
  // Never cuts a surrogate pair (an emoji) in half: a lone surrogate is turned into U+FFFD or
  // rejected by JSON logs and UTF-8 pages.
  const end = /[\uD800-\uDBFF]/.test(flat.charAt(max - 1)) ? max - 1 : max;
  return `${flat.slice(0, end)}…`;
}

/** `%2a`, `%2A` and `%252A` → `*`: printable ASCII escapes only, so the text stays valid. */
function decodePercentEscapes(text: string): string {
  let out = text;
  for (let round = 0; round < 2 && out.includes('%'); round++) {
    out = out.replace(/%([2-7][0-9a-fA-F])/g, (escape, hex: string) => {
      const c = Number.parseInt(hex, 16);
      return c === 0x7f ? escape : String.fromCharCode(c);
    });
  }
  return out;
}

/**
 * TikTok's `log_id` or error name as received, or undefined when it carries a secret of this
 * operation. NOTE: both pass the safe-character checks whatever their content, so an answer
 * echoing the client secret or a token as `log_id` / `error` would otherwise put it in the
 * error's message, which the error handler shows the browser.
 */
function unlessSecret(value: string | undefined, scrubber: Scrubber): string | undefined {
  return value !== undefined && scrubber.scrub(value) === value ? value : undefined;
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d{1,7}$/.test(trimmed)) return Number(trimmed) * 1000;
  // NOTE: only an HTTP-date (RFC 9110: it starts with a day name) goes to Date.parse, whose
  // legacy parser reads junk like "-1" or "1.5" as dates in 2001.
  if (!/^[A-Za-z]{3,9},? /.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function fail(
  ctx: InterpretContext,
  res: HttpResponse,
  code: TikTokErrorCode,
  message: string,
  extra: { retryable?: boolean; logId?: string; error?: string; description?: string } = {},
): AttemptFailure {
  const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), ctx.now);
  const error = new TikTokAPIError({
    code,
    message,
    correlationId: ctx.correlationId,
    upstreamStatus: res.status,
    ...(extra.retryable === undefined ? {} : { retryable: extra.retryable }),
    ...(extra.logId === undefined ? {} : { logId: extra.logId }),
    ...(extra.error === undefined
      ? {}
      : {
          tiktokError: {
            error: extra.error,
            ...(extra.description === undefined ? {} : { description: extra.description }),
          },
        }),
    ...(retryAfterMs === undefined ? {} : { retryAfterSeconds: Math.ceil(retryAfterMs / 1000) }),
  });
  return new AttemptFailure(error, undefined, retryAfterMs);
}

/**
 * Turns TikTok's answer into the parsed value or an AttemptFailure.
 * NOTE: TikTok sends OAuth errors with HTTP 200 (observed; docs/tiktok-api.md): the body decides, so
 * an `error` in the body is a failure whatever the status, before the status is even looked at.
 */
export function interpret<T>(
  ctx: InterpretContext,
  res: HttpResponse,
  parseSuccess: (body: unknown, text: string, now: number) => T,
): T {
  const label = ctx.operationLabel;
  if (res.status >= 300 && res.status < 400) {
    return raise(
      fail(
        ctx,
        res,
        'CONFIGURATION_ERROR',
        `${label} failed: TikTok answered with a redirect (HTTP ${res.status}), which is never followed. Check the ${ctx.urlOption} option.`,
      ),
    );
  }
  if (res.status === 404 && res.text.includes('Unsupported path')) {
    return raise(
      fail(
        ctx,
        res,
        'CONFIGURATION_ERROR',
        `${label} failed: TikTok answered 404 "Unsupported path": the ${ctx.urlOption} URL is wrong. TikTok's endpoints end with a slash, e.g. https://open.tiktokapis.com/v2/oauth/token/.`,
      ),
    );
  }
  const body = parseJson(res.text);
  const upstream = flatError(body) ?? envelopeError(body);
  // TikTok's log id only matters when the answer fails: a success skips the secret scan.
  const answeredOk = upstream === undefined && res.status >= 200 && res.status < 300;
  const logId = answeredOk ? undefined : unlessSecret(logIdOf(body, res.headers), ctx.scrubber);
  if (upstream !== undefined) {
    const { code, retryable } = codeForUpstreamError(upstream.error, res.status);
    const safeError =
      /^[A-Za-z0-9_.-]{1,64}$/.test(upstream.error) &&
      unlessSecret(upstream.error, ctx.scrubber) !== undefined
        ? upstream.error
        : 'unknown_error';
    const description =
      upstream.description === undefined
        ? undefined
        : cleanDescription(upstream.description, ctx.scrubber);
    const advice =
      (code === 'VALIDATION_ERROR' ? ctx.validationAdvice : undefined) ?? ADVICE[code] ?? '';
    const logPart = logId === undefined ? '' : ` (TikTok log_id ${logId})`;
    // TikTok's description stays out of the message (apps show messages to people); it is on
    // `tiktokError.description` and in the operation's failure log line.
    return raise(
      fail(
        ctx,
        res,
        code,
        `${label} failed: TikTok answered ${safeError}${logPart}. ${advice}`.trim(),
        {
          ...(retryable === undefined ? {} : { retryable }),
          ...(logId === undefined ? {} : { logId }),
          error: safeError,
          ...(description === undefined ? {} : { description }),
        },
      ),
    );
  }
  const logExtra = logId === undefined ? {} : { logId };
  if (res.status === 429) {
    return raise(
      fail(
        ctx,
        res,
        'RATE_LIMIT',
        `${label} failed: TikTok answered HTTP 429. ${ADVICE.RATE_LIMIT ?? ''}`,
        logExtra,
      ),
    );
  }
  if (res.status >= 500) {
    return raise(
      fail(
        ctx,
        res,
        'API_ERROR',
        `${label} failed: TikTok answered HTTP ${res.status}. ${ADVICE.API_ERROR ?? ''}`,
        logExtra,
      ),
    );
  }
  if (res.status === 404) {
    return raise(
      fail(
        ctx,
        res,
        'CONFIGURATION_ERROR',
        `${label} failed: TikTok answered 404: check the ${ctx.urlOption} option.`,
        logExtra,
      ),
    );
  }
  if (res.status < 200 || res.status >= 300) {
    return raise(
      fail(
        ctx,
        res,
        'API_ERROR',
        `${label} failed: TikTok answered HTTP ${res.status} without an error body.`,
        { ...logExtra, retryable: false },
      ),
    );
  }
  try {
    return parseSuccess(body, res.text, ctx.now);
  } catch (err) {
    if (!(err instanceof ShapeError)) throw err;
    const type = res.headers.get('content-type') ?? 'no content-type';
    const what =
      body === undefined
        ? `a body that is not JSON (${cleanDescription(type, ctx.scrubber, 60)})`
        : `an unexpected shape (${err.message})`;
    const malformedLogId = unlessSecret(logIdOf(body, res.headers), ctx.scrubber);
    return raise(
      fail(
        ctx,
        res,
        'MALFORMED_RESPONSE',
        `${label} failed: TikTok answered ${what}.`,
        malformedLogId === undefined ? {} : { logId: malformedLogId },
      ),
    );
  }
}

function raise(failure: AttemptFailure): never {
  throw failure;
}
