import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { safeReturnTo } from '../state/return-to';

/** Options of {@link tiktokReturnTo}. */
export interface TikTokReturnToOptions {
  /** Where to go when the login carried no (valid) `returnTo`. Default: `'/'`. */
  fallback?: string;
}

/**
 * Ends the callback route: redirects to the `returnTo` given when the login started
 * (`passport.authenticate('tiktok', { returnTo })` or `/auth/tiktok?returnTo=/path`). It travels
 * in the pending login and comes back as `req.authInfo.returnTo`, so it survives passport's
 * session regeneration at login; it is validated again here (same-origin path only).
 *
 * ```ts
 * app.get('/auth/tiktok/callback', passport.authenticate('tiktok', { failureRedirect: '/login' }), tiktokReturnTo());
 * ```
 */
export function tiktokReturnTo(options: TikTokReturnToOptions = {}): RequestHandler {
  const fallback = safeReturnTo(options.fallback ?? '/', '/');
  return function tiktokReturnToHandler(req: Request, res: Response, _next: NextFunction): void {
    res.redirect(safeReturnTo(req.authInfo?.returnTo, fallback));
  };
}
