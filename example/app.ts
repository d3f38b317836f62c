import { randomBytes } from 'node:crypto';
import express, { type Express } from 'express';
import {
  createTikTokMetrics,
  getTikTokLoginFailure,
  TikTokClient,
  TikTokTokenManager,
  tiktokSessionRevocation,
  tiktokWebhook,
  type TikTokLogger,
} from 'passport-tiktok';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { parseLogLevel } from './config';
import { createPassport } from './login';
import { createExampleLogger } from './logger';
import { sameLoopbackHost } from './loopback-host';
import { FAVICON_SVG } from './pages/layout';
import { loginFailedPage } from './pages/login-failed';
import { DEFAULT_LOGIN_RATE_LIMIT, type LoginRateLimit } from './rate-limit';
import { requestLogger } from './request-log';
import { accountRoutes, currentUser } from './routes/account';
import { authRoutes, FAILURE_PAGE } from './routes/auth';
import { errorHandlers, notFound } from './routes/errors';
import { opsRoutes } from './routes/ops';
import { securityHeaders } from './security-headers';
import { sessionMiddleware } from './session';
import { createStorage, type ExampleRedisClient } from './storage';

/** Where TikTok posts webhooks: register `<your origin>/webhooks/tiktok` in TikTok's developer portal. */
export const WEBHOOK_PATH = '/webhooks/tiktok';

/**
 * Options of {@link createApp}. The TikTok part is what the emulator snippet of docs/emulator.md passes:
 * `createApp({ clientKey: tt.clientKey, clientSecret: tt.clientSecret, callbackURL, ...tt.endpoints })`.
 */
export interface ExampleAppOptions {
  /** The TikTok app's client key (the emulator's: `tt.clientKey`). Required. */
  clientKey: string;
  /** The TikTok app's client secret (the emulator's: `tt.clientSecret`). Required. */
  clientSecret: string;
  /** The registered redirect URI; its path is the callback route. Required. */
  callbackURL: string;
  /** TikTok endpoints. Default: TikTok's; spread `tt.endpoints` for the emulator. */
  authorizationURL?: string;
  tokenURL?: string;
  revokeURL?: string;
  userInfoURL?: string;
  /** Scopes to request. Default: `['user.info.basic']`. */
  scope?: string[];
  /** Shows the "this is the emulator" note on the home page. Default: `false`. */
  usingEmulator?: boolean;
  /**
   * The emulator's base URL (`tt.url`): the profile page then links to its "connected apps"
   * page, where the user can remove the app's access as in the TikTok app. Default: none.
   */
  emulatorUrl?: string;
  /** A node-redis v5 client for sessions, tokens and claims (the caller connects and closes it). Default: memory. */
  redis?: ExampleRedisClient;
  /**
   * Encrypts the TikTok tokens kept in Redis (32 bytes: base64 or hex, `openssl rand -base64 32`).
   * Required with `redis`; `npm start` reads it from `TIKTOK_TOKEN_KEY`. Default: none.
   */
  tokenEncryptionKey?: string | Buffer;
  /** Prefix of every Redis key. Default: `'passport-tiktok-example:'`. */
  redisPrefix?: string;
  /** Signs the session cookie. Default: random per process (sessions end at restart; warned). */
  sessionSecret?: string;
  /**
   * Former session secrets: cookies they signed are still accepted (a rotation of
   * `sessionSecret` logs nobody out). Default: none.
   */
  previousSessionSecrets?: readonly string[];
  /** `Secure` session cookie (HTTPS only). Default: `false`. */
  secureCookies?: boolean;
  /** Express's `trust proxy`. Default: unset. */
  trustProxy?: boolean | number | string;
  /**
   * Requests to the login routes (start and callback together) per client IP and window; beyond
   * it they answer 429. `false` turns the limit off. Default: 30 per minute.
   */
  loginRateLimit?: LoginRateLimit | false;
  /** `false`: the login routes answer 503, everything else works. Default: `true`. */
  oauthEnabled?: boolean;
  /** Request lines, the strategy's and the token manager's logs. Default: winston at `TIKTOK_LOG_LEVEL`. */
  logger?: TikTokLogger;
}

/** What {@link createApp} returns. */
export interface ExampleApp {
  /** The Express app: `app.listen(port)`, or `request(app)` with supertest. */
  readonly app: Express;
  readonly tokenManager: TikTokTokenManager;
  /** The app's Prometheus registry (served on `/metrics`). */
  readonly registry: Registry;
  /** Releases what createApp created (its metrics registry). The Redis client is the caller's. */
  close(): Promise<void>;
}

/** The example app: "Log in with TikTok" with sessions, a profile page, logout and disconnect. */
/** The example's own pages: the callback route cannot be one of them. */
const OWN_PATHS = [
  '/',
  '/auth/tiktok',
  '/profile',
  '/logout',
  '/disconnect',
  '/healthz',
  '/metrics',
  FAILURE_PAGE,
  WEBHOOK_PATH,
  '/favicon.svg',
  '/favicon.ico',
];

/**
 * The callback route's path, from the redirect URI. NOTE: refused when it is one of the
 * example's pages: the strategy would take that page for the callback (a bare GET of `/` or of
 * `/auth/tiktok` answers 400), and no login could start or no home page show.
 */
function callbackPathOf(callbackURL: string): string {
  const path = new URL(callbackURL).pathname;
  const taken = OWN_PATHS.find((own) => own.replace(/\/$/, '') === path.replace(/\/+$/, ''));
  if (taken !== undefined) {
    throw new TypeError(
      `TIKTOK_REDIRECT_URI's path ${path} is a page of the example app: use a path of its own, such as /auth/tiktok/callback (and register that redirect URI with TikTok)`,
    );
  }
  return path;
}

export function createApp(options: ExampleAppOptions): ExampleApp {
  const callbackPath = callbackPathOf(options.callbackURL);
  const logger = options.logger ?? createExampleLogger(parseLogLevel(process.env.TIKTOK_LOG_LEVEL));
  const oauthEnabled = options.oauthEnabled ?? true;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = createTikTokMetrics(registry);
  const storage = createStorage(
    options.redis,
    options.redisPrefix ?? 'passport-tiktok-example:',
    options.tokenEncryptionKey,
  );
  if (storage.kind === 'memory') {
    logger.warn(
      'sessions use express-session MemoryStore: they are lost on restart and not shared between instances; set REDIS_URL for Redis',
      {},
    );
  }
  let secret = options.sessionSecret;
  if (secret === undefined) {
    logger.warn(
      'SESSION_SECRET is not set: using a random secret, so sessions end when the process restarts',
      {},
    );
    secret = randomBytes(32).toString('hex');
  }
  const client = new TikTokClient({
    clientKey: options.clientKey,
    clientSecret: options.clientSecret,
    redirectUri: options.callbackURL,
    authorizationURL: options.authorizationURL,
    tokenURL: options.tokenURL,
    revokeURL: options.revokeURL,
    userInfoURL: options.userInfoURL,
    scopes: options.scope ?? ['user.info.basic'],
    logger,
    metrics,
  });
  const tokenManager = new TikTokTokenManager({
    client,
    store: storage.tokenStore,
    logger,
    metrics,
  });
  const passport = createPassport({ client, tokenManager, claimStore: storage.claimStore });

  const app = express();
  app.disable('x-powered-by');
  if (options.trustProxy !== undefined) app.set('trust proxy', options.trustProxy);
  app.use(requestLogger(logger), securityHeaders);
  // Before the session: these keep answering while Redis is down. NOTE: the failure page must
  // not need the session, or a session-store outage would redirect to it over and over; the
  // failure reaches it in the query (`?error=<code>&correlationId=<id>`, see routes/auth.ts).
  app.use(opsRoutes({ storage, registry, oauthEnabled }));
  // After the ops routes: health checks and scrapers on 127.0.0.1 get answers, not redirects.
  app.use(sameLoopbackHost(options.callbackURL));
  // Before any body parser (the signature covers the raw body) and the session (TikTok has none).
  app.post(
    WEBHOOK_PATH,
    tiktokWebhook({
      clientKey: options.clientKey,
      clientSecret: options.clientSecret,
      tokenManager,
      removals: storage.removals,
      ...(storage.claimStore === undefined ? {} : { claimStore: storage.claimStore }),
      logger,
      metrics,
    }),
  );
  app.get(['/favicon.svg', '/favicon.ico'], (_req, res) => {
    res.set('Cache-Control', 'public, max-age=86400');
    res.type('image/svg+xml').send(FAVICON_SVG);
  });
  app.get(FAILURE_PAGE, (req, res, next) => {
    const failure = getTikTokLoginFailure(req);
    // An expired login says more when we know you are logged in: that needs the session.
    if (failure?.code === 'INVALID_STATE') {
      next();
      return;
    }
    res.set('Cache-Control', 'no-store');
    res.type('html').send(loginFailedPage(failure));
  });
  app.use(
    sessionMiddleware({
      store: storage.sessionStore,
      secret: [secret, ...(options.previousSessionSecrets ?? [])],
      secure: options.secureCookies ?? false,
      logger,
    }),
  );
  app.use(passport.session());
  // Logs out, at their next request, users who removed the app's access on TikTok.
  app.use(tiktokSessionRevocation({ removals: storage.removals, logger }));
  app.get(FAILURE_PAGE, (req, res) => {
    res.set('Cache-Control', 'no-store');
    res.type('html').send(loginFailedPage(getTikTokLoginFailure(req), currentUser(req)));
  });
  app.use(
    authRoutes({
      passport,
      enabled: oauthEnabled,
      callbackPath,
      rateLimit: options.loginRateLimit ?? DEFAULT_LOGIN_RATE_LIMIT,
    }),
  );
  app.use(
    accountRoutes({
      tokenManager,
      logger,
      oauthEnabled,
      tiktok: options.usingEmulator === true ? 'emulator' : 'tiktok',
      ...(options.emulatorUrl === undefined ? {} : { emulatorUrl: options.emulatorUrl }),
    }),
  );
  app.use(notFound());
  app.use(errorHandlers(logger));

  return {
    app,
    tokenManager,
    registry,
    close: () => {
      registry.clear();
      return Promise.resolve();
    },
  };
}
