import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { acceptCorrelationId } from '../correlation';
import { TikTokAPIError } from '../errors';
import { lazyDefaultLogger, SafeLogger, type TikTokLogger } from '../logging';
import { PENDING_LOGINS_KEY, readPendingLogins } from '../state/pending-logins';
import { sessionOf, writeSessionValue, type SessionLike } from '../state/session';
import { readLoginStamp, writeLoginStamp } from './login-stamp';
import type { TikTokRemovalList } from './removals';

/** Options of {@link tiktokSessionRevocation}. */
export interface TikTokSessionRevocationOptions {
  /** The removal list `tiktokWebhook()` records into (the same store). Required. */
  removals: TikTokRemovalList;
  /**
   * The TikTok `open_id` of a logged-in session that carries no login stamp (logged in before
   * this package version, or by other means). Such a session is ended when any removal is on
   * record for that user. Default: none (unstamped sessions are not checked).
   */
  openIdOf?: ((req: Request) => string | undefined) | undefined;
  /** Structured logger. Default: winston JSON lines (`TIKTOK_LOG_LEVEL`). */
  logger?: TikTokLogger | undefined;
}

/** What `req.tiktokSessionRevoked` holds when this middleware ended the session. */
export interface TikTokSessionRevoked {
  readonly openId: string;
  /** When TikTok removed the authorization, epoch ms. */
  readonly removedAt: number;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by tiktokSessionRevocation() when it logged this request's session out. */
      tiktokSessionRevoked?: TikTokSessionRevoked;
    }
  }
}

/**
 * Logs the session out. NOTE: the browser's pending logins go into the session that replaces it,
 * as they were: a login started after the removal (the user, logged out on TikTok, logs in
 * again) is often still at TikTok's consent page when the delayed delivery is recorded, and its
 * callback would otherwise find no state and fail.
 */
function endSession(req: Request, session: SessionLike): Promise<void> {
  const pending = readPendingLogins(session);
  return new Promise((resolve, reject) => {
    const done = (err?: unknown): void => {
      if (err !== undefined && err !== null) {
        reject(err instanceof Error ? err : new Error('the session could not be ended'));
        return;
      }
      const fresh = sessionOf(req);
      if (pending.length > 0 && fresh !== undefined) {
        writeSessionValue(fresh, PENDING_LOGINS_KEY, pending);
      }
      resolve();
    };
    // passport's logout clears req.user and regenerates the session (passport >= 0.6).
    const logout: unknown = Reflect.get(req, 'logout');
    if (typeof logout === 'function') {
      Reflect.apply(logout, req, [done]);
      return;
    }
    writeLoginStamp(session, undefined);
    const regenerate: unknown = Reflect.get(session, 'regenerate');
    if (typeof regenerate === 'function') Reflect.apply(regenerate, session, [done]);
    else session.save(done);
  });
}

/**
 * Ends, at their next request, the sessions of users whose authorization TikTok removed
 * (`authorization.removed`, recorded by `tiktokWebhook({ removals })`), on every instance that
 * shares the removal list. Mount it after the session and `passport.session()`. A session is
 * ended when its login (stamped by TikTokStrategy) is not later than the removal; a login after
 * the removal carries a later stamp and works normally. The request then goes on logged out
 * (`req.user` unset, a fresh session holding the browser's pending logins, so that a login started
 * before the delivery landed still completes, `req.tiktokSessionRevoked` set). A removal list that does
 * not answer is a 503 SERVICE_UNAVAILABLE (rendered by tiktokErrorHandler): a session is never
 * let through unchecked.
 *
 * ```ts
 * app.use(session({ ... }), passport.session(), tiktokSessionRevocation({ removals }));
 * ```
 */
export function tiktokSessionRevocation(options: TikTokSessionRevocationOptions): RequestHandler {
  const removals = options?.removals;
  if (typeof removals?.removedAt !== 'function') {
    throw new TypeError(
      'tiktokSessionRevocation requires a removals option (the MemoryRemovalList or RedisRemovalList given to tiktokWebhook)',
    );
  }
  const { openIdOf } = options;
  if (openIdOf !== undefined && typeof openIdOf !== 'function') {
    throw new TypeError('tiktokSessionRevocation option openIdOf must be a function');
  }
  const log = new SafeLogger(options.logger ?? lazyDefaultLogger());
  return function tiktokSessionRevocationHandler(
    req: Request,
    _res: Response,
    next: NextFunction,
  ): void {
    const session = sessionOf(req);
    if (session === undefined) {
      next();
      return;
    }
    const stamp = readLoginStamp(session);
    const openId = stamp?.openId ?? openIdOf?.(req);
    if (openId === undefined || openId === '') {
      next();
      return;
    }
    const loginAt = stamp?.at ?? Number.NEGATIVE_INFINITY;
    const correlationId = acceptCorrelationId(
      req.tiktokCorrelationId ?? req.headers['x-correlation-id'],
    );
    req.tiktokCorrelationId = correlationId;
    const check = async (): Promise<void> => {
      const removedAt = await removals.removedAt(openId);
      if (removedAt === undefined || removedAt < loginAt) return;
      await endSession(req, session);
      req.tiktokSessionRevoked = { openId, removedAt };
      log.log(
        'info',
        '[TikTokOAuth] session_revocation - session ended: TikTok authorization removed',
        {
          correlationId,
          openId,
          removedAt,
          loginAt: stamp?.at,
        },
      );
    };
    check().then(
      () => next(),
      (err: unknown) => {
        log.log('error', '[TikTokOAuth] session_revocation - could not check or end the session', {
          correlationId,
          openId,
          error: err,
        });
        next(
          err instanceof TikTokAPIError
            ? err
            : new TikTokAPIError({
                code: 'SERVICE_UNAVAILABLE',
                message:
                  'Your session could not be checked right now. Please try again in a moment.',
                correlationId,
                retryAfterSeconds: 5,
                cause: err,
              }),
        );
      },
    );
  };
}
