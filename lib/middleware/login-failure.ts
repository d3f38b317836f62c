import type { Request } from 'express';
import type { TikTokErrorCode } from '../errors';
import {
  isReferenceCorrelationId,
  isTikTokErrorCode,
  loginFailureMessage,
  takeLoginFailure,
} from '../state/login-failure';
import { sessionOf } from '../state/session';
import { rawQueryOf } from '../strategy/callback-params';

/** Why the last TikTok login of this browser failed, for the `failureRedirect` page. */
export interface TikTokLoginFailure {
  code: TikTokErrorCode;
  /** A fixed message for people, chosen by `code` (nothing from the request is reflected). */
  message: string;
  /** Quote it to support; it is on every log line of that login. */
  correlationId: string;
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
 * query that tiktokErrorHandler's `failureRedirect` adds. Query values are only accepted when the
 * code is a known TikTokErrorCode and the ID has the format of a correlation ID
 * (`tiktok-<ms>-<8 hex>` from `generateCorrelationId()`, or a UUID): anyone can write a link, and
 * the ID is shown as the support reference, so `correlationId=CALL-SUPPORT-AT-evil.example`
 * gives `undefined`.
 */
export function getTikTokLoginFailure(req: Request): TikTokLoginFailure | undefined {
  const session = sessionOf(req);
  const recorded = session === undefined ? undefined : takeLoginFailure(session);
  if (recorded !== undefined) {
    return { ...recorded, message: loginFailureMessage(recorded.code) };
  }
  const query = rawQueryOf(req);
  const codes = query.getAll('error');
  const ids = query.getAll('correlationId');
  const [code] = codes;
  const [correlationId] = ids;
  if (codes.length !== 1 || ids.length !== 1) return undefined;
  if (!isTikTokErrorCode(code) || !isReferenceCorrelationId(correlationId)) return undefined;
  return { code, correlationId, message: loginFailureMessage(code) };
}
