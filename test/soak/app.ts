import { randomBytes } from 'node:crypto';
import { RedisStore } from 'connect-redis';
import express, {
  type ErrorRequestHandler,
  type Express,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { Registry } from 'prom-client';
import type { createClient } from 'redis';
import type { TikTokLogger } from '../../lib/logging';
import { loadPackage } from '../../bench/dist';
import type { CanaryFile } from './capture';
import type { SoakAppConfig } from './types';

export type SoakRedisClient = ReturnType<typeof createClient>;

export interface SoakAppParts {
  readonly config: SoakAppConfig;
  readonly callbackURL: string;
  readonly redis: SoakRedisClient;
  readonly logger: TikTokLogger;
  readonly canaries: CanaryFile;
  /** Called for every error that reached the last handler (an app bug or a store failure). */
  readonly onInternalError: (err: unknown) => void;
}

interface SoakUser {
  id: string;
}

function isSoakUser(value: unknown): value is SoakUser {
  return (
    typeof value === 'object' && value !== null && typeof Reflect.get(value, 'id') === 'string'
  );
}

function isHandler(value: unknown): value is RequestHandler {
  return typeof value === 'function';
}

/** passport.authenticate(), typed (@types/passport returns `any`). */
function handler(value: unknown): RequestHandler {
  if (!isHandler(value)) throw new TypeError('passport.authenticate gave no middleware');
  return value;
}

/**
 * The app under soak, wired as docs/strategy.md and docs/tokens.md say for several instances:
 * connect-redis sessions behind tiktokSessionGuard, a RedisClaimStore, a TikTokTokenManager on an
 * encrypted RedisTokenStore, tiktokErrorHandler. Routes: start, callback (→ /me), /me (refreshes
 * the access token: every login exercises rotation), POST /logout (revoke, then log out).
 */
export function createSoakApp(parts: SoakAppParts): { app: Express; registry: Registry } {
  const pkg = loadPackage();
  const { config, redis, logger, canaries } = parts;
  const registry = new Registry();
  const metrics = pkg.createTikTokMetrics(registry);
  const client = new pkg.TikTokClient({
    ...config.upstream,
    redirectUri: parts.callbackURL,
    scopes: ['user.info.basic'],
    timeoutMs: config.attemptTimeoutMs,
    retryBaseDelayMs: 50,
    logger,
    metrics,
  });
  const tokens = new pkg.TikTokTokenManager({
    client,
    store: new pkg.RedisTokenStore({
      client: redis,
      prefix: 'soak:tokens:',
      encryptionKey: randomBytes(32),
    }),
    logger,
    metrics,
    // Access tokens live an hour at the emulator: every /me refreshes (and rotates).
    refreshSkewMs: 2 * 3600_000,
    // A refresh lock whose release failed (Redis restarting) blocks that user's refreshes until it
    // expires; callers wait up to lockWaitMs (lockTtlMs + 5 s). Shorter than the 15 s default, so
    // that wait stays far below the driver's hard timeout.
    lockTtlMs: 5000,
  });
  const strategy = new pkg.TikTokStrategy(
    {
      client,
      tokenManager: tokens,
      loginDeadlineMs: config.loginDeadlineMs,
      claimStore: new pkg.RedisClaimStore({ client: redis, prefix: 'soak:claim:' }),
    },
    (accessToken, refreshToken, profile, done) => {
      canaries.add(accessToken);
      canaries.add(refreshToken);
      done(null, { id: profile.id });
    },
  );
  const passport = new Passport();
  passport.use(strategy);
  passport.serializeUser((user, done) => done(null, isSoakUser(user) ? user.id : undefined));
  passport.deserializeUser((id: string, done) => done(null, { id }));

  const app = express();
  app.disable('x-powered-by');
  const sessions: RequestHandler = session({
    store: new RedisStore({ client: redis, prefix: 'soak:sess:' }),
    secret: randomBytes(32).toString('hex'),
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax' },
  });
  app.use(pkg.tiktokSessionGuard(sessions));
  app.use(passport.session());
  app.get('/auth/tiktok', handler(passport.authenticate('tiktok')));
  app.get(
    '/auth/tiktok/callback',
    handler(passport.authenticate('tiktok', { failWithError: true })),
    pkg.tiktokReturnTo({ fallback: '/me' }),
  );
  app.get('/me', async (req: Request, res: Response) => {
    if (!isSoakUser(req.user)) {
      res.status(401).json({ error: { code: 'NOT_LOGGED_IN' } });
      return;
    }
    const correlationId = pkg.acceptCorrelationId(req.headers['x-correlation-id']);
    canaries.add(await tokens.getAccessToken(req.user.id, { correlationId }));
    canaries.add((await tokens.get(req.user.id, { correlationId }))?.refresh_token);
    res.json({ id: req.user.id });
  });
  app.post('/logout', async (req: Request, res: Response, next: NextFunction) => {
    if (isSoakUser(req.user)) {
      await tokens.revoke(req.user.id).catch((err: unknown) => {
        logger.warn('logout - revoke failed; tokens deleted locally', {
          errorCode: pkg.isTikTokAPIError(err) ? err.code : 'UNKNOWN',
        });
      });
    }
    req.logout((err: unknown) => {
      if (err !== undefined && err !== null) next(err);
      else res.json({ ok: true });
    });
  });
  app.use(pkg.tiktokErrorHandler());
  const last: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    parts.onInternalError(err);
    logger.error('soak app - unhandled error', {
      errorName: err instanceof Error ? err.name : typeof err,
    });
    if (!res.headersSent) res.status(500).json({ error: { code: 'INTERNAL_ERROR' } });
  };
  app.use(last);
  return { app, registry };
}
