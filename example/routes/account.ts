import { Router, type NextFunction, type Request, type Response } from 'express';
import { isTikTokAPIError, type TikTokLogger, type TikTokTokenManager } from 'passport-tiktok';
import { homeConfirmation, homePage, type HomeConfirmation } from '../pages/home';
import { loggedOutProfilePage, profilePage } from '../pages/profile';
import { correlationIdOf } from '../request-log';
import { isExampleUser, type ExampleUser } from '../user';

export interface AccountRoutesOptions {
  tokenManager: TikTokTokenManager;
  logger: TikTokLogger;
  oauthEnabled: boolean;
  tiktok: 'emulator' | 'tiktok';
  /** The emulator's base URL: the profile links to its "connected apps" page. */
  emulatorUrl?: string;
}

/** The logged-in user, checked (it came back from the session store). */
export function currentUser(req: Request): ExampleUser | undefined {
  return isExampleUser(req.user) ? req.user : undefined;
}

/**
 * Logout and disconnect are POSTs from our own pages only. NOTE: the `SameSite=Lax` session
 * cookie stops cross-site POSTs, but not those from another origin of the same site (a page on
 * another subdomain): a POST must come from this origin, as the browser says with
 * `Sec-Fetch-Site` (`same-origin`, or `none` for one the user typed) or, from older browsers,
 * with `Origin`. A request with neither (curl, a server) is let through: it carries no browser's
 * cookie unless its sender has it.
 */
function sameOriginOnly(req: Request, res: Response, next: NextFunction): void {
  const site = req.get('sec-fetch-site');
  const origin = req.get('origin');
  const sameOrigin =
    site !== undefined
      ? site === 'same-origin' || site === 'none'
      : origin === undefined || origin === `${req.protocol}://${req.get('host') ?? ''}`;
  if (!sameOrigin) {
    res.status(403).type('text/plain').send('Cross-origin request refused');
    return;
  }
  next();
}

/** Logs out, then home with a confirmation of what was done. */
function logout(done: HomeConfirmation) {
  return (req: Request, res: Response, next: NextFunction): void => {
    req.logout((err: unknown) => {
      if (err !== undefined && err !== null) {
        next(err);
        return;
      }
      res.redirect(303, `/?done=${done}`);
    });
  };
}

/** The emulator's "connected apps" page for `openId`, coming back to `returnTo`. */
function connectedAppsUrl(emulatorUrl: string, openId: string, returnTo: string): string {
  const url = new URL('/emulator/connected-apps', emulatorUrl);
  url.searchParams.set('open_id', openId);
  url.searchParams.set('return_to', returnTo);
  return url.href;
}

/** Home, profile, logout and "Disconnect TikTok". */
export function accountRoutes(options: AccountRoutesOptions): Router {
  const { tokenManager, logger } = options;
  const router = Router();

  router.get('/', (req, res) => {
    res.set('Cache-Control', 'no-store');
    res.type('html').send(
      homePage({
        user: currentUser(req),
        oauthEnabled: options.oauthEnabled,
        tiktok: options.tiktok,
        done: homeConfirmation(req.query.done),
      }),
    );
  });

  router.get('/profile', async (req, res) => {
    const user = currentUser(req);
    if (user === undefined) {
      res.set('Cache-Control', 'no-store');
      res.status(401).type('html').send(loggedOutProfilePage());
      return;
    }
    // Store down → TikTokAPIError SERVICE_UNAVAILABLE → tiktokErrorHandler (Express 5 async).
    const tokens = await tokenManager.get(user.id, { correlationId: correlationIdOf(req) });
    res.set('Cache-Control', 'no-store');
    res.type('html').send(
      profilePage({
        user,
        scopes: tokens?.scope.split(',').filter((s) => s !== '') ?? [],
        accessTokenExpiresAt: tokens?.expires_at,
        now: Date.now(),
        ...(options.emulatorUrl === undefined
          ? {}
          : {
              tiktokDisconnectUrl: connectedAppsUrl(
                options.emulatorUrl,
                user.id,
                `${req.protocol}://${req.get('host') ?? 'localhost'}/profile`,
              ),
            }),
      }),
    );
  });

  router.post('/logout', sameOriginOnly, logout('logged-out'));
  // NOTE: a GET (a typed URL, a link) must not log anyone out: it is told to POST instead.
  router.get(['/logout', '/disconnect'], (_req, res) => {
    res.status(405).set('Allow', 'POST').type('text').send('Use the button on /profile (POST).');
  });

  router.post(
    '/disconnect',
    sameOriginOnly,
    async (req, _res, next) => {
      const user = currentUser(req);
      if (user !== undefined) {
        const correlationId = correlationIdOf(req);
        // Revoked at TikTok, then deleted locally whatever happened: log, and log out anyway.
        await tokenManager.revoke(user.id, { correlationId }).catch((err: unknown) => {
          logger.warn('disconnect - TikTok revoke failed; tokens deleted locally', {
            correlationId,
            errorCode: isTikTokAPIError(err) ? err.code : 'UNKNOWN',
          });
        });
      }
      next();
    },
    logout('disconnected'),
  );
  return router;
}
