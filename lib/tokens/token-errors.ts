import { TikTokAPIError, type TikTokErrorCode } from '../errors';
import { UnreadableTokenRecordError } from './store';
import type { SafeLogger } from '../logging';

/**
 * The token manager's own failures, as TikTokAPIError with the operation's correlation ID.
 * Messages say what to do and never contain a token.
 */

function error(
  code: TikTokErrorCode,
  message: string,
  correlationId: string,
  cause?: unknown,
): TikTokAPIError {
  return new TikTokAPIError({
    code,
    message,
    correlationId,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** No tokens for this user: INVALID_TOKEN (401), the user has to log in. */
export function noTokensError(correlationId: string): TikTokAPIError {
  return error(
    'INVALID_TOKEN',
    'No TikTok tokens are stored for this user: log in with TikTok.',
    correlationId,
  );
}

/** The grant has no refresh token, or it expired: TOKEN_EXPIRED (401) without a TikTok call. */
export function refreshImpossibleError(
  correlationId: string,
  reason: 'missing' | 'expired',
): TikTokAPIError {
  const why =
    reason === 'missing'
      ? 'TikTok issued no refresh token for this grant'
      : 'the refresh token has expired';
  return error(
    'TOKEN_EXPIRED',
    `The TikTok access token cannot be renewed (${why}): log in again.`,
    correlationId,
  );
}

/**
 * TikTok refused the refresh token (revoked, expired, already used or invalid): the grant is
 * over. The message names TikTok's error identifier (a safe token), never the refresh token.
 */
export function grantEndedError(correlationId: string, cause: TikTokAPIError): TikTokAPIError {
  const said = cause.tiktokError === undefined ? '' : ` with ${cause.tiktokError.error}`;
  return new TikTokAPIError({
    code: 'INVALID_TOKEN',
    message: `TikTok rejected the refresh token${said} (revoked, expired, already used or invalid): the grant is over, log in again.`,
    correlationId,
    ...(cause.upstreamStatus === undefined ? {} : { upstreamStatus: cause.upstreamStatus }),
    ...(cause.logId === undefined ? {} : { logId: cause.logId }),
    ...(cause.tiktokError === undefined ? {} : { tiktokError: cause.tiktokError }),
    cause,
  });
}

/** TikTok answered a refresh with another user's open_id: nothing is stored. */
export function wrongUserError(correlationId: string): TikTokAPIError {
  return error(
    'MALFORMED_RESPONSE',
    'TikTok answered the token refresh with a different open_id; the stored tokens were kept.',
    correlationId,
  );
}

/** Another instance held the refresh lock for longer than we would wait. */
export function lockWaitTimeoutError(correlationId: string, waitedMs: number): TikTokAPIError {
  return error(
    'TIMEOUT_ERROR',
    `Another instance was refreshing this user's TikTok tokens and did not finish within ${waitedMs} ms. Try again shortly.`,
    correlationId,
  );
}

/**
 * TikTok's tokens have a prefix (`act.`, `rft.`, `clt.`) and no spaces or quotes: what follows one
 * in a store's error text (a database quoting the row it refused) is cut.
 */
const TIKTOK_TOKEN = /\b(act|rft|clt)\.[^\s'"`()[\]{},;]+/g;

/** `text` with every TikTok token in it replaced by its prefix and `[REDACTED]`. */
export function withoutTikTokTokens(text: string): string {
  return text.replace(TIKTOK_TOKEN, '$1.[REDACTED]');
}

/**
 * A store failure under this operation's correlation ID: a TikTokAPIError keeps its code (e.g.
 * CONFIGURATION_ERROR for an undecryptable record or a key of the wrong type); anything else
 * (Redis down) is SERVICE_UNAVAILABLE (503, retryable). Logged at `error` with the detail and the
 * correlation ID, which is all a person quoting the ID from an error page can be told.
 */
export function storeError(err: unknown, correlationId: string, log: SafeLogger): TikTokAPIError {
  const failure =
    err instanceof TikTokAPIError
      ? withCorrelationId(err, correlationId)
      : error(
          'SERVICE_UNAVAILABLE',
          'The token store is unavailable (is Redis reachable?). Try again shortly.',
          correlationId,
          err,
        );
  const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  log.log('error', '[TikTokOAuth] token_store - failure', {
    correlationId,
    errorCode: failure.code,
    retryable: failure.retryable,
    detail: withoutTikTokTokens(detail).slice(0, 300),
  });
  return failure;
}

/**
 * `err` as the error of a caller that joined another caller's refresh: the same failure under
 * the joining caller's correlation ID (its logs and its response name its own request).
 */
export function forCaller(err: unknown, correlationId: string): unknown {
  return err instanceof TikTokAPIError ? withCorrelationId(err, correlationId) : err;
}

/**
 * `err` under `correlationId`: itself when it has that ID already, else the same failure (code,
 * message, retryable flag, Retry-After, TikTok's status, `log_id` and error, and the
 * {@link UnreadableTokenRecordError} class with its version) with `err` as its cause.
 */
function withCorrelationId(err: TikTokAPIError, correlationId: string): TikTokAPIError {
  if (err.correlationId === correlationId) return err;
  const init = {
    message: err.message,
    correlationId,
    retryable: err.retryable,
    ...(err.upstreamStatus === undefined ? {} : { upstreamStatus: err.upstreamStatus }),
    ...(err.logId === undefined ? {} : { logId: err.logId }),
    ...(err.tiktokError === undefined ? {} : { tiktokError: err.tiktokError }),
    ...(err.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: err.retryAfterSeconds }),
    cause: err,
  };
  return err instanceof UnreadableTokenRecordError
    ? new UnreadableTokenRecordError({ ...init, version: err.version })
    : new TikTokAPIError({ ...init, code: err.code });
}
