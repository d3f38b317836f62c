// app.ts — "Log in with TikTok" in an Express app, as one file.
import { randomBytes } from 'node:crypto';
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import {
  getTikTokLoginFailure,
  TikTokStrategy,
  tiktokErrorHandler,
  tiktokReturnTo,
  type TikTokStrategyOptions,
} from 'passport-tiktok';

// Your user store; here, a Map.
const users = new Map<string, { tiktokId: string; name: string }>();

/**
 * The app, not listening. TikTok's settings come from TIKTOK_CLIENT_KEY, TIKTOK_CLIENT_SECRET
 * and TIKTOK_REDIRECT_URI (e.g. https://example.com/auth/tiktok/callback); `tiktok` overrides
 * them (tests point it at the emulator).
 */
export function createApp(tiktok: TikTokStrategyOptions = {}): express.Express {
  // A Passport of its own: two apps in one process (a test suite) never share a strategy.
  const auth = new passport.Passport();
  auth.serializeUser((user, done) => done(null, user));
  auth.deserializeUser((user: Express.User, done) => done(null, user));
  auth.use(
    new TikTokStrategy(
      { scope: ['user.info.basic', 'user.info.profile'], ...tiktok },
      async (_accessToken, _refreshToken, profile) => {
        const user = { tiktokId: profile.id, name: profile.displayName };
        users.set(user.tiktokId, user);
        return user;
      },
    ),
  );

  // A known secret lets anyone forge session cookies: production must set its own; elsewhere
  // an unset one is random (sessions then end when the process restarts).
  const secret = process.env.SESSION_SECRET;
  if (!secret && process.env.NODE_ENV === 'production') {
    throw new Error('Set SESSION_SECRET (a long random string) to run in production');
  }

  const app = express();
  app.set('trust proxy', 1); // behind a TLS-terminating proxy / load balancer
  app.use(
    session({
      secret: secret || randomBytes(32).toString('hex'),
      resave: false,
      saveUninitialized: false,
      // Secure (sent over https only) in production. Over plain http (local dev, supertest) a
      // Secure cookie never comes back and every login fails with INVALID_STATE.
      cookie: { sameSite: 'lax', secure: process.env.NODE_ENV === 'production', httpOnly: true },
    }),
  );
  app.use(auth.session());

  app.get('/', (req, res) => {
    res.send(req.user ? 'You are logged in with TikTok' : '<a href="/auth/tiktok">Log in</a>');
  });
  app.get('/auth/tiktok', auth.authenticate('tiktok')); // `?returnTo=/path`: see tiktokReturnTo()
  app.get(
    '/auth/tiktok/callback',
    auth.authenticate('tiktok', { failureRedirect: '/login' }),
    tiktokReturnTo(), // redirects to the validated returnTo, else '/' (passport's successReturnToOrRedirect does not read it)
  );
  app.get('/login', (req, res) => {
    const failure = getTikTokLoginFailure(req); // { code, message, correlationId? } once
    res.send(
      failure ? `Login failed: ${failure.message} (ref ${failure.correlationId ?? '-'})` : 'Log in',
    );
  });
  app.use(tiktokErrorHandler({ failureRedirect: '/login' }));
  return app;
}

// Listens only when run directly (`npx tsx example/minimal.ts`), never when imported by a test.
if (require.main === module) {
  const port = Number(process.env.PORT ?? 3000);
  createApp().listen(port, () => {
    process.stdout.write(`Log in with TikTok: open http://localhost:${port}\n`);
  });
}
