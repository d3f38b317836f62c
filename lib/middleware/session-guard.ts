import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { acceptCorrelationId } from '../correlation';
import { TikTokAPIError } from '../errors';

/** Options of {@link tiktokSessionGuard}. */
export interface TikTokSessionGuardOptions {
  /** `Retry-After` seconds suggested to the browser. Default: `5`. */
  retryAfterSeconds?: number;
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
    const guarded = (err?: unknown): void => {
      if (err === undefined || err === null) {
        next();
        return;
      }
      // After the response started (a failed save at the end), the error is the app's to log.
      if (res.headersSent || err instanceof TikTokAPIError) {
        next(err);
        return;
      }
      const correlationId =
        req.tiktokCorrelationId ?? acceptCorrelationId(req.headers['x-correlation-id']);
      next(
        new TikTokAPIError({
          code: 'SERVICE_UNAVAILABLE',
          message:
            'Login is temporarily unavailable: the session store did not answer. Please try again in a moment.',
          correlationId,
          retryAfterSeconds,
          cause: err,
        }),
      );
    };
    sessionMiddleware(req, res, guarded);
  };
}
