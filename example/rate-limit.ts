import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { TikTokAPIError, tiktokErrorHandler } from 'passport-tiktok';
import { correlationIdOf } from './request-log';

/** How many requests to the login routes one client IP may make per window. */
export interface LoginRateLimit {
  /** Requests (starts and callbacks together) per window and IP. */
  limit: number;
  /** Window length in milliseconds. */
  windowMs: number;
}

/** `LOGIN_RATE_LIMIT` / `LOGIN_RATE_WINDOW_SECONDS` defaults: 30 requests a minute (15 logins). */
export const DEFAULT_LOGIN_RATE_LIMIT: LoginRateLimit = { limit: 30, windowMs: 60_000 };

// Rendered without failureRedirect: a limited browser gets the 429 page itself, not a redirect to
// a page that answers 200.
const renderError = tiktokErrorHandler();

/**
 * Limits the login routes per client IP (express-rate-limit, in process memory: with several
 * instances each counts on its own). Every callback costs a TikTok token call, and TikTok's
 * quota is per app: without a limit anyone can spend it for everyone. Over the limit: 429 with
 * `Retry-After` and the package's RATE_LIMIT page or JSON, and no TikTok call. The client IP is
 * `req.ip`, so set `TRUST_PROXY` behind a proxy (or every user shares the proxy's address).
 */
export function loginRateLimiter(options: LoginRateLimit): RequestHandler {
  return rateLimit({
    limit: options.limit,
    windowMs: options.windowMs,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler(req: Request, res: Response, next: NextFunction): void {
      const retryAfter = Number(res.getHeader('Retry-After'));
      const error = new TikTokAPIError({
        code: 'RATE_LIMIT',
        message: `Too many login requests from this client: the limit is ${options.limit} per ${options.windowMs / 1000} s.`,
        correlationId: correlationIdOf(req),
        retryAfterSeconds:
          Number.isSafeInteger(retryAfter) && retryAfter > 0
            ? retryAfter
            : Math.ceil(options.windowMs / 1000),
      });
      renderError(error, req, res, next);
    },
  });
}
