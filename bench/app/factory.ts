import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import type { BenchUser, StrategyConfig, StrategyPlugin } from './plugin';

function isBenchUser(value: unknown): value is BenchUser {
  return (
    typeof value === 'object' && value !== null && typeof Reflect.get(value, 'id') === 'string'
  );
}

/** Last resort for every app: a status from the error, a short text, never a stack. */
const finalErrorHandler: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
  const status: unknown =
    typeof err === 'object' && err !== null ? Reflect.get(err, 'status') : 500;
  res.status(typeof status === 'number' && status >= 400 && status < 600 ? status : 500);
  res.type('text/plain').send('login failed');
};

/**
 * The one Express 5 app every competitor runs in: express-session (MemoryStore), passport,
 * `GET /auth/tiktok` (start), `GET /auth/tiktok/callback` (finish, then 302 to `/`), and
 * `GET /session/end`, which answers the logged-in user's id and destroys the session so that
 * MemoryStore does not grow with the number of logins (memory figures measure the strategies).
 */
export function createBenchApp(plugin: StrategyPlugin, config: StrategyConfig): Express {
  const passport = new Passport();
  passport.use('tiktok', plugin.create(config));
  passport.serializeUser((user, done) => {
    done(null, isBenchUser(user) ? user.id : undefined);
  });
  passport.deserializeUser((id: string, done) => {
    done(null, { id });
  });

  const app = express();
  app.set('x-powered-by', false);
  app.use(
    session({
      secret: 'bench-session-secret',
      resave: false,
      saveUninitialized: false,
      store: new session.MemoryStore(),
      cookie: { httpOnly: true, sameSite: 'lax' },
    }),
  );
  app.use(passport.initialize());
  app.use(passport.session());

  // @types/passport types authenticate()'s middleware as `any`.
  const authenticate = (options: Record<string, unknown> = {}): RequestHandler =>
    passport.authenticate('tiktok', options) as RequestHandler;
  const { startOptions } = plugin;
  app.get(
    '/auth/tiktok',
    startOptions === undefined
      ? authenticate()
      : (req, res, next) => authenticate(startOptions())(req, res, next),
  );
  const { onLogin } = plugin;
  app.get('/auth/tiktok/callback', authenticate(), (req, res) => {
    onLogin?.(req);
    res.redirect('/');
  });
  app.get('/session/end', (req, res, next) => {
    const user: unknown = req.user;
    if (!isBenchUser(user)) {
      res.status(401).json({ error: 'not logged in' });
      return;
    }
    req.session.destroy((err: unknown) => {
      if (err) next(err);
      else res.json({ id: user.id });
    });
  });

  if (plugin.errorHandler !== undefined) app.use(plugin.errorHandler());
  app.use(finalErrorHandler);
  return app;
}
