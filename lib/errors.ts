/**
 * The one error class every TikTok failure surfaces as, its stable codes, and the mapping from
 * TikTok's own error identifiers to those codes. See docs/errors.md.
 */

/** Stable error codes. Apps switch on these; they never change meaning. */
export const TikTokErrorCode = {
  NETWORK_ERROR: 'NETWORK_ERROR',
  TIMEOUT_ERROR: 'TIMEOUT_ERROR',
  RATE_LIMIT: 'RATE_LIMIT',
  API_ERROR: 'API_ERROR',
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  INVALID_TOKEN: 'INVALID_TOKEN',
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  VALIDATION_ERROR: 'VALIDATION_ERROR',
  ACCESS_DENIED: 'ACCESS_DENIED',
  INVALID_STATE: 'INVALID_STATE',
  SCOPE_NOT_AUTHORIZED: 'SCOPE_NOT_AUTHORIZED',
  MALFORMED_RESPONSE: 'MALFORMED_RESPONSE',
  /**
   * The app's setup is wrong: an endpoint URL (TikTok's `404 Unsupported path`, or a redirect), a
   * `clientKey`/`clientSecret` function's value, a body parser that read a webhook's body first,
   * a stored token record that cannot be read, a Redis reply that retrying cannot fix, a session
   * middleware whose `req.session` has no `save()` or `regenerate()` (cookie-session), or a verify
   * that can never finish a login.
   */
  CONFIGURATION_ERROR: 'CONFIGURATION_ERROR',
  /**
   * A dependency of ours is not there or did not answer: the session (a login started without
   * one too), the claim or token store, the removal list, Redis or its replicas, or a
   * `clientKey`/`clientSecret` function. Also a webhook delivery that overlaps another of the
   * same event.
   */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  /** A login or webhook URL was called with another method (a HEAD or POST callback, a GET webhook). */
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  /** TikTok kept failing, the circuit breaker is open: failing fast without a call. */
  CIRCUIT_OPEN: 'CIRCUIT_OPEN',
  /** A webhook's `TikTok-Signature` is missing, wrong, or its timestamp is out of tolerance. */
  INVALID_SIGNATURE: 'INVALID_SIGNATURE',
  /** A request body (a webhook delivery) is larger than the configured cap. */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** The app's webhook handler (`onEvent`) failed or ran out of time; TikTok retries. */
  WEBHOOK_HANDLER_ERROR: 'WEBHOOK_HANDLER_ERROR',
} as const;
export type TikTokErrorCode = (typeof TikTokErrorCode)[keyof typeof TikTokErrorCode];

/** What a {@link TikTokErrorCode} means for an app: retry or not, and the status to answer. */
export interface CodeInfo {
  readonly retryable: boolean;
  readonly statusCode: number;
}

/** The error table (docs/errors.md): whether a code is worth retrying and the HTTP status to answer. */
export const ERROR_CODE_INFO: Readonly<Record<TikTokErrorCode, CodeInfo>> = {
  NETWORK_ERROR: { retryable: true, statusCode: 503 },
  TIMEOUT_ERROR: { retryable: true, statusCode: 504 },
  RATE_LIMIT: { retryable: true, statusCode: 429 },
  API_ERROR: { retryable: true, statusCode: 502 },
  INVALID_CREDENTIALS: { retryable: false, statusCode: 500 },
  INVALID_TOKEN: { retryable: false, statusCode: 401 },
  TOKEN_EXPIRED: { retryable: false, statusCode: 401 },
  VALIDATION_ERROR: { retryable: false, statusCode: 400 },
  ACCESS_DENIED: { retryable: false, statusCode: 403 },
  INVALID_STATE: { retryable: false, statusCode: 400 },
  SCOPE_NOT_AUTHORIZED: { retryable: false, statusCode: 403 },
  MALFORMED_RESPONSE: { retryable: false, statusCode: 502 },
  CONFIGURATION_ERROR: { retryable: false, statusCode: 500 },
  SERVICE_UNAVAILABLE: { retryable: true, statusCode: 503 },
  METHOD_NOT_ALLOWED: { retryable: false, statusCode: 405 },
  CIRCUIT_OPEN: { retryable: true, statusCode: 503 },
  INVALID_SIGNATURE: { retryable: false, statusCode: 401 },
  PAYLOAD_TOO_LARGE: { retryable: false, statusCode: 413 },
  WEBHOOK_HANDLER_ERROR: { retryable: true, statusCode: 500 },
};

/** TikTok's error identifier and description as received (description already scrubbed). */
export interface TikTokUpstreamError {
  /** `error` (token/revoke) or `error.code` (user info), e.g. `invalid_grant`. */
  readonly error: string;
  /** `error_description` / `error.message`, truncated and scrubbed of secrets. */
  readonly description?: string;
}

export interface TikTokAPIErrorInit {
  readonly code: TikTokErrorCode;
  readonly message: string;
  readonly correlationId: string;
  /** Override the table's flag (only for unknown upstream errors that are not transient). */
  readonly retryable?: boolean | undefined;
  /** HTTP status TikTok answered with, when it answered. */
  readonly upstreamStatus?: number | undefined;
  readonly logId?: string | undefined;
  readonly tiktokError?: TikTokUpstreamError | undefined;
  /** Seconds the caller should wait before trying again (from `Retry-After`). */
  readonly retryAfterSeconds?: number | undefined;
  readonly cause?: unknown;
}

/**
 * Every failure of this package: transport, TikTok saying no, nonsense answers, bad callbacks.
 * `statusCode` is what *your app* should answer; `upstreamStatus` is what TikTok answered.
 * Messages say what to do and never contain a token, code, secret, state or verifier.
 */
export class TikTokAPIError extends Error {
  override readonly name = 'TikTokAPIError';
  readonly code: TikTokErrorCode;
  readonly correlationId: string;
  readonly retryable: boolean;
  readonly statusCode: number;
  readonly upstreamStatus?: number;
  readonly logId?: string;
  readonly tiktokError?: TikTokUpstreamError;
  readonly retryAfterSeconds?: number;

  constructor(init: TikTokAPIErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    const info = ERROR_CODE_INFO[init.code];
    this.code = init.code;
    this.correlationId = init.correlationId;
    this.retryable = init.retryable ?? info.retryable;
    this.statusCode = info.statusCode;
    if (init.upstreamStatus !== undefined) this.upstreamStatus = init.upstreamStatus;
    if (init.logId !== undefined) this.logId = init.logId;
    if (init.tiktokError !== undefined) this.tiktokError = init.tiktokError;
    if (init.retryAfterSeconds !== undefined) this.retryAfterSeconds = init.retryAfterSeconds;
  }

  /** A JSON shape safe to send to a browser (no cause, no stack, no upstream description). */
  toJSON(): { code: TikTokErrorCode; message: string; correlationId: string; retryable: boolean } {
    return {
      code: this.code,
      message: this.message,
      correlationId: this.correlationId,
      retryable: this.retryable,
    };
  }
}

export function isTikTokAPIError(value: unknown): value is TikTokAPIError {
  return value instanceof TikTokAPIError;
}

// NOTE: TikTok's error identifiers (https://developers.tiktok.com/doc/oauth-user-access-token-management and
// https://developers.tiktok.com/doc/tiktok-api-v2-get-user-info). The token
// endpoint uses OAuth's flat `error`; user info uses `error.code` in an envelope.
const UPSTREAM_CODES: Readonly<Record<string, TikTokErrorCode>> = {
  invalid_client: 'INVALID_CREDENTIALS',
  unauthorized_client: 'INVALID_CREDENTIALS',
  invalid_grant: 'INVALID_TOKEN',
  access_token_invalid: 'INVALID_TOKEN',
  invalid_request: 'VALIDATION_ERROR',
  invalid_params: 'VALIDATION_ERROR',
  unsupported_grant_type: 'VALIDATION_ERROR',
  unsupported_response_type: 'VALIDATION_ERROR',
  access_denied: 'ACCESS_DENIED',
  invalid_scope: 'SCOPE_NOT_AUTHORIZED',
  scope_not_authorized: 'SCOPE_NOT_AUTHORIZED',
  scope_permission_missed: 'SCOPE_NOT_AUTHORIZED',
  rate_limit_exceeded: 'RATE_LIMIT',
  server_error: 'API_ERROR',
  temporarily_unavailable: 'API_ERROR',
  internal_error: 'API_ERROR',
};

/**
 * Maps TikTok's error identifier to our code. Unknown identifiers fall back on the HTTP status:
 * 429 → RATE_LIMIT, 5xx → API_ERROR (retryable), anything else → API_ERROR not retryable
 * (`retryable: false` is returned so an unknown refusal is never hammered).
 */
export function codeForUpstreamError(
  error: string,
  httpStatus: number,
): { code: TikTokErrorCode; retryable?: boolean } {
  const known = Object.prototype.hasOwnProperty.call(UPSTREAM_CODES, error)
    ? UPSTREAM_CODES[error]
    : undefined;
  if (known !== undefined) return { code: known };
  if (httpStatus === 429) return { code: 'RATE_LIMIT' };
  if (httpStatus >= 500) return { code: 'API_ERROR' };
  return { code: 'API_ERROR', retryable: false };
}
