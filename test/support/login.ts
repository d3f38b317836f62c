import assert from 'node:assert/strict';
import express5 from 'express';
import session from 'express-session';
import express4 from 'express4';
import { createServer, request as httpRequest, type Server } from 'node:http';
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
import {
  startTikTokEmulator,
  type TikTokEmulator,
  type TikTokEmulatorOptions,
} from '../../lib/testing';
import { realNow } from './clock';
import request from 'supertest';
import { field } from './json';

export type ExpressVersion = 'express5' | 'express4';
export const EXPRESS_VERSIONS: readonly ExpressVersion[] = ['express5', 'express4'];

/** The callback URL the test apps register: https, as TikTok requires (supertest reaches the app, not this host). */
export const CALLBACK_URL = 'https://app.test/auth/tiktok/callback';
/** The callback URL of the `failureRedirect` variant (its own strategy, named `tiktok-redirect`). */
export const REDIRECT_CALLBACK_URL = 'https://app.test/auth/tiktok/callback-redirect';

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
  /** express-session's own `proxy` option (trust `X-Forwarded-Proto` for Secure cookies). */
  sessionProxy?: boolean;
  /** Extra passport.authenticate() options of `/auth/tiktok/callback` (`keepSessionInfo`…). */
  callbackOptions?: passportModule.AuthenticateOptions;
  /**
   * The app's own error middleware after tiktokErrorHandler, for errors that are not the
   * package's: answers 500 `{ appError: err.message }`. Default: Express's final handler.
   */
  reportAppErrors?: boolean;
  /** A subclass of TikTokStrategy to use for both strategies. Default: TikTokStrategy. */
  strategyClass?: typeof TikTokStrategy;
  /** More express-session options (`rolling`, `resave`, `genid`, `unset`…), over the defaults. */
  sessionOptions?: Partial<session.SessionOptions>;
  /**
   * The session middleware(s) instead of express-session (then `store`, `cookie`, `sessionProxy`
   * and `sessionOptions` are not used): cookie-session, say, followed by the app's shims.
   */
  sessionMiddleware?: RequestHandler[];
  /** Mounts `passport.session()`. Default: true. */
  passportSession?: boolean;
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
    ...(options.sessionProxy === undefined ? {} : { proxy: options.sessionProxy }),
    ...options.sessionOptions,
  });
  if (options.sessionMiddleware === undefined) app.use(tiktokSessionGuard(sessions));
  else app.use(...options.sessionMiddleware);
  if (options.passportSession !== false) app.use(passport.session());
  app.get('/auth/tiktok', authenticate());
  app.post('/auth/tiktok', authenticate());
  // The failureRedirect variant's own start: its code exchange sends its own redirect URI.
  app.get('/auth/tiktok-redirect', authenticate({}, 'tiktok-redirect'));
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

export interface LoginFixture {
  readonly tt: TikTokEmulator;
  readonly app: LoginApp;
  /** A new browser (cookie jar) for this app. */
  browser(): Agent;
}

export interface LoginFixtureOptions extends Omit<LoginAppOptions, 'tt'> {
  emulator?: TikTokEmulatorOptions;
}

/**
 * Registers mocha hooks, inside the calling `describe`: an auto-approving emulator and a login
 * app started in `before`, closed in `after`, the emulator reset before each test.
 */
export function useLoginFixture(options: LoginFixtureOptions = {}): LoginFixture {
  let tt: TikTokEmulator | undefined;
  let app: LoginApp | undefined;
  before(async () => {
    tt = await startTikTokEmulator({
      autoApprove: true,
      clock: realNow,
      redirectUris: [CALLBACK_URL, REDIRECT_CALLBACK_URL],
      ...options.emulator,
    });
    app = await startLoginApp({ ...options, tt });
  });
  after(async () => {
    await app?.close();
    await tt?.close();
  });
  beforeEach(() => tt?.reset());
  const fixture: LoginFixture = {
    get tt(): TikTokEmulator {
      if (tt === undefined) throw new Error('the fixture is used outside its describe');
      return tt;
    },
    get app(): LoginApp {
      if (app === undefined) throw new Error('the fixture is used outside its describe');
      return app;
    },
    browser: () => browser(fixture.app.server),
  };
  return fixture;
}

export type Agent = ReturnType<typeof request.agent>;
export type TestResponse = request.Response;

/** A cookie-keeping browser for one test app. */
export function browser(server: Server): Agent {
  return request.agent(server);
}

/** Path and query of an absolute URL: what the browser requests from the app. */
export function pathOf(url: string): string {
  const parsed = new URL(url);
  return parsed.pathname + parsed.search;
}

/** Issuing the authorization request: the app answers 302 to the emulator's authorize URL. */
export async function startLogin(agent: Agent, path = '/auth/tiktok'): Promise<URL> {
  const res = await agent.get(path);
  assert.equal(res.status, 302, `start should redirect, got ${res.status}: ${res.text}`);
  const location = res.headers.location;
  assert.equal(typeof location, 'string');
  return new URL(String(location));
}

/** The emulator's (auto-approved) consent: returns the app path TikTok sends the browser back to. */
export async function consent(authorizeUrl: URL): Promise<string> {
  const res = await fetch(authorizeUrl, { redirect: 'manual' });
  const body = await res.text();
  assert.equal(res.status, 302, `authorize should redirect back, got ${res.status}: ${body}`);
  const location = res.headers.get('location');
  assert.ok(location !== null);
  return pathOf(location);
}

/** Start → consent → callback; returns the callback response (302 to returnTo on success). */
export async function login(agent: Agent, startPath = '/auth/tiktok'): Promise<TestResponse> {
  const callback = await consent(await startLogin(agent, startPath));
  return agent.get(callback).set('Accept', 'application/json');
}

/** The `state` of an authorize URL. */
export function stateOf(authorizeUrl: URL): string {
  const state = authorizeUrl.searchParams.get('state');
  assert.ok(state !== null && state.length === 64);
  return state;
}

/** Asserts a tiktokErrorHandler JSON answer and returns its error object. */
export function assertErrorJson(
  res: TestResponse,
  status: number,
  code: string,
): { code: string; message: string; correlationId: string; retryable: boolean } {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${res.text}`);
  assert.equal(field(res.body, 'error', 'code'), code);
  const correlationId = field(res.body, 'error', 'correlationId');
  const message = field(res.body, 'error', 'message');
  const retryable = field(res.body, 'error', 'retryable');
  assert.equal(typeof correlationId, 'string');
  assert.equal(res.headers['x-correlation-id'], correlationId);
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.ok(typeof message === 'string' && typeof retryable === 'boolean');
  return { code, message, correlationId: String(correlationId), retryable };
}

/** GET `path` with `cookie`, the socket destroyed after `ms`: a browser closing the tab. */
export function getAndDisconnect(
  app: LoginApp,
  path: string,
  cookie: string,
  ms: number,
): Promise<void> {
  const address = app.server.address();
  assert.ok(address !== null && typeof address === 'object');
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port: address.port, path, headers: { cookie } });
    req.on('response', () => assert.fail('the browser left before any response'));
    req.on('error', () => resolve());
    req.end();
    setTimeout(() => req.destroy(), ms);
  });
}

/** The session cookie value (`connect.sid`) a response set, if any. */
export function sessionCookie(res: TestResponse): string | undefined {
  const header: unknown = res.headers['set-cookie'];
  const cookies = Array.isArray(header) ? header.map(String) : [];
  const sid = cookies.find((c) => c.startsWith('connect.sid='));
  return sid?.split(';')[0]?.slice('connect.sid='.length);
}
