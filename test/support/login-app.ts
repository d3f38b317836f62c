import assert from 'node:assert/strict';
import express5 from 'express';
import session from 'express-session';
import express4 from 'express4';
import { createServer, type Server } from 'node:http';
import passportModule from 'passport';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import {
  getTikTokLoginFailure,
  tiktokErrorHandler,
  tiktokReturnTo,
  tiktokSessionGuard,
  TikTokStrategy,
  type TikTokStrategyOptions,
  type TikTokVerifyFunction,
} from '../../lib';
import type { TikTokEmulator } from '../../lib/testing';

export type ExpressVersion = 'express5' | 'express4';
export const EXPRESS_VERSIONS: readonly ExpressVersion[] = ['express5', 'express4'];

/** The callback URL the test apps register (the app is reached through supertest, not this host). */
export const CALLBACK_URL = 'http://app.test/auth/tiktok/callback';
/** The callback URL of the `failureRedirect` variant (its own strategy, named `tiktok-redirect`). */
export const REDIRECT_CALLBACK_URL = 'http://app.test/auth/tiktok/callback-redirect';

export interface LoginAppOptions {
  tt: TikTokEmulator;
  express?: ExpressVersion;
  /** Default: express-session's MemoryStore. */
  store?: session.Store;
  strategy?: Omit<TikTokStrategyOptions, 'passReqToCallback'>;
  verify?: TikTokVerifyFunction;
  /** tiktokErrorHandler's `failureRedirect`. Default: none (JSON / HTML pages). */
  errorRedirect?: string;
  /** express-session cookie options, over `{ sameSite: 'lax', httpOnly: true }`. */
  cookie?: session.CookieOptions;
  /** Extra passport.authenticate() options of `/auth/tiktok/callback` (`keepSessionInfo`…). */
  callbackOptions?: passportModule.AuthenticateOptions;
  /**
   * The app's own error middleware after tiktokErrorHandler, for errors that are not the
   * package's: answers 500 `{ appError: err.message }`. Default: Express's final handler.
   */
  reportAppErrors?: boolean;
  /** A subclass of TikTokStrategy to use for both strategies. Default: TikTokStrategy. */
  strategyClass?: typeof TikTokStrategy;
}

export interface LoginApp {
  readonly server: Server;
  readonly strategy: TikTokStrategy;
  close(): Promise<void>;
}

/** Strategy options pointing at the emulator. */
export function emulatorOptions(
  tt: TikTokEmulator,
): Omit<TikTokStrategyOptions, 'passReqToCallback'> {
  return {
    clientKey: tt.clientKey,
    clientSecret: tt.clientSecret,
    callbackURL: CALLBACK_URL,
    retryBaseDelayMs: 5,
    ...tt.endpoints,
  };
}

function isHandler(value: unknown): value is RequestHandler {
  return typeof value === 'function';
}

function sessionView(req: Request): Record<string, unknown> {
  return Object.fromEntries(Object.entries(req.session).filter(([key]) => key !== 'cookie'));
}

/**
 * An Express app wired like the README: session, passport, TikTokStrategy, the callback with
 * `failWithError` + tiktokErrorHandler, `tiktokReturnTo()`, and a `failureRedirect` variant.
 * Listens on port 0; close() in `after`.
 */
export async function startLoginApp(options: LoginAppOptions): Promise<LoginApp> {
  const express = options.express === 'express4' ? express4 : express5;
  const passport = new passportModule.Passport();
  const authenticate = (
    opts: passportModule.AuthenticateOptions = {},
    name = 'tiktok',
  ): RequestHandler => {
    const handler: unknown = passport.authenticate(name, opts);
    assert.ok(isHandler(handler));
    return handler;
  };
  const Strategy = options.strategyClass ?? TikTokStrategy;
  const strategy = new Strategy(
    { ...emulatorOptions(options.tt), ...options.strategy },
    options.verify,
  );
  passport.use(strategy);
  // A strategy answers callbacks on its callbackURL's path only: the failureRedirect variant
  // has its own. Pending logins live under one session key, so either finishes the other's.
  passport.use(
    'tiktok-redirect',
    new Strategy(
      { ...emulatorOptions(options.tt), ...options.strategy, callbackURL: REDIRECT_CALLBACK_URL },
      options.verify,
    ),
  );
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: Express.User, done) => done(null, user));
  const app = express();
  const sessions: RequestHandler = session({
    secret: 'test-session-secret',
    resave: false,
    saveUninitialized: false,
    cookie: { sameSite: 'lax', httpOnly: true, ...options.cookie },
    ...(options.store === undefined ? {} : { store: options.store }),
  });
  app.use(tiktokSessionGuard(sessions));
  app.use(passport.session());
  app.get('/auth/tiktok', authenticate());
  app.post('/auth/tiktok', authenticate());
  app.all(
    '/auth/tiktok/callback',
    authenticate({ failWithError: true, ...options.callbackOptions }),
    tiktokReturnTo(),
  );
  app.get(
    '/auth/tiktok/callback-redirect',
    authenticate({ failureRedirect: '/login' }, 'tiktok-redirect'),
    tiktokReturnTo(),
  );
  app.get('/login', (req, res) => {
    res.json({ failure: getTikTokLoginFailure(req) ?? null });
  });
  app.get('/me', (req, res) => {
    res.json({ user: req.user ?? null, sessionID: req.sessionID, session: sessionView(req) });
  });
  app.get('/poke', (req, res) => {
    Reflect.set(req.session, 'poke', 'pre-login value');
    res.json({ sessionID: req.sessionID });
  });
  app.post('/logout', (req, res, next) => {
    req.logout((err: unknown) =>
      err === undefined || err === null ? res.json({ ok: true }) : next(err),
    );
  });
  app.use(
    tiktokErrorHandler(
      options.errorRedirect === undefined ? {} : { failureRedirect: options.errorRedirect },
    ),
  );
  if (options.reportAppErrors === true) {
    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      res.status(500).json({ appError: err instanceof Error ? err.message : String(err) });
    });
  }
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    strategy,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err === undefined ? resolve() : reject(err)));
      }),
  };
}
