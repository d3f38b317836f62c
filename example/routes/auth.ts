import { Router, type RequestHandler } from 'express';
import type passport from 'passport';
import { tiktokErrorHandler, tiktokReturnTo } from 'passport-tiktok';
import { loginDisabledPage } from '../pages/status';
import { loginRateLimiter, type LoginRateLimit } from '../rate-limit';

/** The example's own Passport instance (not the global singleton). */
export type ExamplePassport = passport.Authenticator;

function isHandler(value: unknown): value is RequestHandler {
  return typeof value === 'function';
}

/** `passport.authenticate('tiktok', options)`, typed (@types/passport returns `any`). */
function authenticate(
  auth: ExamplePassport,
  options: passport.AuthenticateOptions = {},
): RequestHandler {
  const handler: unknown = auth.authenticate('tiktok', options);
  if (!isHandler(handler)) throw new TypeError('passport.authenticate did not return a middleware');
  return handler;
}

export interface AuthRoutesOptions {
  passport: ExamplePassport;
  /** `TIKTOK_OAUTH_ENABLED`: false answers both login routes with 503. */
  enabled: boolean;
  /** Path of the callback URL (the registered redirect URI). */
  callbackPath: string;
  /** Per-IP limit on both routes; `false` turns it off. */
  rateLimit: LoginRateLimit | false;
}

/** Where a failed login lands (tiktokErrorHandler adds `?error=<code>&correlationId=<id>`). */
export const FAILURE_PAGE = '/login-failed';

/**
 * The two login routes: `/auth/tiktok` starts a login (302 to TikTok's consent page), the
 * callback finishes it and redirects to the validated `returnTo`, else `/profile`. Both are
 * limited per client IP (429 beyond `rateLimit`). Failures —
 * cancelled, expired state, TikTok down — go to {@link FAILURE_PAGE} with their code and
 * correlation ID (JSON clients get tiktokErrorHandler's JSON instead).
 */
export function authRoutes(options: AuthRoutesOptions): Router {
  const router = Router();
  const paths = ['/auth/tiktok', options.callbackPath];
  if (!options.enabled) {
    router.all(paths, (_req, res) => {
      res.status(503).set('Retry-After', '300').type('html').send(loginDisabledPage());
    });
    return router;
  }
  if (options.rateLimit !== false) router.use(paths, loginRateLimiter(options.rateLimit));
  router.get('/auth/tiktok', authenticate(options.passport));
  // `all`: a HEAD or POST to the callback gets the strategy's 405 and leaves the state alone.
  router.all(
    options.callbackPath,
    authenticate(options.passport, { failWithError: true }),
    tiktokReturnTo({ fallback: '/profile' }),
  );
  router.use(paths, tiktokErrorHandler({ failureRedirect: FAILURE_PAGE }));
  return router;
}
