import { describeValue } from '../describe-value';
import { MAX_TIMER_MS } from '../time-limit';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { acceptCorrelationId } from '../correlation';
import { TikTokAPIError } from '../errors';
import { lazyDefaultLogger, SafeLogger, type TikTokLogger } from '../logging';

/** Options of {@link tiktokSessionGuard}. */
export interface TikTokSessionGuardOptions {
  /** `Retry-After` seconds suggested to the browser: an integer, 0 or more. Default: `5`. */
  retryAfterSeconds?: number | undefined;
  /**
   * How long each session store call may take — loading a session; saving, regenerating,
   * destroying or reloading one; touching it at the end of a response — before the request is
   * answered 503 (or, at the end of a response, the response is finished and the failure
   * logged); a late answer of the store is then ignored. A request making several store calls
   * can wait this long for each. The store's own `touch` and `destroy` are wrapped for this, on
   * the store object, by the first guard that sees it. Default: `5000`.
   */
  timeoutMs?: number | undefined;
  /**
   * Where store failures are logged, at `error`, with the request's correlation ID (the one the
   * 503 carries) and the error's name, never its message: `session - the store failed:
   * answering 503` when this guard answers 503 (the session could not be loaded), `… after the
   * response was sent` when the failure can no longer reach the browser. A failing save,
   * regenerate, destroy or reload is handed to its caller (the app, passport), not logged here.
   * Default: the package's logger (winston at `TIKTOK_LOG_LEVEL`).
   */
  logger?: TikTokLogger | undefined;
}

const DEFAULT_TIMEOUT_MS = 5000;

/**
 * Wraps a session middleware (express-session) so that a session store that does not answer —
 * Redis down, say — becomes a clear 503 SERVICE_UNAVAILABLE (a {@link TikTokAPIError} that
 * tiktokErrorHandler renders) instead of a generic 500 or a request that hangs. Nothing is
 * cached: once the store is back, the next request works. The store's client must fail fast
 * while disconnected (node-redis: `disableOfflineQueue: true`), or requests wait for the
 * reconnect (up to `timeoutMs`) instead.
 *
 * ```ts
 * app.use(tiktokSessionGuard(session({ store: new RedisStore({ client: redis }), ... })));
 * ```
 */
export function tiktokSessionGuard(
  sessionMiddleware: RequestHandler,
  options: TikTokSessionGuardOptions = {},
): RequestHandler {
  const middleware: unknown = sessionMiddleware;
  if (typeof middleware !== 'function') {
    throw new TypeError(
      `tiktokSessionGuard takes the session middleware, such as session({ store, secret }), got ${describeValue(middleware)}`,
    );
  }
  // NOTE: express-session's factory declares one parameter (its options), the middleware it
  // returns three: `tiktokSessionGuard(session)` would make every request wait out timeoutMs.
  if (middleware.length === 1) {
    throw new TypeError(
      'tiktokSessionGuard takes the session middleware, not its factory: pass session({ store, secret, ... }), not session',
    );
  }
  const retryAfterSeconds = options.retryAfterSeconds ?? 5;
  if (!Number.isSafeInteger(retryAfterSeconds) || retryAfterSeconds < 0) {
    throw new TypeError(
      `tiktokSessionGuard option retryAfterSeconds must be a non-negative integer, got ${describeValue(retryAfterSeconds)}`,
    );
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMER_MS) {
    throw new TypeError(
      `tiktokSessionGuard option timeoutMs must be an integer from 1 to ${MAX_TIMER_MS}, got ${describeValue(timeoutMs)}`,
    );
  }
  const logger = options.logger;
  // NOTE: built at the first failure: the default logger (winston) is loaded only when needed.
  let log: SafeLogger | undefined;
  return function tiktokSessionGuardHandler(req: Request, res: Response, next: NextFunction): void {
    // NOTE: made once and put on the request, so that the 503's ID, this guard's log line and
    // the app's request log line carry the same one.
    const correlationId = (): string => {
      req.tiktokCorrelationId = acceptCorrelationId(
        req.tiktokCorrelationId ?? req.headers['x-correlation-id'],
      );
      return req.tiktokCorrelationId;
    };
    const logError = (message: string, err: unknown): void => {
      log ??= new SafeLogger(logger ?? lazyDefaultLogger());
      log.log('error', message, {
        correlationId: correlationId(),
        errorCode: 'SERVICE_UNAVAILABLE',
        errorName: errorName(err),
      });
    };
    const unavailable = (err: unknown): unknown => {
      if (err === undefined || err === null || err instanceof TikTokAPIError) return err;
      return new TikTokAPIError({
        code: 'SERVICE_UNAVAILABLE',
        message:
          'The session store did not answer, so this request cannot be served. Please try again in a moment.',
        correlationId: correlationId(),
        retryAfterSeconds,
        cause: err,
      });
    };
    const guard: Guard = { unavailable, timeoutMs };
    /**
     * This guard answers the request 503 itself (the session load failed or timed out): logged
     * here, once. NOTE: not in unavailable(), which also maps the session methods' failures,
     * whose outcome the app or passport decides (the strategy logs its own).
     */
    const answer503 = (err: unknown): void => {
      if (!(err instanceof TikTokAPIError)) {
        logError('[TikTokOAuth] session - the store failed: answering 503', err);
      }
      next(unavailable(err));
    };
    // 'loading' until the middleware calls back or times out; a timed-out load ignores the
    // store's late answer. express-session calls back again when the save or touch that ends the
    // response fails: by then the response is usually sent, so the failure is logged instead.
    let phase: 'loading' | 'loaded' | 'abandoned' = 'loading';
    // NOTE: referenced, like every deadline of the package: a load in flight holds the process
    // until it is answered or times out, so a request made in-process (no socket keeps the event
    // loop alive) still gets its 503 instead of the process exiting with it unanswered. Cleared
    // at the store's answer, so an answered request holds nothing.
    const timer = setTimeout(() => {
      if (phase !== 'loading') return;
      phase = 'abandoned';
      answer503(storeTimeout(timeoutMs));
    }, timeoutMs);
    const guarded = (err?: unknown): void => {
      if (phase === 'abandoned') return;
      if (phase === 'loading') {
        phase = 'loaded';
        clearTimeout(timer);
        if (err === undefined || err === null) {
          guardSessionMethods(req, guard);
          guardStore(Reflect.get(req, 'sessionStore'), timeoutMs);
          next();
        } else {
          answer503(err);
        }
        return;
      }
      if (err === undefined || err === null) return;
      if (!res.headersSent) {
        answer503(err);
        return;
      }
      // NOTE: never handed to Express: its final handler would print the raw stack on stderr.
      logError('[TikTokOAuth] session - the store failed after the response was sent', err);
    };
    try {
      sessionMiddleware(req, res, guarded);
    } catch (err) {
      clearTimeout(timer);
      // NOTE: thrown while loading: the store's get() threw instead of calling back (express-
      // session calls it without a try), a store failure like any other: the 503. Thrown later
      // (by code after the load): Express handles it, and the load timer must not answer again.
      if (phase !== 'loading') throw err;
      phase = 'abandoned';
      answer503(err);
    }
  };
}

interface Guard {
  readonly unavailable: (err: unknown) => unknown;
  readonly timeoutMs: number;
}

/** The innermost cause's name (a store error wrapped in the 503), never a message. */
function errorName(err: unknown): string {
  let current: unknown = err;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.name : typeof current;
}

/** The session store did not answer within `timeoutMs` (the log's `errorName`). */
function storeTimeout(timeoutMs: number): Error {
  const err = new Error(`the session store did not answer within ${timeoutMs} ms`);
  err.name = 'SessionStoreTimeoutError';
  return err;
}

/**
 * `fn(...args)` whose last argument, a callback, is called once: with the function's answer, or
 * with a timeout error after `timeoutMs`. `then` maps the answer, and also runs for an answer
 * that comes after the timeout (whose callback is not called again): it re-guards a session the
 * late answer put in place. A synchronous throw of `fn` is rethrown, and the timer dropped; with
 * `throwAnswers`, a throw before the callback was called is its answer instead, given on the
 * next turn of the event loop (a throw after it is dropped: the caller has its answer).
 */
function callWithin(
  fn: unknown,
  self: unknown,
  args: unknown[],
  timeoutMs: number,
  then?: (err: unknown) => unknown,
  throwAnswers = false,
): unknown {
  if (typeof fn !== 'function') return undefined;
  const callback = args[args.length - 1];
  if (typeof callback !== 'function') return Reflect.apply(fn, self, args);
  let answered = false;
  const answer = (err?: unknown): void => {
    const value = then === undefined ? err : then(err);
    if (answered) return;
    answered = true;
    clearTimeout(timer);
    Reflect.apply(callback, undefined, [value]);
  };
  // NOTE: referenced, as the load's timer is: the call's caller hears from it within timeoutMs.
  const timer = setTimeout(() => answer(storeTimeout(timeoutMs)), timeoutMs);
  args[args.length - 1] = answer;
  try {
    return Reflect.apply(fn, self, args);
  } catch (err) {
    if (throwAnswers) {
      if (!answered) setImmediate(() => answer(err));
      return undefined;
    }
    answered = true;
    clearTimeout(timer);
    throw err;
  }
}

const STORE_METHODS = ['touch', 'destroy', 'set'] as const;
const guardedStores = new WeakSet<object>();

/**
 * express-session calls its store's `touch` (and `destroy` with `unset: 'destroy'`, and `set`
 * through the session's `save`) while ending a response: those get `timeoutMs` on the store
 * object itself, wrapped once. A store method that throws instead of calling back (a store bug, a
 * closed client) answers its callback with the throw, on the next turn. NOTE: a throw must not
 * leave express-session's `res.end`: it has marked the response ended by then, and nothing would
 * answer it. The first guard to see the store sets that time, and it applies to every caller of
 * the store's `touch`, `destroy` and `set`, also outside requests. A failure there reaches the
 * guard's callback after the response, where it is logged.
 */
function guardStore(store: unknown, timeoutMs: number): void {
  if (typeof store !== 'object' || store === null || guardedStores.has(store)) return;
  guardedStores.add(store);
  for (const name of STORE_METHODS) {
    const original: unknown = Reflect.get(store, name);
    if (typeof original !== 'function') continue;
    Object.defineProperty(store, name, {
      value: function (this: unknown, ...args: unknown[]): unknown {
        return callWithin(original, this, args, timeoutMs, undefined, true);
      },
      configurable: true,
      writable: true,
      enumerable: false,
    });
  }
}

const GUARDED_METHODS = ['save', 'regenerate', 'destroy', 'reload'] as const;
const guardedSessions = new WeakSet<object>();

/**
 * The store can also fail later in the request: passport's `req.login()` regenerates and saves
 * the session, `req.logout()` saves it, apps destroy or reload it, express-session saves it while
 * ending the response. Their callbacks get the same 503 error instead of a bare store error
 * (which would be a 500), and get it after `timeoutMs` when the store does not answer. A session
 * that replaced this one (`regenerate` and `reload` make a new object) is guarded in turn.
 */
function guardSessionMethods(req: Request, guard: Guard): void {
  const session: unknown = Reflect.get(req, 'session');
  if (typeof session !== 'object' || session === null || guardedSessions.has(session)) return;
  guardedSessions.add(session);
  for (const name of GUARDED_METHODS) {
    const original: unknown = Reflect.get(session, name);
    if (typeof original !== 'function') continue;
    const wrapped = function (this: unknown, ...args: unknown[]): unknown {
      return callWithin(original, this, args, guard.timeoutMs, (err) => {
        guardSessionMethods(req, guard);
        return guard.unavailable(err);
      });
    };
    // Not enumerable: the session is serialised to the store as JSON.
    Object.defineProperty(session, name, {
      value: wrapped,
      configurable: true,
      writable: true,
      enumerable: false,
    });
  }
}
