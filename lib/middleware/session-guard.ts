import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { acceptCorrelationId } from '../correlation';
import { TikTokAPIError } from '../errors';

/** Options of {@link tiktokSessionGuard}. */
export interface TikTokSessionGuardOptions {
  /** `Retry-After` seconds suggested to the browser. Default: `5`. */
  retryAfterSeconds?: number | undefined;
}

/**
 * Wraps a session middleware (express-session) so that a session store that does not answer —
 * Redis down, say — becomes a clear 503 SERVICE_UNAVAILABLE (a {@link TikTokAPIError} that
 * tiktokErrorHandler renders) instead of a generic 500. Nothing is cached: once the store is
 * back, the next request works. The store's client must fail fast while disconnected (node-redis:
 * `disableOfflineQueue: true`), or requests wait for the reconnect instead.
 *
 * ```ts
 * app.use(tiktokSessionGuard(session({ store: new RedisStore({ client: redis }), ... })));
 * ```
 */
export function tiktokSessionGuard(
  sessionMiddleware: RequestHandler,
  options: TikTokSessionGuardOptions = {},
): RequestHandler {
  const retryAfterSeconds = options.retryAfterSeconds ?? 5;
  return function tiktokSessionGuardHandler(req: Request, res: Response, next: NextFunction): void {
    const unavailable = (err: unknown): unknown => {
      if (err === undefined || err === null || err instanceof TikTokAPIError) return err;
      return new TikTokAPIError({
        code: 'SERVICE_UNAVAILABLE',
        message:
          'Login is temporarily unavailable: the session store did not answer. Please try again in a moment.',
        correlationId: acceptCorrelationId(
          req.tiktokCorrelationId ?? req.headers['x-correlation-id'],
        ),
        retryAfterSeconds,
        cause: err,
      });
    };
    const guarded = (err?: unknown): void => {
      if (err === undefined || err === null) {
        guardSessionMethods(req, unavailable);
        next();
        return;
      }
      // After the response started (a failed save at the end), the error is the app's to log.
      next(res.headersSent ? err : unavailable(err));
    };
    sessionMiddleware(req, res, guarded);
  };
}

const GUARDED_METHODS = ['save', 'regenerate', 'destroy', 'reload'] as const;

/**
 * The store can also fail later in the request: passport's `req.login()` regenerates and saves
 * the session, `req.logout()` saves it, apps destroy it. Their callbacks get the same 503 error
 * instead of a bare store error (which would be a 500). A regenerated session is guarded again.
 */
function guardSessionMethods(req: Request, unavailable: (err: unknown) => unknown): void {
  const session: unknown = Reflect.get(req, 'session');
  if (typeof session !== 'object' || session === null) return;
  for (const name of GUARDED_METHODS) {
    const original: unknown = Reflect.get(session, name);
    if (typeof original !== 'function') continue;
    const wrapped = function (this: unknown, ...args: unknown[]): unknown {
      const callback = args[args.length - 1];
      if (typeof callback === 'function') {
        args[args.length - 1] = (err?: unknown): void => {
          if (name === 'regenerate' && (err === undefined || err === null)) {
            guardSessionMethods(req, unavailable);
          }
          Reflect.apply(callback, undefined, [unavailable(err)]);
        };
      }
      return Reflect.apply(original, this, args);
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
