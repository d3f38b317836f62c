import type { ErrorRequestHandler, NextFunction, Request, Response } from 'express';
import { acceptCorrelationId } from '../correlation';
import { TikTokAPIError } from '../errors';
import { isLoginError } from '../state/login-error';
import { discardLoginFailure, isTikTokErrorCode } from '../state/login-failure';
import { rawQueryOf } from '../strategy/callback-params';
import { userMessage } from '../user-messages';
import { renderErrorPage } from './error-page';
import { failedAsUncalledFactory, ignoredMiddleware } from './uncalled-factory';

/** Options of {@link tiktokErrorHandler}. */
export interface TikTokErrorHandlerOptions {
  /**
   * When set, a browser (HTML) gets a redirect here with `?error=<code>&correlationId=<id>`
   * instead of an error page; read it with `getTikTokLoginFailure(req)`. A path such as `/login`
   * or an absolute URL; anything else is a TypeError when the handler is created. Default: none.
   */
  failureRedirect?: string | undefined;
  /** `Retry-After` seconds for a retryable error that carries none. Default: `5`. */
  defaultRetryAfterSeconds?: number | undefined;
}

/**
 * The error to render: a TikTokAPIError, or passport's AuthenticationError from a login that
 * TikTokStrategy failed (route with `failWithError: true`), rebuilt from `req.tiktokLoginFailure`.
 */
function tiktokErrorOf(err: unknown, req: Request): TikTokAPIError | undefined {
  if (err instanceof TikTokAPIError) return err;
  const failure = req.tiktokLoginFailure;
  if (err instanceof Error && err.name === 'AuthenticationError' && failure !== undefined) {
    return new TikTokAPIError({
      code: failure.code,
      message: failure.message,
      correlationId: failure.correlationId,
    });
  }
  return undefined;
}

/**
 * The fixed message for the code; for a login TikTokStrategy failed, its recorded message (also
 * fixed, or the app's own from its verify callback).
 */
function messageFor(error: TikTokAPIError, err: unknown): string {
  return err instanceof TikTokAPIError ? userMessage(error.code) : error.message;
}

// Hardening: the error page is often rendered at the callback URL, whose query holds the code and
// state. It loads nothing and runs nothing, and says so: no script, no framing, no Referer.
const ERROR_PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The path of `failureRedirect` (a path or a URL); a TypeError when it is neither. */
function failurePagePath(failureRedirect: unknown): string {
  // NOTE: a relative path (`login`) would resolve against the URL that failed, the callback's
  // (`/auth/tiktok/login`): refused, not guessed.
  if (
    typeof failureRedirect === 'string' &&
    (failureRedirect.startsWith('/') || /^[a-z][a-z0-9+.-]*:/i.test(failureRedirect))
  ) {
    try {
      return new URL(failureRedirect, 'http://placeholder.invalid').pathname;
    } catch {
      // refused below
    }
  }
  throw new TypeError(
    'tiktokErrorHandler option failureRedirect must be a path starting with / such as /login, or an absolute URL',
  );
}

/**
 * `path` without its trailing slashes. NOTE: a loop, not `replace(/\/+$/, '')`: V8 retries that
 * regex from every slash of a run that does not end the path, quadratic in the run, and the
 * request path is the client's (`/api` + 15 000 slashes + `x`: ~170 ms per request).
 */
function withoutTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === 0x2f) end--;
  return path.slice(0, end);
}

/**
 * Whether the request is for the failure page itself. NOTE: its site-absolute path
 * (`baseUrl + path`), never `req.path` alone: inside a router mounted at `/auth`, `req.path` of
 * `/auth/login` is `/login`, which is not a failure page at `/login`.
 */
function isFailurePage(req: Request, target: string): boolean {
  return withoutTrailingSlashes(req.baseUrl + req.path) === withoutTrailingSlashes(target);
}

/**
 * `target` with `error` and `correlationId` set in its query (replacing any it has: a second
 * `error` would make getTikTokLoginFailure() refuse the query), its other parameters and its
 * fragment kept.
 */
function withQuery(target: string, code: string, correlationId: string): string {
  const hashAt = target.indexOf('#');
  const base = hashAt === -1 ? target : target.slice(0, hashAt);
  const hash = hashAt === -1 ? '' : target.slice(hashAt);
  const queryAt = base.indexOf('?');
  const query = new URLSearchParams(queryAt === -1 ? '' : base.slice(queryAt + 1));
  query.set('error', code);
  query.set('correlationId', correlationId);
  return `${queryAt === -1 ? base : base.slice(0, queryAt)}?${query.toString()}${hash}`;
}

/**
 * Whether the request already is a failure redirect of this handler (`?error=<code>` and a
 * `correlationId`): its own failure is rendered, not redirected again. NOTE: the path check
 * alone misses the failure page behind a proxy that strips a path prefix (the app sees `/login`
 * for `/app/login`): a page failing there (a session store down) redirected to itself forever.
 */
function isFailureRedirect(req: Request): boolean {
  const query = rawQueryOf(req);
  return isTikTokErrorCode(query.get('error')) && query.has('correlationId');
}

/** The longest `Retry-After` sent: a client waiting longer than this would rather try again. */
const MAX_RETRY_AFTER_SECONDS = 3600;

/**
 * `Retry-After` seconds: the error's (a whole number of seconds, at most an hour), else the
 * default. NOTE: an app's own error can carry `1.5` or `-3`, and TikTok's `Retry-After` a day:
 * neither is a value a browser or API client should get.
 */
function retryAfterOf(error: TikTokAPIError, fallback: number): number {
  const seconds = error.retryAfterSeconds;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return fallback;
  return Math.min(Math.ceil(seconds), MAX_RETRY_AFTER_SECONDS);
}

/**
 * Express error middleware for this package's errors. A {@link TikTokAPIError} gets its status
 * (`err.statusCode`), `X-Correlation-Id`, `Cache-Control: no-store`, `Referrer-Policy: no-referrer`,
 * `X-Content-Type-Options: nosniff`, `Retry-After` when retryable (`Allow` for 405), and by content
 * negotiation JSON `{ "error": { code, message, correlationId, retryable } }` (`message`: a fixed
 * text for people chosen by `code`, or the message your verify refused a login with on a
 * `failWithError` route; never `err.message`), a small escaped HTML
 * page (with a CSP that forbids scripts, resources and framing), or — for
 * HTML clients when `failureRedirect` is set — a redirect to
 * `failureRedirect?error=<code>&correlationId=<id>`. Never a stack trace, a cause, the error's
 * developer message or TikTok's text (those are in the logs, under the correlation ID). Anything
 * else goes to `next(err)`.
 *
 * ```ts
 * app.get('/auth/tiktok/callback', passport.authenticate('tiktok', { failWithError: true }), tiktokReturnTo());
 * app.use(tiktokErrorHandler({ failureRedirect: '/login' }));
 * ```
 */
export function tiktokErrorHandler(options?: TikTokErrorHandlerOptions): ErrorRequestHandler;
export function tiktokErrorHandler(
  options: TikTokErrorHandlerOptions = {},
  ...mounted: unknown[]
): ErrorRequestHandler {
  if (failedAsUncalledFactory('tiktokErrorHandler', options, mounted)) return ignoredMiddleware;
  const defaultRetryAfter = options.defaultRetryAfterSeconds ?? 5;
  if (!Number.isSafeInteger(defaultRetryAfter) || defaultRetryAfter < 0) {
    throw new TypeError(
      'tiktokErrorHandler option defaultRetryAfterSeconds must be a non-negative integer',
    );
  }
  // NOTE: checked once here: an unparseable value would throw inside every error answer.
  const failurePage =
    options.failureRedirect === undefined ? undefined : failurePagePath(options.failureRedirect);
  return function tiktokErrorMiddleware(
    err: unknown,
    req: Request,
    res: Response,
    next: NextFunction,
  ): void {
    const error = tiktokErrorOf(err, req);
    if (error === undefined || res.headersSent) {
      next(err);
      return;
    }
    // NOTE: the ID goes into a header, and an app's own TikTokAPIError can carry a raw request
    // header with CR/LF, on which setHeader throws. An unsafe ID is replaced by a fresh one.
    const correlationId = acceptCorrelationId(error.correlationId);
    // People get the code's fixed message: `error.message` is for developers and logs, and can
    // carry TikTok's wording or the app's internals (key ids, option names).
    const body = { ...error.toJSON(), message: messageFor(error, err), correlationId };
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Correlation-Id', correlationId);
    if (error.retryable)
      res.setHeader('Retry-After', String(retryAfterOf(error, defaultRetryAfter)));
    if (error.code === 'METHOD_NOT_ALLOWED' && !res.hasHeader('Allow'))
      res.setHeader('Allow', 'GET');
    const wants = req.accepts(['json', 'html']);
    // A 405 stays a 405: it answers link scanners and forms, not a person mid-login. And the
    // failure page itself failing (e.g. its session store is down) is rendered, not redirected
    // to itself forever.
    if (
      wants === 'html' &&
      options.failureRedirect !== undefined &&
      error.statusCode !== 405 &&
      failurePage !== undefined &&
      !isFailurePage(req, failurePage) &&
      !isFailureRedirect(req)
    ) {
      res.redirect(302, withQuery(options.failureRedirect, error.code, correlationId));
      return;
    }
    // A login failure shown here, in the response, is not shown again by the next page's
    // getTikTokLoginFailure() (the strategy recorded it for a redirect).
    const login = err instanceof TikTokAPIError ? isLoginError(req) : true;
    if (!(err instanceof TikTokAPIError)) discardLoginFailure(req, error.correlationId);
    res.status(error.statusCode);
    if (wants === 'html') {
      res.setHeader('Content-Security-Policy', ERROR_PAGE_CSP);
      res.setHeader('X-Frame-Options', 'DENY');
      res.type('html').send(renderErrorPage({ status: error.statusCode, login, ...body }));
      return;
    }
    res.json({ error: body });
  };
}
