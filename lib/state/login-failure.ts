import type { Request } from 'express';
import { TikTokErrorCode } from '../errors';
import { sliceWhole } from '../middleware/error-page';
import { rawQueryOf } from '../strategy/callback-params';
import { userMessage } from '../user-messages';
import { readSessionValue, sessionOf, writeSessionValue, type SessionLike } from './session';

/** The session key of the last failed login (read once by `getTikTokLoginFailure`). */
export const LOGIN_FAILURE_KEY = 'tiktok:failure';

/**
 * What is kept about a failed login: nothing from the request. `message` only when it is not
 * the code's fixed one: the app's own (verify's `done(null, false, { message })`) or a more
 * precise fixed one of the strategy's.
 */
export interface RecordedLoginFailure {
  code: TikTokErrorCode;
  correlationId: string;
  message?: string;
}

/** The longest message kept in the session; a longer one is cut (the store holds the session). */
export const MAX_RECORDED_MESSAGE_LENGTH = 500;

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The human message for a login failure code (a fixed string, see {@link userMessage}). */
export function loginFailureMessage(code: TikTokErrorCode): string {
  return userMessage(code);
}

export function isTikTokErrorCode(value: unknown): value is TikTokErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(TikTokErrorCode, value);
}

export function isSafeCorrelationId(value: unknown): value is string {
  return typeof value === 'string' && SAFE_ID.test(value);
}

// generateCorrelationId()'s `tiktok-<ms>-<8 hex>`, or a UUID (what proxies put in
// X-Correlation-Id). Nothing with words in it: this text is shown as the support reference.
const REFERENCE_ID =
  /^(?:tiktok-\d{1,16}-[0-9a-f]{8}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/** Whether a correlation ID from a URL may be shown as a support reference. */
export function isReferenceCorrelationId(value: unknown): value is string {
  return typeof value === 'string' && REFERENCE_ID.test(value);
}

export function recordLoginFailure(session: SessionLike, failure: RecordedLoginFailure): void {
  const recorded: RecordedLoginFailure = {
    code: failure.code,
    correlationId: failure.correlationId,
  };
  const { message } = failure;
  if (message !== undefined && message !== loginFailureMessage(failure.code)) {
    recorded.message = sliceWhole(message, MAX_RECORDED_MESSAGE_LENGTH);
  }
  writeSessionValue(session, LOGIN_FAILURE_KEY, recorded);
}

/** Reads and deletes the recorded failure (checked field by field: it went through a store). */
export function takeLoginFailure(session: SessionLike): RecordedLoginFailure | undefined {
  const stored = readSessionValue(session, LOGIN_FAILURE_KEY);
  if (stored === undefined) return undefined;
  writeSessionValue(session, LOGIN_FAILURE_KEY, undefined);
  if (typeof stored !== 'object' || stored === null) return undefined;
  const code: unknown = Reflect.get(stored, 'code');
  const correlationId: unknown = Reflect.get(stored, 'correlationId');
  const message: unknown = Reflect.get(stored, 'message');
  if (!isTikTokErrorCode(code) || !isSafeCorrelationId(correlationId)) return undefined;
  const failure: RecordedLoginFailure = { code, correlationId };
  if (typeof message === 'string' && message.length <= MAX_RECORDED_MESSAGE_LENGTH) {
    failure.message = message;
  }
  return failure;
}

/**
 * Deletes the recorded failure of the login `correlationId` names, once the failure was shown
 * in the response itself (tiktokErrorHandler's page or JSON): a later page must not show it
 * again. A failure of another login stays.
 */
export function discardLoginFailure(req: Request, correlationId: string): void {
  const session = sessionOf(req);
  if (session === undefined) return;
  const stored = readSessionValue(session, LOGIN_FAILURE_KEY);
  if (
    typeof stored === 'object' &&
    stored !== null &&
    Reflect.get(stored, 'correlationId') === correlationId
  ) {
    writeSessionValue(session, LOGIN_FAILURE_KEY, undefined);
  }
}

/** Why the last TikTok login of this browser failed, for the `failureRedirect` page. */
export interface TikTokLoginFailure {
  code: TikTokErrorCode;
  /**
   * A message for people: the fixed one of `code`, or, for a failure recorded in the session,
   * the text your verify refused the user with (`done(null, false, { message })`: your app's
   * text, whatever it put in it) or a more precise fixed one of the strategy's. The package adds
   * nothing from the request or from TikTok. Escape it when you put it in HTML, like any text.
   */
  message: string;
  /**
   * Quote it to support; it is on every log line of that login. Absent for a failure read from
   * the `?error=&correlationId=` query when that ID may not be shown as a support reference (not
   * `tiktok-<ms>-<8 hex>` or a UUID, e.g. a proxy's own request ID): anyone can write a link.
   */
  correlationId?: string;
}

/**
 * Reads and clears the last login failure, on the page `failureRedirect` points at:
 *
 * ```ts
 * app.get('/auth/tiktok/callback', passport.authenticate('tiktok', { failureRedirect: '/login' }), tiktokReturnTo());
 * app.get('/login', (req, res) => res.render('login', { failure: getTikTokLoginFailure(req) }));
 * ```
 *
 * Sources, in order: the failure TikTokStrategy recorded in the session when it failed a login on
 * a route with `failureRedirect` (read once, then deleted), or the `?error=<code>&correlationId=`
 * query that tiktokErrorHandler's `failureRedirect` adds. A query is only accepted with a single
 * known TikTokErrorCode, and then gives that code's fixed message. Its ID is shown as the support
 * reference only in the format of a correlation ID (`tiktok-<ms>-<8 hex>` from
 * `generateCorrelationId()`, or a UUID): anyone can write a link, so
 * `correlationId=CALL-SUPPORT-AT-evil.example` — or an ID of another format, such as a proxy's
 * own request ID — gives the failure without `correlationId`.
 */
export function getTikTokLoginFailure(req: Request): TikTokLoginFailure | undefined {
  const session = sessionOf(req);
  const recorded = session === undefined ? undefined : takeLoginFailure(session);
  const fromQuery = queryFailure(req);
  // The query names the failure this page is for: a recorded one of another login is stale.
  if (
    fromQuery !== undefined &&
    (recorded === undefined || fromQuery.queryId !== recorded.correlationId)
  ) {
    return fromQuery.failure;
  }
  if (recorded !== undefined) {
    return {
      code: recorded.code,
      correlationId: recorded.correlationId,
      message: recorded.message ?? loginFailureMessage(recorded.code),
    };
  }
  return undefined;
}

/**
 * The `?error=<code>&correlationId=<id>` of tiktokErrorHandler's `failureRedirect`, if its code
 * is one: the failure to show (its ID only when it may be shown), and the query's ID as it was
 * (which names the recorded failure of the same login, whatever its format).
 */
function queryFailure(
  req: Request,
): { failure: TikTokLoginFailure; queryId: string | undefined } | undefined {
  const query = rawQueryOf(req);
  const codes = query.getAll('error');
  const [code] = codes;
  if (codes.length !== 1 || !isTikTokErrorCode(code)) return undefined;
  const ids = query.getAll('correlationId');
  const queryId = ids.length === 1 ? ids[0] : undefined;
  const message = loginFailureMessage(code);
  // NOTE: an ID that may not be shown is dropped, not the failure: the code and its fixed
  // message are safe whatever the link says, and a proxy's own request IDs are often neither
  // UUIDs nor ours (nginx's $request_id: 32 hex digits).
  const failure: TikTokLoginFailure = isReferenceCorrelationId(queryId)
    ? { code, correlationId: queryId, message }
    : { code, message };
  return { failure, queryId };
}
