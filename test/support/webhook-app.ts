import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import passportModule from 'passport';
import type { RequestHandler } from 'express';
import {
  MemoryRemovalList,
  MemoryTokenStore,
  RedisClaimStore,
  RedisRemovalList,
  RedisTokenStore,
  TikTokClient,
  tiktokErrorHandler,
  tiktokSessionGuard,
  tiktokSessionRevocation,
  TikTokStrategy,
  TikTokTokenManager,
  tiktokWebhook,
  type TikTokRemovalList,
  type TikTokStateClaimStore,
  type TikTokVerifyFunction,
  type TokenStore,
} from '../../lib';
import type { TikTokEmulator } from '../../lib/testing';
import { CaptureLogger } from './capture-logger';
import { CALLBACK_URL } from './login';
import type { TestRedis } from './redis';

function isHandler(value: unknown): value is RequestHandler {
  return typeof value === 'function';
}

export const TEST_ENCRYPTION_KEY = 'ab'.repeat(32);

export interface WebhookAppOptions {
  tt: TikTokEmulator;
  /** Shared Redis for sessions, tokens, claims and removals; default: memory (one instance). */
  redis?: TestRedis;
  /** Key prefix in Redis (one per test run). */
  prefix?: string;
  /** Replaces the removal list (e.g. a failing one). */
  removals?: TikTokRemovalList;
  /** The strategy's verify; default: the profile is the user. */
  verify?: TikTokVerifyFunction;
}

export interface WebhookApp {
  readonly server: Server;
  /** `http://127.0.0.1:<port>/webhooks/tiktok`: give it to `tt.setWebhookUrl`. */
  readonly webhookUrl: string;
  readonly tokens: TikTokTokenManager;
  readonly removals: TikTokRemovalList;
  readonly logger: CaptureLogger;
  close(): Promise<void>;
}

/**
 * An app wired like the docs' webhook page: the webhook before any body parser, then the session,
 * passport.session() and tiktokSessionRevocation(); TikTokStrategy saves tokens at login.
 * `/me` answers `{ user }`. Listens on 127.0.0.1 port 0.
 */
export async function startWebhookApp(options: WebhookAppOptions): Promise<WebhookApp> {
  const { tt, redis } = options;
  const prefix = options.prefix ?? 'ptt-webhook:';
  const logger = new CaptureLogger();
  const client = new TikTokClient({
    clientKey: tt.clientKey,
    clientSecret: tt.clientSecret,
    redirectUri: CALLBACK_URL,
    retryBaseDelayMs: 5,
    ...tt.endpoints,
    logger,
  });
  const store: TokenStore =
    redis === undefined
      ? new MemoryTokenStore()
      : new RedisTokenStore({
          client: redis,
          prefix: `${prefix}tokens:`,
          encryptionKey: TEST_ENCRYPTION_KEY,
        });
  const tokens = new TikTokTokenManager({ client, store, logger });
  const removals =
    options.removals ??
    (redis === undefined
      ? new MemoryRemovalList()
      : new RedisRemovalList({ client: redis, prefix: `${prefix}removed:`, ttlMs: 3600_000 }));
  const claimStore: TikTokStateClaimStore | undefined =
    redis === undefined
      ? undefined
      : new RedisClaimStore({ client: redis, prefix: `${prefix}claim:` });
  const passport = new passportModule.Passport();
  passport.use(
    new TikTokStrategy(
      {
        client,
        callbackURL: CALLBACK_URL,
        tokenManager: tokens,
        ...(claimStore === undefined ? {} : { claimStore }),
      },
      options.verify,
    ),
  );
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: Express.User, done) => done(null, user));
  const handler: unknown = passport.authenticate('tiktok', { failWithError: true });
  if (!isHandler(handler)) throw new Error('passport.authenticate did not return a middleware');
  const authenticate = handler;
  const app = express();
  app.post(
    '/webhooks/tiktok',
    tiktokWebhook({
      clientSecret: tt.clientSecret,
      clientKey: tt.clientKey,
      tokenManager: tokens,
      removals,
      logger,
      ...(claimStore === undefined ? {} : { claimStore }),
    }),
  );
  app.use(
    tiktokSessionGuard(
      session({
        secret: 'webhook-test-session-secret',
        resave: false,
        saveUninitialized: false,
        ...(redis === undefined
          ? {}
          : { store: new RedisStore({ client: redis, prefix: `${prefix}sess:` }) }),
      }),
    ),
  );
  app.use(passport.session(), tiktokSessionRevocation({ removals, logger }));
  app.get('/auth/tiktok', authenticate);
  app.get('/auth/tiktok/callback', authenticate, (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/me', (req, res) => {
    res.json({ user: req.user ?? null, revoked: req.tiktokSessionRevoked ?? null });
  });
  app.use(tiktokErrorHandler());
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    webhookUrl: `http://127.0.0.1:${port}/webhooks/tiktok`,
    tokens,
    removals,
    logger,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
