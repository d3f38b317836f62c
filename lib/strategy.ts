/// <reference types="passport" preserve="true" />
import type { Request } from 'express';
import { Strategy as OAuth2Strategy } from 'passport-oauth2';
import type { AuthorizationUrl, TikTokClient } from './client/client';
import { AUTHORIZE_PARAMS, normalizeScopes, TOKEN_PARAMS } from './client/endpoints';
import type { TikTokTokens } from './client/types';
import { acceptCorrelationId } from './correlation';
import {
  codeForUpstreamError,
  ERROR_CODE_INFO,
  TikTokAPIError,
  type TikTokErrorCode,
} from './errors';
import type { LogLevel, SafeLogger } from './logging';
import { parse, type TikTokProfile } from './profile';
import { hasUser, keepOtherTabsAcrossLogin } from './state/carry-over';
import { issuedAt } from './tokens/token-record';
import { claimKeyForState } from './state/claims';
import { markLoginError } from './state/login-error';
import { loginFailureMessage, recordLoginFailure } from './state/login-failure';
import {
  addPendingLogin,
  findPendingLogin,
  keepPendingLogins,
  PENDING_LOGINS_KEY,
  readPendingLogins,
  removePendingLogin,
  type PendingLogin,
} from './state/pending-logins';
import { safeReturnTo } from './state/return-to';
import { withinTime } from './time-limit';
import {
  missingSessionMethods,
  missingSessionMethodsMessage,
  saveError,
  saveSession,
  sessionOf,
  type SessionLike,
} from './state/session';
import { CLOCK_SKEW_MARGIN_MS, expireLoginOnlySession } from './state/session-cookie';
import {
  looksLikeCallback,
  parseCallbackParams,
  rawPathOf,
  rawQueryOf,
  type CallbackParams,
} from './strategy/callback-params';
import { sessionCookieProblem, type SessionCookieProblem } from './strategy/cookie-check';
import {
  missingBasicScope,
  resolveStrategySettings,
  type AnyTikTokVerify,
  type StrategySettings,
  type TikTokAuthenticateOptions,
  type TikTokLoginFailureInfo,
  type TikTokStrategyOptions,
  type TikTokStrategyOptionsWithRequest,
  type TikTokTokenSink,
  type TikTokVerifyFunction,
  type TikTokVerifyFunctionWithParams,
  type TikTokVerifyFunctionWithRequest,
  type TikTokVerifyFunctionWithRequestAndParams,
} from './strategy/options';
import { VERIFY_REFUSED_MESSAGE } from './user-messages';

type WithoutReq = TikTokStrategyOptions;
type WithReq = TikTokStrategyOptionsWithRequest;

// passport-oauth2 requires a verify function; ours is kept in settings and run by runVerify().
const unusedVerify = (): void => undefined;

/**
 * "Log in with TikTok" for Passport. Extends passport-oauth2's Strategy but replaces its token
 * request and profile fetch with {@link TikTokClient}, where every TikTok quirk lives
 * (`client_key`, comma scopes, hex PKCE, errors with HTTP 200).
 *
 * ```ts
 * passport.use(new TikTokStrategy());           // TIKTOK_CLIENT_KEY/_SECRET/_REDIRECT_URI; user = profile
 * passport.use(
 *   new TikTokStrategy({ scope: ['user.info.basic', 'user.info.profile'] }, async (accessToken, refreshToken, profile) =>
 *     users.upsert({ tiktokId: profile.id, name: profile.displayName }),
 *   ),
 * );
 * app.get('/auth/tiktok', passport.authenticate('tiktok'));
 * app.get('/auth/tiktok/callback', passport.authenticate('tiktok', { failureRedirect: '/login' }), tiktokReturnTo());
 * ```
 *
 * Logins are kept in the session (several per browser, single-use, 10 min), so a session
 * middleware must run before passport. Failures: bad or replayed callbacks `fail()` with
 * `{ code, message, correlationId }` (never a 500); TikTok or transport problems `error()` with
 * a {@link TikTokAPIError} for `tiktokErrorHandler()`.
 */
export class TikTokStrategy extends OAuth2Strategy {
  override name = 'tiktok';
  /** The TikTok client this strategy uses (shared when passed as the `client` option). */
  readonly client: TikTokClient;
  /** What receives tokens on login: the `tokenManager` option, or the one made for `tokenStore`. */
  readonly tokenManager: TikTokTokenSink | undefined;
  private readonly settings: StrategySettings;

  constructor(options?: WithoutReq, verify?: TikTokVerifyFunction);
  /** Options from the environment (`TIKTOK_CLIENT_KEY`, …), as passport-oauth2's `new Strategy(verify)`. */
  constructor(verify: TikTokVerifyFunction);
  constructor(options: WithoutReq, verify: TikTokVerifyFunctionWithParams);
  // One overload per verify shape: a union would leave unannotated lambdas without types.
  constructor(options: WithReq, verify: TikTokVerifyFunctionWithRequest);
  // eslint-disable-next-line @typescript-eslint/unified-signatures
  constructor(options: WithReq, verify: TikTokVerifyFunctionWithRequestAndParams);
  constructor(
    options: TikTokStrategyOptions | TikTokStrategyOptionsWithRequest | AnyTikTokVerify = {},
    verify?: AnyTikTokVerify,
  ) {
    // NOTE: a function first is the verify, the options coming from the environment: passport-
    // oauth2's `new Strategy(verify)`, and NestJS's PassportStrategy mixin, whose `super()`
    // without arguments appends its own callback.
    const onlyVerify = typeof options === 'function' && verify === undefined;
    const settings = resolveStrategySettings(
      onlyVerify ? {} : options,
      onlyVerify ? options : verify,
      new.target.prototype.userProfile !== TikTokStrategy.prototype.userProfile,
    );
    super(
      {
        authorizationURL: settings.authorizationURL,
        tokenURL: settings.tokenURL,
        // A `clientKey` function is resolved at each login start, before the redirect.
        clientID: settings.client.clientKey || 'resolved-per-login',
        // Never handed to passport-oauth2: its token request is not used.
        clientSecret: '',
        callbackURL: settings.callbackURL,
        sessionKey: PENDING_LOGINS_KEY,
      },
      unusedVerify,
    );
    this.settings = settings;
    this.client = settings.client;
    this.tokenManager = settings.tokenManager;
  }

  /**
   * Starts a login, or finishes one on the callback (passport-oauth2's own flow is not used).
   * Calls the hooks a subclass may override: {@link authorizationParams} when a login starts,
   * {@link tokenParams} and {@link userProfile} on the callback.
   */
  override authenticate(req: Request, options?: TikTokAuthenticateOptions): void {
    authenticateRequest(req, options ?? {}, this.settings, this);
  }

  /**
   * passport-oauth2's hook: more query parameters for the authorization URL of a login started
   * with these `passport.authenticate()` options. The strategy's own parameters win: `client_key`,
   * `scope`, `response_type`, `redirect_uri`, `state`, `code_challenge`, `code_challenge_method`
   * and `disable_auto_auth` are left out (and logged) when returned here. Default: none.
   */
  override authorizationParams(_options: TikTokAuthenticateOptions): Record<string, string> {
    return {};
  }

  /**
   * passport-oauth2's hook: more form fields for the code exchange of a callback handled with
   * these `passport.authenticate()` options. The strategy's own fields win: `client_key`,
   * `client_secret`, `code`, `grant_type`, `redirect_uri` and `code_verifier` are left out (and
   * logged) when returned here. Default: none.
   */
  override tokenParams(_options: TikTokAuthenticateOptions): Record<string, string> {
    return {};
  }

  /**
   * passport-oauth2's hook: the profile for an access token. Override it to build the profile
   * yourself; the override is then called instead of the strategy's user-info request, and an
   * error passed to `done` fails the login with passport's `error()`, as in passport-oauth2.
   * During a login (not overridden, or from an override calling `super.userProfile()` with the
   * login's access token), this fetches the fields of the scopes the user granted, for the
   * login's `open_id`, within `loginDeadlineMs` and `loginMaxAttempts`, with the login's
   * correlation ID. Called directly, it fetches the fields of the client's `scopes`.
   */
  override userProfile(
    accessToken: string,
    done: (err?: unknown, profile?: TikTokProfile) => void,
  ): void {
    const login = loginProfileRequests.get(this);
    const request =
      login !== undefined && login.accessToken === accessToken
        ? this.client.getUserInfo(accessToken, login.options)
        : this.client.getUserInfo(accessToken);
    request.then(
      (user) => done(null, parse(user)),
      (err: unknown) => done(err),
    );
  }
}

type UserInfoOptions = NonNullable<Parameters<TikTokClient['getUserInfo']>[1]>;

/** The user-info request of one login: its access token, granted scopes, open_id, deadline. */
interface ProfileRequest {
  readonly accessToken: string;
  readonly options: UserInfoOptions;
}

/**
 * The login a subclass's `userProfile()` override is running for, keyed by the strategy object
 * passport made for that request (`Object.create()` of the registered strategy): the default
 * `userProfile()`, reached through `super.userProfile()`, makes that login's request.
 * NOTE: a WeakMap, not a property: nothing shows on the strategy object, and the entry is gone
 * with the request's strategy object even if the override never calls back.
 */
const loginProfileRequests = new WeakMap<object, ProfileRequest>();

/** How long a failed callback waits for the store to say whether its session still exists. */
const SESSION_CHECK_MS = 1000;

/** The login outcome of a browser that left before its response could reach it. */
const ABORTED = { outcome: 'aborted', kind: 'aborted' } as const;

/**
 * Everything one authenticate() call works with, and passport's actions on the strategy
 * instance passport made for the request, remembering whether one was taken (an exception after
 * that is no longer the login's to report).
 */
class FlowContext {
  acted = false;
  /** This callback's state was consumed and its session saved (before the TikTok calls). */
  stateConsumed = false;
  /** Epoch ms when authenticate() was called, for durations in log lines. */
  readonly startedAt = Date.now();
  /**
   * `performance.now()` ms when authenticate() was called: `loginDeadlineMs` counts from here.
   * NOTE: monotonic, so that a wall clock stepped (NTP, a VM resumed) while the state is claimed
   * or the session saved neither stretches nor cuts the login's deadline.
   */
  private readonly startedMono = performance.now();
  private safeLogger: SafeLogger | undefined;
  /** Secrets of this login learned after the callback came (its tokens, its verifier). */
  private learned: (string | undefined)[] | undefined;

  constructor(
    readonly req: Request,
    readonly options: TikTokAuthenticateOptions,
    readonly settings: StrategySettings,
    /** The strategy instance passport made for this request: its hooks are a subclass's. */
    readonly strategy: TikTokStrategy,
    readonly correlationId: string,
    private readonly query: URLSearchParams,
  ) {}

  success(user: Express.User, info?: object): void {
    this.acted = true;
    const logins = this.settings.metrics?.logins;
    const res = this.req.res;
    // NOTE: counted when the response is sent: passport's req.login() comes after this, and a
    // session store failing there makes the login a 503, not a success. A connection closed
    // before the response was sent (the browser left while the session was saved) never got
    // the cookie: `aborted`.
    if (logins !== undefined && res !== undefined) {
      res.once('close', () => {
        if (!res.writableFinished) logins.inc(ABORTED);
        else if (res.statusCode < 400) logins.inc({ outcome: 'success', kind: 'success' });
        else
          logins.inc({
            outcome: res.statusCode === 503 ? 'SERVICE_UNAVAILABLE' : 'error',
            kind: 'error',
          });
      });
    }
    this.strategy.success(user, info);
  }
  /** The browser left before the login could complete: passport is told nothing. */
  left(): void {
    this.acted = true;
    this.settings.metrics?.logins?.inc(ABORTED);
  }
  fail(challenge: TikTokLoginFailureInfo, status: number): void {
    this.acted = true;
    this.settings.metrics?.logins?.inc({ outcome: challenge.code, kind: 'refused' });
    this.unlessSessionReplaced(() => {
      this.strategy.fail(challenge, status);
    });
  }
  redirect(url: string): void {
    this.acted = true;
    this.strategy.redirect(url);
  }
  /** `kind`: `refused` when the person caused it (TikTok refused the callback's code). */
  error(err: unknown, kind: 'error' | 'refused' = 'error'): void {
    this.acted = true;
    markLoginError(this.req);
    this.settings.metrics?.logins?.inc({
      outcome: err instanceof TikTokAPIError ? err.code : 'error',
      kind,
    });
    this.unlessSessionReplaced(() => {
      this.strategy.error(asError(err));
    });
  }

  /**
   * Runs `then`; first, when this callback consumed its state (its copy of the session was saved
   * before the TikTok calls), checks that the session still exists in the store. A session that
   * another request replaced meanwhile — another tab's login, or a logout: passport regenerates
   * the session and the store drops the old one — is detached from this response.
   * NOTE: express-session would otherwise save this stale copy again at the end of the failed
   * response and send its cookie after the other request's: the browser would be back on the
   * old session, logged out of the other tab's login, or logged in again after its logout.
   * Failures only, and only after the state was consumed: one store read (a Redis GET), at most
   * {@link SESSION_CHECK_MS}; a store that fails or does not answer leaves things as they were.
   */
  private unlessSessionReplaced(then: () => void): void {
    const { req } = this;
    const store: unknown = Reflect.get(req, 'sessionStore');
    const get: unknown =
      typeof store === 'object' && store !== null ? Reflect.get(store, 'get') : undefined;
    const id: unknown = Reflect.get(req, 'sessionID');
    if (!this.stateConsumed || typeof get !== 'function' || typeof id !== 'string') {
      then();
      return;
    }
    const read = new Promise<unknown>((resolve, reject) => {
      Reflect.apply(get, store, [
        id,
        (err: unknown, stored: unknown) => {
          if (err !== undefined && err !== null) reject(asError(err));
          else resolve(stored);
        },
      ]);
    });
    withinTime(read, SESSION_CHECK_MS, () => new Error('session check timed out'))
      .then(
        (stored) => {
          // NOTE: express-session saves, touches and sets the cookie at the end of a response
          // only for a string req.sessionID: this response then leaves the store and the
          // browser's cookie (the other request's) alone.
          if (stored === undefined || stored === null) Reflect.set(req, 'sessionID', undefined);
        },
        () => undefined,
      )
      .finally(() => {
        step(this, then);
      });
  }

  /**
   * The login's logger, scrubbing the callback's `state` and `code` from every line.
   * NOTE: built at the first line logged: most logins log nothing at the default level.
   */
  get logger(): SafeLogger {
    this.safeLogger ??= this.settings.client.logFor([
      this.query.get('state') ?? undefined,
      this.query.get('code') ?? undefined,
      ...(this.learned ?? []),
    ]);
    return this.safeLogger;
  }

  /**
   * Adds secrets of this login to what its lines scrub: the tokens and the verifier, which an
   * app's error thrown after the exchange (verify's, a custom callback's) may quote.
   */
  learn(...secrets: (string | undefined)[]): void {
    (this.learned ??= []).push(...secrets);
    // Rebuilt with them at the next line written (most logins write none).
    this.safeLogger = undefined;
  }

  /**
   * The epoch-ms `deadlineAt` of the login's next TikTok call: its deadline
   * ({@link loginDeadlineAt}) on the monotonic clock, as wall-clock time read now.
   */
  deadlineAt(): number {
    const deadline = loginDeadlineAt(this.startedMono, this.settings.loginDeadlineMs);
    return Date.now() + (deadline - performance.now());
  }

  /** Writes one line through {@link logger}, which is not built for a level that is off. */
  log(level: LogLevel, message: string, meta: Record<string, unknown>): void {
    if (this.settings.client.logEnabled(level)) this.logger.log(level, message, meta);
  }
}

/**
 * One authenticate() call. A request is a callback when it targets the callbackURL's path
 * (compared with the request's path as the app received it, `originalUrl`); callback parameters
 * (`code`, `state`, `error`, …) on any other path are refused with 400; anything else starts a
 * login. Callbacks are GET only: a HEAD or POST (link scanners, forms) must not consume the state.
 */
function authenticateRequest(
  req: Request,
  options: TikTokAuthenticateOptions,
  settings: StrategySettings,
  strategy: TikTokStrategy,
): void {
  // An ID set earlier in the request (the app's own request-ID middleware) wins over the
  // incoming header; either is used only when it is a safe token, else a new one is made.
  const correlationId = acceptCorrelationId(
    req.tiktokCorrelationId ?? req.headers['x-correlation-id'],
  );
  req.tiktokCorrelationId = correlationId;
  // NOTE: every answer of a login route carries a state, a session cookie or a login's outcome:
  // none may be stored by a cache (a CDN set to cache redirects would hand one browser's state
  // or session cookie to the next). An app handler that runs after passport may set its own.
  const res = req.res;
  if (res !== undefined && !res.headersSent) res.setHeader('Cache-Control', 'no-store');
  const query = rawQueryOf(req);
  const ctx = new FlowContext(req, options, settings, strategy, correlationId, query);
  try {
    let pending: Promise<void> | undefined;
    if (rawPathOf(req) === settings.callbackPath) {
      if (req.method !== 'GET') methodNotAllowed(ctx, 'GET');
      else pending = handleCallback(ctx, query);
    } else if (looksLikeCallback(query)) {
      refuseOffCallbackPath(ctx);
    } else if (req.method !== 'GET' && req.method !== 'POST') {
      methodNotAllowed(ctx, 'GET, POST');
    } else {
      pending = startLogin(ctx, query);
    }
    pending?.catch((err: unknown) => {
      thrown(ctx, err);
    });
  } catch (err) {
    thrown(ctx, err);
  }
}

/**
 * An exception out of the login's own steps (a subclass hook, the session, the app's code called
 * by passport): the login's error when passport was not told an outcome yet, else only logged.
 */
function thrown(ctx: FlowContext, err: unknown): void {
  if (!ctx.acted) {
    errorLogin(ctx, err);
    return;
  }
  // Thrown after passport was told the outcome (by the app's own code, typically: a custom
  // callback of passport.authenticate()): logged, and a rejection here would be unhandled.
  ctx.log('error', '[TikTokOAuth] login - exception after the outcome', {
    correlationId: ctx.correlationId,
    error: err,
  });
  // NOTE: as Express does for a handler that throws: while nothing was sent, the request goes
  // to the app's error handlers. Without this it would never be answered.
  const res = ctx.req.res;
  const next: unknown = Reflect.get(ctx.req, 'next');
  if (res !== undefined && !res.headersSent && typeof next === 'function') {
    Reflect.apply(next, undefined, [err]);
  }
}

/** Runs a step of the login from a callback (a session store's): its exceptions go to thrown(). */
function step(ctx: FlowContext, run: () => void): void {
  try {
    run();
  } catch (err) {
    thrown(ctx, err);
  }
}

function methodNotAllowed(ctx: FlowContext, allowed: string): void {
  ctx.req.res?.setHeader('Allow', allowed);
  errorLogin(
    ctx,
    new TikTokAPIError({
      code: 'METHOD_NOT_ALLOWED',
      message: `This login URL answers ${allowed} only.`,
      correlationId: ctx.correlationId,
    }),
  );
}

/**
 * Callback parameters on a path that is not the callbackURL's: refused with 400, the session
 * untouched and no token call. A login completed there would skip whatever the app mounts on its
 * callback route only (`tiktokReturnTo()`, its own checks); starting a new login instead would
 * loop through TikTok when the app's callback route and `callbackURL` disagree.
 */
function refuseOffCallbackPath(ctx: FlowContext): void {
  failLogin(
    ctx,
    'VALIDATION_ERROR',
    `callback parameters outside the callbackURL path ${ctx.settings.callbackPath}`,
  );
}

/**
 * Issuing the authorization request: a pending login (state, PKCE verifier, returnTo, scopes)
 * goes into the session, the session is saved, and only then is the browser sent to TikTok —
 * otherwise a fast TikTok could bring the browser back before the state is stored.
 */
function startLogin(ctx: FlowContext, query: URLSearchParams): Promise<void> | undefined {
  const { settings } = ctx;
  const session = sessionOf(ctx.req);
  if (session === undefined) {
    errorWithoutSession(ctx);
    return undefined;
  }
  if (!unrestoredUserWarned.has(settings) && hasUser(ctx.req, session) && !userRestored(ctx.req)) {
    warnUnrestoredUser(ctx);
  }
  let perRequest: string[];
  try {
    perRequest = normalizeScopes(ctx.options.scope, "passport.authenticate()'s scope option");
  } catch (err) {
    misconfigured(ctx, err instanceof Error ? err.message : String(err));
    return undefined;
  }
  const problem = unsupportedStartOption(ctx.options);
  if (problem !== undefined) {
    misconfigured(ctx, problem);
    return undefined;
  }
  const ownScopes = perRequest.length > 0 && !sameScopes(perRequest, settings.scopes);
  if (ownScopes && settings.skipUserProfile === false && !overridden(ctx.strategy, 'userProfile')) {
    const missing = missingBasicScope(perRequest, "passport.authenticate()'s scope option");
    if (missing !== undefined) {
      misconfigured(ctx, missing);
      return undefined;
    }
  }
  const extraParams = overridden(ctx.strategy, 'authorizationParams')
    ? hookParams(
        ctx,
        'authorizationParams',
        ctx.strategy.authorizationParams(ctx.options),
        AUTHORIZE_PARAMS,
      )
    : undefined;
  const scopes = ownScopes ? perRequest : settings.scopes;
  const auth = settings.client.authorization(
    {
      disableAutoAuth: ctx.options.disableAutoAuth ?? settings.disableAutoAuth,
      pkce: settings.pkce,
      redirectUri: settings.callbackURL,
      correlationId: ctx.correlationId,
      ...(extraParams === undefined ? {} : { extraParams }),
    },
    scopes,
  );
  // NOTE: a fixed client key gives the URL at once: no promise on the common path.
  if (auth instanceof Promise) {
    return auth.then((resolved) => {
      saveAndRedirect(ctx, session, query, resolved, ownScopes ? perRequest : undefined);
    });
  }
  saveAndRedirect(ctx, session, query, auth, ownScopes ? perRequest : undefined);
  return undefined;
}

/** Strategies (their settings) that logged {@link warnUnrestoredUser} (once per strategy). */
const unrestoredUserWarned = new WeakSet<StrategySettings>();

/** Whether passport put a user on the request (`req.user`, or its `userProperty`). */
function userRestored(req: Request): boolean {
  const property: unknown = Reflect.get(req, '_userProperty');
  const value: unknown = Reflect.get(req, typeof property === 'string' ? property : 'user');
  return value !== undefined && value !== null;
}

/**
 * A login started in a session that holds a passport user, with no `req.user`: the login's own
 * callback will work, and the app will still not see anyone logged in on its next page. Logged
 * once per strategy: the usual first-day mistake is `passport.session()` not mounted.
 */
function warnUnrestoredUser(ctx: FlowContext): void {
  unrestoredUserWarned.add(ctx.settings);
  ctx.log('warn', '[TikTokOAuth] login - the session has a user that passport did not restore', {
    correlationId: ctx.correlationId,
    detail:
      "the session holds passport's user but req.user is not set: mount app.use(passport.session()) after the session middleware and before the routes, or logins will succeed and the app will still see nobody logged in",
  });
}

/** Fails the login with CONFIGURATION_ERROR: `message` says what to fix in the app. */
function misconfigured(ctx: FlowContext, message: string): void {
  errorLogin(
    ctx,
    new TikTokAPIError({ code: 'CONFIGURATION_ERROR', message, correlationId: ctx.correlationId }),
  );
}

/** The longest app `state` kept with a pending login, serialised. */
const MAX_APP_STATE_LENGTH = 1024;

/**
 * Why passport.authenticate()'s options cannot start this login: a per-request `callbackURL`
 * (TikTok sends the browser back only to the registered one), or an app `state` the session
 * cannot hold. Undefined when they can.
 */
function unsupportedStartOption(options: TikTokAuthenticateOptions): string | undefined {
  if (Reflect.get(options, 'callbackURL') !== undefined) {
    return "passport.authenticate()'s callbackURL option is not supported: TikTok sends the browser back only to a redirect URI registered for the app, and this strategy answers callbacks on its own callbackURL. Register one strategy per callback URL: passport.use('tiktok-admin', new TikTokStrategy({ callbackURL }))";
  }
  const { state } = options;
  if (state === undefined) return undefined;
  let json: string | undefined;
  try {
    json = JSON.stringify(state);
  } catch {
    json = undefined;
  }
  if (json === undefined || json.length > MAX_APP_STATE_LENGTH) {
    return `passport.authenticate()'s state option must be a JSON value of at most ${MAX_APP_STATE_LENGTH} characters once serialised (the session holds it until the callback)`;
  }
  return undefined;
}

/**
 * A login request without a usable session, at the start or the callback. A session object
 * without save() is a setup mistake (cookie-session): CONFIGURATION_ERROR. No session at all is
 * a 503: no session middleware, or express-session skipping the load because its store is
 * disconnected. NOTE: at the callback too, not INVALID_STATE: the pending login may be intact in
 * the store, and the same callback URL completes the login once the store is back.
 */
function errorWithoutSession(ctx: FlowContext): void {
  const missing = missingSessionMethods(ctx.req);
  errorLogin(
    ctx,
    missing.length > 0
      ? new TikTokAPIError({
          code: 'CONFIGURATION_ERROR',
          message: missingSessionMethodsMessage(missing),
          correlationId: ctx.correlationId,
        })
      : new TikTokAPIError({
          code: 'SERVICE_UNAVAILABLE',
          message:
            'Login needs a session: use express-session (or compatible) before passport, and check that its store is reachable.',
          correlationId: ctx.correlationId,
        }),
  );
}

/** The pending login into the session, the session saved, then the redirect to TikTok. */
function saveAndRedirect(
  ctx: FlowContext,
  session: SessionLike,
  query: URLSearchParams,
  auth: AuthorizationUrl,
  scopes: string[] | undefined,
): void {
  const { settings } = ctx;
  const now = Date.now();
  const login: PendingLogin = { state: auth.state, createdAt: now, path: settings.callbackPath };
  if (scopes !== undefined) login.scopes = scopes;
  if (auth.codeVerifier !== undefined) login.codeVerifier = auth.codeVerifier;
  const returnTo = requestedReturnTo(ctx, query);
  if (returnTo !== undefined) login.returnTo = returnTo;
  if (ctx.options.state !== undefined) login.appState = ctx.options.state;
  // NOTE: in this order a session's first pending logins are its last key, which the callback
  // deletes: V8 then keeps the session object's fast layout (deleting any other key turns it
  // into a slower dictionary for the rest of the request). Only speed depends on it: a key
  // written later (a failure record) leaves them in the middle, and that works the same.
  expireLoginOnlySession(session, settings.stateTtlMs);
  const cookieProblem = sessionCookieProblem(ctx.req, session, settings.callbackHost);
  if (cookieProblem !== undefined) warnCookieProblem(ctx, cookieProblem);
  addPendingLogin(session, login, {
    max: settings.maxPendingLogins,
    ttlMs: settings.stateTtlMs,
    now,
  });
  session.save((err?: unknown) => {
    step(ctx, () => {
      if (err !== undefined && err !== null) {
        // NOTE: the pending login stays in the session as it was given to save():
        // express-session remembers the hash of what save() was called with, so an unchanged
        // session is not saved (and failed) again at the end of the response, after the 503.
        errorLogin(ctx, storeUnavailable(ctx, 'session store', saveError(err)));
        return;
      }
      ctx.log('debug', '[TikTokOAuth] login - redirect', { correlationId: ctx.correlationId });
      ctx.redirect(auth.url);
    });
  });
}

/**
 * Logs why the session cookie will not come back with TikTok's redirect. A problem seen in the
 * settings alone is logged at once; a Secure cookie on a request Express does not see as https is
 * logged only when the start's response indeed set no cookie for a browser that sent none.
 * NOTE: express-session's own `proxy: true` sets the cookie there anyway, and a browser that
 * already holds its session cookie may get no new Set-Cookie: neither must be warned about.
 */
function warnCookieProblem(ctx: FlowContext, problem: SessionCookieProblem): void {
  const write = (): void => {
    ctx.log('warn', '[TikTokOAuth] login - session cookie will not come back', {
      correlationId: ctx.correlationId,
      detail: problem.detail,
    });
  };
  if (!problem.unlessSet) {
    write();
    return;
  }
  const { req } = ctx;
  const res = req.res;
  if (res === undefined || req.headers.cookie !== undefined) return;
  res.once('finish', () => {
    if (res.getHeader('set-cookie') === undefined) write();
  });
}

function sameScopes(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((scope, i) => scope === b[i]);
}

/**
 * Whether a subclass (or the instance) replaced one of passport-oauth2's hooks. The defaults
 * return nothing to add, so they are not called.
 */
function overridden(
  strategy: TikTokStrategy,
  hook: 'authorizationParams' | 'tokenParams' | 'userProfile',
): boolean {
  return strategy[hook] !== TikTokStrategy.prototype[hook];
}

/**
 * A hook's extra parameters (`authorizationParams()`, `tokenParams()`): strings, numbers and
 * booleans as strings, `undefined` and `null` left out, the strategy's own names left out and
 * logged. Undefined when none is left. Anything else is the subclass's mistake: a TypeError.
 */
function hookParams(
  ctx: FlowContext,
  hook: 'authorizationParams' | 'tokenParams',
  value: unknown,
  reserved: ReadonlySet<string>,
): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`TikTokStrategy ${hook}() must return an object`);
  }
  const params: Record<string, string> = {};
  const ignored: string[] = [];
  for (const [name, param] of Object.entries(value)) {
    if (param === undefined || param === null) continue;
    if (typeof param !== 'string' && typeof param !== 'number' && typeof param !== 'boolean') {
      throw new TypeError(`TikTokStrategy ${hook}() returned a non-string value for ${name}`);
    }
    if (reserved.has(name)) ignored.push(name);
    else params[name] = String(param);
  }
  if (ignored.length > 0) {
    ctx.log('warn', `[TikTokOAuth] login - ${hook}() parameters the strategy sets, ignored`, {
      correlationId: ctx.correlationId,
      ignored: ignored.join(','),
    });
  }
  return Object.keys(params).length === 0 ? undefined : params;
}

/** `returnTo` from `passport.authenticate(…, { returnTo })`, else a single `?returnTo=`. */
function requestedReturnTo(ctx: FlowContext, query: URLSearchParams): string | undefined {
  if (ctx.options.returnTo !== undefined) return safeReturnTo(ctx.options.returnTo);
  const values = query.getAll('returnTo');
  if (values.length === 0) return undefined;
  return values.length === 1 ? safeReturnTo(values[0]) : '/';
}

/** Processing the response: checks in the order that never makes a needless token call. */
async function handleCallback(ctx: FlowContext, query: URLSearchParams): Promise<void> {
  const parsed = parseCallbackParams(query);
  if (!parsed.ok) {
    failLogin(ctx, 'VALIDATION_ERROR', parsed.reason);
    return;
  }
  const params: CallbackParams = parsed.params;
  const session = sessionOf(ctx.req);
  if (session === undefined) {
    errorWithoutSession(ctx);
    return;
  }
  if (params.state === undefined) {
    // A bare GET of the callback path: most likely a login started on it (a start route and
    // callbackURL that are the same, as some passport-oauth2 setups have), which no state can
    // ever satisfy: the log says so, the browser gets the usual INVALID_STATE.
    const bare = params.code === undefined && params.error === undefined;
    failLogin(
      ctx,
      'INVALID_STATE',
      bare
        ? `no callback parameters: ${ctx.settings.callbackPath} is the callbackURL, where TikTok sends the browser back; start logins on another route (such as ${ctx.settings.callbackPath === '/auth/tiktok' ? '/login/tiktok' : '/auth/tiktok'})`
        : 'missing state',
    );
    return;
  }
  if (params.code === undefined && params.error === undefined) {
    failLogin(ctx, 'VALIDATION_ERROR', 'neither code nor error');
    return;
  }
  const login = await consumeState(ctx, session, params.state);
  if (login === undefined) return;
  if (params.error !== undefined) {
    failFromTikTokError(ctx, params.error);
    return;
  }
  if (params.code !== undefined) await completeLogin(ctx, login, params, params.code);
}

/**
 * Takes the pending login for the callback's state: found in this session, claimed (so a
 * concurrent callback with the same state loses), removed, and the session saved — all before
 * any token call. Returns undefined when the login was already failed or errored.
 */
async function consumeState(
  ctx: FlowContext,
  session: SessionLike,
  state: string,
): Promise<PendingLogin | undefined> {
  const limits = {
    ttlMs: ctx.settings.stateTtlMs,
    now: Date.now(),
    path: ctx.settings.callbackPath,
  };
  const lookup = findPendingLogin(session, state, limits);
  if (!lookup.found) {
    const fresh = isFreshSession(session);
    if (lookup.reason === 'expired') removePendingLogin(session, state, limits);
    const reason =
      lookup.reason === 'expired'
        ? `expired state (older than stateTtlMs, ${ctx.settings.stateTtlMs} ms)`
        : lookup.reason === 'another strategy'
          ? `a state another TikTokStrategy issued: the login started on the strategy whose callbackURL is not ${ctx.settings.callbackPath}`
          : 'unknown state';
    failLogin(ctx, 'INVALID_STATE', fresh ? NO_PENDING_LOGIN_REASON : reason);
    return undefined;
  }
  const key = claimKeyForState(state);
  let claimed: boolean;
  try {
    claimed = await ctx.settings.claimStore.claim(key, ctx.settings.stateTtlMs);
  } catch (err) {
    errorLogin(ctx, storeUnavailable(ctx, 'state claim store', err));
    return undefined;
  }
  if (!claimed) {
    failLogin(ctx, 'INVALID_STATE', 'state already claimed by another callback');
    return undefined;
  }
  keepPendingLogins(session, lookup.rest);
  try {
    await saveSession(session);
    ctx.stateConsumed = true;
  } catch (err) {
    // No token call happened: give the state back so a retry after recovery can use it.
    await ctx.settings.claimStore.release(key).catch(() => undefined);
    errorLogin(ctx, storeUnavailable(ctx, 'session store', err));
    return undefined;
  }
  return lookup.login;
}

/**
 * The log's reason when the callback's session is empty (no pending login, nothing else): the
 * browser most likely did not send back the cookie of the session the login started in. Only the log says this; the
 * browser gets the usual INVALID_STATE.
 */
export const NO_PENDING_LOGIN_REASON = `no pending login in this session: the session cookie set by the start of the login did not come back, or could not be read. Likely causes: a Secure cookie over http (cookie.secure: true without https, or behind a proxy without trust proxy), sameSite: strict, a different host between the start and the callback (www vs apex, localhost vs 127.0.0.1), several instances that do not share the session store or the session secret, or a browser clock more than ${CLOCK_SKEW_MARGIN_MS / 3_600_000} hours fast (the cookie of a session holding only pending logins expires stateTtlMs plus that margin after the start, as the browser clock tells)`;

/**
 * A session holding nothing but its cookie: the one express-session makes when the request
 * brought no (known) session cookie.
 */
function isFreshSession(session: SessionLike): boolean {
  return (
    readPendingLogins(session).length === 0 && Object.keys(session).every((key) => key === 'cookie')
  );
}

/** TikTok sent `error=` with a valid state: the state is consumed, the login fails. */
function failFromTikTokError(ctx: FlowContext, error: string): void {
  if (error === 'access_denied') {
    failLogin(ctx, 'ACCESS_DENIED', 'the user declined on TikTok');
    return;
  }
  // NOTE: error_description is never shown or logged: it is attacker-controlled text.
  const { code } = codeForUpstreamError(error, 400);
  if (ERROR_CODE_INFO[code].statusCode >= 500) {
    // `error=invalid_client` & co. in a browser's callback URL: genuine, it means the app is
    // misconfigured (logged as such); forged, anyone could make us answer 5xx and fire alerts.
    // Either way the browser gets a 400 (found by the callback fuzzer), and the line is a
    // `warn`: anyone can send such a callback with a state of their own, as often as they like.
    // NOTE: `server_error` and `temporarily_unavailable` (RFC 6749 §4.1.2.1) are TikTok's own
    // trouble, not the app's configuration: the line says which.
    const what =
      error === 'server_error' || error === 'temporarily_unavailable'
        ? 'a server error'
        : code === 'API_ERROR'
          ? 'an error it does not document'
          : 'a configuration error';
    ctx.log('warn', `[TikTokOAuth] login - TikTok redirected back with ${what}`, {
      correlationId: ctx.correlationId,
      tiktokError: /^[a-z_]{1,64}$/.test(error) ? error : 'unknown',
      errorCode: code,
    });
    failLogin(ctx, 'VALIDATION_ERROR', `TikTok redirected back with error ${error}`);
    return;
  }
  failLogin(ctx, code, `TikTok redirected back with error ${error}`);
}

/**
 * The state is consumed: exchange the code, save the tokens, fetch the profile from the granted
 * scopes, then let verify decide. One deadline covers the exchange and the user-info call.
 */
async function completeLogin(
  ctx: FlowContext,
  login: PendingLogin,
  params: CallbackParams,
  code: string,
): Promise<void> {
  const { client } = ctx.settings;
  const started = ctx.startedAt;
  let tokens: TikTokTokens;
  let profile: TikTokProfile;
  let scopes: string[];
  try {
    const exchange: Parameters<typeof client.exchangeCodeForTokens>[1] = {
      correlationId: ctx.correlationId,
      deadlineAt: ctx.deadlineAt(),
      redirectUri: ctx.settings.callbackURL,
      maxAttempts: ctx.settings.loginMaxAttempts,
      // What this login did when it started, whatever the client's own `pkce` option.
      pkce: login.codeVerifier !== undefined,
    };
    if (login.codeVerifier !== undefined) exchange.codeVerifier = login.codeVerifier;
    if (overridden(ctx.strategy, 'tokenParams')) {
      const extraParams = hookParams(
        ctx,
        'tokenParams',
        ctx.strategy.tokenParams(ctx.options),
        TOKEN_PARAMS,
      );
      if (extraParams !== undefined) exchange.extraParams = extraParams;
    }
    try {
      tokens = await client.exchangeCodeForTokens(code, exchange);
    } catch (err) {
      refuseOrError(ctx, err);
      return;
    }
    ctx.learn(tokens.access_token, tokens.refresh_token, login.codeVerifier);
    if (login.openId !== undefined && tokens.open_id !== login.openId) {
      failAnotherAccount(ctx);
      return;
    }
    if (ctx.settings.tokenManager !== undefined && !(await saveTokens(ctx, tokens))) return;
    scopes = grantedScopes(tokens, params, login, ctx.settings);
    profile = await loadProfile(ctx, tokens, scopes, ctx.deadlineAt());
  } catch (err) {
    errorLogin(ctx, err);
    return;
  }
  const outcome = await runVerify({
    verify: ctx.settings.verify,
    passReqToCallback: ctx.settings.passReqToCallback,
    req: ctx.req,
    tokens,
    profile,
    stallAfterMs: ctx.settings.loginDeadlineMs,
    onStall: (declaresDone) => {
      ctx.log('warn', '[TikTokOAuth] login - verify has not finished', {
        correlationId: ctx.correlationId,
        waitedMs: ctx.settings.loginDeadlineMs,
        detail: declaresDone
          ? 'verify has neither called done nor settled its promise: the browser is still waiting. Check that every path of verify calls done(null, user), done(null, false) or done(err)'
          : 'the promise verify returned has not settled: the browser is still waiting. Check what verify awaits (a database call without a timeout?)',
      });
    },
  });
  if (outcome.kind === 'error') {
    ctx.error(outcome.error);
    return;
  }
  if (outcome.kind === 'misuse') {
    misconfigured(ctx, outcome.detail);
    return;
  }
  if (outcome.kind === 'refused') {
    const message = refusalMessage(outcome.info);
    const reason = outcome.reason;
    // NOTE: not ACCESS_DENIED's own text ("the login was cancelled"): the user did not cancel.
    failLogin(
      ctx,
      'ACCESS_DENIED',
      reason,
      typeof message === 'string' && message.trim() !== '' ? message : VERIFY_REFUSED_MESSAGE,
    );
    return;
  }
  if (browserLeft(ctx.req)) {
    // The browser closed the connection while TikTok or verify answered: the response, and with
    // it the cookie of the session passport would regenerate, can no longer reach it. Nobody is
    // logged in, so the browser's own session (saved before the token call: this login's state
    // consumed, other tabs' logins kept) stays as it is, rather than being destroyed for a
    // session nobody holds the cookie of. The tokens are saved already. Passport is told
    // nothing: there is no one left to answer.
    ctx.left();
    ctx.log('warn', '[TikTokOAuth] login - the browser left before the login completed', {
      correlationId: ctx.correlationId,
      durationMs: Date.now() - started,
    });
    return;
  }
  const session = sessionOf(ctx.req);
  if (session !== undefined) {
    // NOTE: the stamp's time is when the tokens were issued (the code exchange was sent), not
    // now: a removal of the authorization that TikTok sent while the user info or verify ran
    // ended these tokens, and must end this session too (the same rule deletes the tokens).
    keepOtherTabsAcrossLogin(ctx.req, session, { openId: tokens.open_id, at: issuedAt(tokens) });
    refuseLoginWithoutRegenerate(ctx, session);
  }
  // debug, like every success: at the default `info` level the package logs only what needs
  // attention (retries, failures, circuit changes); apps log their own requests.
  if (ctx.settings.client.logEnabled('debug')) {
    ctx.log('debug', '[TikTokOAuth] login - success', {
      correlationId: ctx.correlationId,
      durationMs: Date.now() - started,
      grantedScopes: scopes.join(','),
    });
  }
  const info: Express.AuthInfo = {
    ...outcome.info,
    correlationId: ctx.correlationId,
    grantedScopes: scopes,
  };
  if (login.returnTo !== undefined) info.returnTo = login.returnTo;
  if (login.appState !== undefined) info.state = login.appState;
  ctx.success(outcome.user, info);
}

/**
 * A failed code exchange. TikTok refusing the code itself (`invalid_grant`: expired, already
 * used, or never issued: INVALID_TOKEN) is the person's failure, counted as `refused` in
 * `tiktok_oauth_logins_total`, as a replayed callback is. NOTE: a callback with a state of the
 * sender's own and a made-up code reaches the exchange: counted as `error`, anyone could fire the
 * alerts on server-side failures at will. The browser's answer is the same either way (passport's
 * `error()`: 401 with tiktokErrorHandler).
 */
function refuseOrError(ctx: FlowContext, err: unknown): void {
  const refused = err instanceof TikTokAPIError && err.code === 'INVALID_TOKEN';
  errorLogin(ctx, err, refused ? 'refused' : 'error');
}

/**
 * When `req.session` has no `regenerate()` (cookie-session with a `save()` shim only), gives it
 * one for this request that calls back with the login's CONFIGURATION_ERROR, naming what is
 * missing: passport's `req.login()` hands it to its callback (`next(err)`, or a custom callback's
 * own `req.login()` callback) instead of throwing a TypeError, which from a `req.login()` called
 * later (after an await) nothing catches, and which left the request unanswered.
 * NOTE: a callback, not a try/catch around ctx.success(): the app's own code runs inside that
 * call (a custom callback), and its exceptions must neither be taken for this error nor call
 * that callback a second time. Not through ctx.error(): success() already counts the login by its
 * response's status. Not enumerable: the session is serialised as JSON.
 */
function refuseLoginWithoutRegenerate(ctx: FlowContext, session: SessionLike): void {
  // The usual case (express-session) without building the list: a successful login's hot path.
  if (typeof Reflect.get(session, 'regenerate') === 'function') return;
  const missing = missingSessionMethods(ctx.req);
  if (!missing.includes('regenerate')) return;
  const regenerate = (callback: (err?: unknown) => void): void => {
    const error = new TikTokAPIError({
      code: 'CONFIGURATION_ERROR',
      message: missingSessionMethodsMessage(missing),
      correlationId: ctx.correlationId,
    });
    ctx.log('warn', '[TikTokOAuth] login - error', {
      correlationId: ctx.correlationId,
      errorCode: error.code,
      retryable: false,
      detail: error.message,
    });
    callback(error);
  };
  Object.defineProperty(session, 'regenerate', {
    value: regenerate,
    configurable: true,
    writable: true,
    enumerable: false,
  });
}

/**
 * Whether the browser's connection is gone (the tab was closed, the network dropped), so that no
 * response can reach it. A request without a socket (a test's, a framework's own) has not left.
 */
function browserLeft(req: Request): boolean {
  const socket: unknown = Reflect.get(req, 'socket');
  return typeof socket === 'object' && socket !== null && Reflect.get(socket, 'destroyed') === true;
}

/**
 * When the login's TikTok calls must stop (on the clock `startedAt` is read from):
 * `loginDeadlineMs` after the callback reached the strategy, less a reserve (5 %, at most
 * 250 ms) for answering the browser, so that the callback itself answers within
 * `loginDeadlineMs` even when TikTok hangs (the error response and a busy event loop come after
 * the last attempt is cut).
 */
export function loginDeadlineAt(startedAt: number, loginDeadlineMs: number): number {
  return startedAt + loginDeadlineMs - Math.min(250, Math.floor(loginDeadlineMs / 20));
}

/**
 * A pending login carried across a login completed as another TikTok account: refused, and the
 * session keeps its user. The code exchange has happened (only it tells the account), but its
 * tokens are never saved, used or returned.
 * NOTE: they are not revoked either: revoking disconnects that account from this app, which
 * would also end tokens the app keeps for it from an earlier login of its own.
 */
function failAnotherAccount(ctx: FlowContext): void {
  failLogin(
    ctx,
    'INVALID_STATE',
    'a login carried over from before the last login completed as another TikTok account',
    'This login was started before you signed in and was approved with a different TikTok account. Sign out first to switch accounts.',
  );
}

async function saveTokens(ctx: FlowContext, tokens: TikTokTokens): Promise<boolean> {
  const sink = ctx.settings.tokenManager;
  if (sink === undefined) return true;
  try {
    await sink.save(tokens.open_id, tokens);
    return true;
  } catch (err) {
    errorLogin(
      ctx,
      err instanceof TikTokAPIError ? err : storeUnavailable(ctx, 'token store', err),
    );
    return false;
  }
}

/**
 * Granted scopes: the token response's `scope` (what TikTok actually granted), else the
 * callback's `scopes`, else what was requested. User-info fields follow these, never the request.
 */
function grantedScopes(
  tokens: TikTokTokens,
  params: CallbackParams,
  login: PendingLogin,
  settings: StrategySettings,
): string[] {
  const fromTokens = normalizeScopes(tokens.scope);
  if (fromTokens.length > 0) return fromTokens;
  const fromCallback = normalizeScopes(params.scopes);
  if (fromCallback.length > 0) return fromCallback;
  return login.scopes ?? [...settings.scopes];
}

/**
 * The profile for verify, as passport-oauth2 loads it: none when `skipUserProfile` says so (the
 * profile then holds the `open_id` only), a subclass's `userProfile()` when it overrides it, else
 * the user-info fields of the granted scopes, within the login's deadline.
 */
async function loadProfile(
  ctx: FlowContext,
  tokens: TikTokTokens,
  scopes: string[],
  deadlineAt: number,
): Promise<TikTokProfile> {
  const minimal = (): TikTokProfile => parse({ open_id: tokens.open_id });
  const skip = ctx.settings.skipUserProfile;
  // A boolean (the default, false) is answered without a promise.
  if (
    typeof skip === 'boolean'
      ? skip
      : await watchHook(ctx, 'skipUserProfile', skipsUserProfile(skip, tokens.access_token))
  ) {
    return minimal();
  }
  const { strategy } = ctx;
  const options: UserInfoOptions = {
    scopes,
    expectedOpenId: tokens.open_id,
    correlationId: ctx.correlationId,
    deadlineAt,
    maxAttempts: ctx.settings.loginMaxAttempts,
  };
  if (overridden(strategy, 'userProfile')) {
    const request = { accessToken: tokens.access_token, options };
    return (await watchHook(ctx, 'userProfile', profileFromHook(strategy, request))) ?? minimal();
  }
  return parse(await ctx.settings.client.getUserInfo(tokens.access_token, options));
}

const HOOK_STALL_DETAIL = {
  userProfile:
    'the userProfile() override has neither called done nor settled its promise: the browser is still waiting. Check that every path calls done(null, profile) or done(err), and what it awaits (a request without a timeout?)',
  skipUserProfile:
    'the skipUserProfile function has neither called done nor settled its promise: the browser is still waiting. Check that every path calls done(null, skip) or done(err), and what it awaits (a request without a timeout?)',
} as const;

/**
 * `answer`, with a `login - <hook> has not finished` warning when it has not settled
 * `loginDeadlineMs` after the hook was called (the login still waits for it), as for verify.
 */
function watchHook<T>(
  ctx: FlowContext,
  hook: keyof typeof HOOK_STALL_DETAIL,
  answer: Promise<T>,
): Promise<T> {
  const waitedMs = ctx.settings.loginDeadlineMs;
  const stall = setTimeout(() => {
    ctx.log('warn', `[TikTokOAuth] login - ${hook} has not finished`, {
      correlationId: ctx.correlationId,
      waitedMs,
      detail: HOOK_STALL_DETAIL[hook],
    });
  }, waitedMs);
  stall.unref();
  return answer.finally(() => clearTimeout(stall));
}

/**
 * `skipUserProfile` as passport-oauth2 reads it: a boolean, a function `(accessToken, done)`
 * (two or more declared parameters) calling `done(err, skip)`, or a function returning the
 * answer (or a promise of it).
 */
function skipsUserProfile(
  skip: StrategySettings['skipUserProfile'],
  accessToken: string,
): Promise<boolean> {
  if (typeof skip === 'boolean') return Promise.resolve(skip);
  return new Promise<boolean>((resolve, reject) => {
    if (skip.length > 1) {
      // Like passport-oauth2: any truthy `err` is an error (`done(false, skip)` is none).
      const done = (err?: unknown, answer?: boolean): void => {
        if (err) reject(asError(err));
        else resolve(Boolean(answer));
      };
      const returned: unknown = Reflect.apply(skip, undefined, [accessToken, done]);
      if (isThenable(returned)) Promise.resolve(returned).catch(reject);
      return;
    }
    const answer: unknown = Reflect.apply(skip, undefined, [accessToken]);
    if (isThenable(answer))
      Promise.resolve(answer).then((value) => resolve(Boolean(value)), reject);
    else resolve(Boolean(answer));
  });
}

/**
 * A subclass's `userProfile()`: its `done(err)` (or a throw or rejection) is the login's error.
 * Until it answers, `super.userProfile()` makes the login's own request (`request`).
 */
async function profileFromHook(
  strategy: TikTokStrategy,
  request: ProfileRequest,
): Promise<TikTokProfile | undefined> {
  loginProfileRequests.set(strategy, request);
  try {
    return await new Promise<TikTokProfile | undefined>((resolve, reject) => {
      // Like passport-oauth2: any truthy `err` is an error (`done(false, profile)` is none).
      const done = (err?: unknown, profile?: TikTokProfile): void => {
        if (err) reject(asError(err));
        else resolve(profile ?? undefined);
      };
      const returned: unknown = strategy.userProfile(request.accessToken, done);
      if (isThenable(returned)) Promise.resolve(returned).catch(reject);
    });
  } finally {
    // Only this login's entry: the same strategy object may have started another since.
    if (loginProfileRequests.get(strategy) === request) loginProfileRequests.delete(strategy);
  }
}

/**
 * verify's outcome: a user (with the fields of an object `info` for `req.authInfo`), a refusal
 * with verify's `info` as it was given (any value), or the app's own error.
 */
type VerifyOutcome =
  | { kind: 'user'; user: Express.User; info: object | undefined }
  | { kind: 'refused'; info: unknown; reason: string }
  | { kind: 'error'; error: unknown }
  /** verify was called in a way that can never log anyone in: `detail` says how to fix it. */
  | { kind: 'misuse'; detail: string };

interface VerifyInput {
  readonly verify: AnyTikTokVerify | undefined;
  readonly passReqToCallback: boolean;
  readonly req: Request;
  readonly tokens: TikTokTokens;
  readonly profile: TikTokProfile;
  /** After this many ms without an outcome, `onStall` is called once (the login still waits). */
  readonly stallAfterMs: number;
  readonly onStall: (declaresDone: boolean) => void;
}

/** passport's `error()` takes an Error: other thrown values are wrapped. */
function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof Reflect.get(value, 'then') === 'function'
  );
}

/**
 * passport-oauth2's reading of `done(null, user, info)`: a falsy `user` (`false`, `null`,
 * `undefined`, `''`, `0`) refuses the login; any other value is the user (objects usually; ids
 * work too). Only an object `info` is kept for a user: its fields go into `req.authInfo`.
 */
function outcomeOf(user: unknown, info: unknown, via: 'done' | 'promise'): VerifyOutcome {
  if (!user) return { kind: 'refused', info, reason: refusalReason(user, via) };
  return { kind: 'user', user, info: typeof info === 'object' && info !== null ? info : undefined };
}

/**
 * The log reason of a refusal. `undefined` is more often a bug (an async verify without `return`,
 * a lookup that found nothing passed on as is) than a decision: the reason says so.
 */
function refusalReason(user: unknown, via: 'done' | 'promise'): string {
  if (user !== undefined) return 'verify refused the user';
  return via === 'promise'
    ? 'verify refused the user: its promise resolved to undefined. An async verify must return the user (a missing `return`?); return false to refuse a login on purpose'
    : 'verify refused the user: done was called without a user. Call done(null, user) to log in; done(null, false) refuses a login on purpose';
}

/**
 * The message of a refusal's `info`, as passport reads a fail's challenge: a string is the
 * message, an object's `message` field is; anything else (`null`, a number) has none.
 */
function refusalMessage(info: unknown): unknown {
  if (typeof info === 'string') return info;
  return typeof info === 'object' && info !== null ? Reflect.get(info, 'message') : undefined;
}

/**
 * Calls verify the way passport-oauth2 does: by declared arity — 5 parameters (6 with
 * `passReqToCallback`) get the token response as `params` before the profile; fewer get
 * `(accessToken, refreshToken, profile, done)`. A returned promise (an `async` verify) is awaited
 * and its value is the user, unless `done` was called first (or it resolves to undefined and
 * declares `done`: then `done` decides). No verify: the profile is the user.
 */
function runVerify(input: VerifyInput): Promise<VerifyOutcome> {
  const { verify, tokens, profile } = input;
  if (verify === undefined)
    return Promise.resolve({ kind: 'user', user: profile, info: undefined });
  return new Promise<VerifyOutcome>((resolve) => {
    let settled = false;
    let stall: NodeJS.Timeout | undefined;
    const settle = (outcome: VerifyOutcome): void => {
      if (settled) return;
      settled = true;
      if (stall !== undefined) clearTimeout(stall);
      resolve(outcome);
    };
    // Like passport-oauth2's verified(): any truthy `err` is an error, so `done(false, user)`
    // logs the user in; then a falsy user is a refusal with any `info`.
    const done = (err?: unknown, user?: unknown, info?: unknown): void => {
      settle(err ? { kind: 'error', error: err } : outcomeOf(user, info, 'done'));
    };
    const offset = input.passReqToCallback ? 1 : 0;
    const withParams = verify.length >= 5 + offset;
    // A verify that declares `done` and resolves to undefined calls done later.
    const declaresDone = verify.length >= 4 + offset;
    const tail = withParams ? [tokens, profile, done] : [profile, done];
    const args: unknown[] = [tokens.access_token, tokens.refresh_token, ...tail];
    if (input.passReqToCallback) args.unshift(input.req);
    let returned: unknown;
    try {
      returned = Reflect.apply(verify, undefined, args);
    } catch (err) {
      settle({ kind: 'error', error: err });
      return;
    }
    if (isThenable(returned)) {
      Promise.resolve(returned).then(
        (user) => {
          if (user !== undefined || !declaresDone) settle(outcomeOf(user, undefined, 'promise'));
        },
        (err: unknown) => settle({ kind: 'error', error: err }),
      );
    } else if (returned !== undefined && verify.length === 3 + offset && !settled) {
      // passport-oauth2 ignores this value and the login would wait forever: a plain (not
      // `async`) verify that returns the user instead of calling done. NOTE: only the exact
      // `(accessToken, refreshToken, profile)` shape: one reading done from `arguments` or a
      // rest parameter (length 0) may call it later, as passport-oauth2 lets it.
      const params = input.passReqToCallback
        ? '(req, accessToken, refreshToken, profile)'
        : '(accessToken, refreshToken, profile)';
      settle({
        kind: 'misuse',
        detail: `verify returned a value that is not a promise, and declares no done parameter, so nothing can finish the login: make it async (async ${params} => user), or declare done and call done(null, user)`,
      });
      return;
    }
    if (!settled) {
      stall = setTimeout(() => input.onStall(declaresDone), input.stallAfterMs);
      stall.unref();
    }
  });
}

/**
 * Fails the login (passport `fail()`): the info carries `code`, `message`, `correlationId` and
 * `status`, is put on `req.tiktokLoginFailure` for tiktokErrorHandler (with `failWithError`),
 * and is recorded in the session for `getTikTokLoginFailure()` when the route has a
 * `failureRedirect`, or `failWithError` and a message of its own. `reason` is for the log only.
 */
function failLogin(
  ctx: FlowContext,
  code: TikTokErrorCode,
  reason: string,
  message: string = loginFailureMessage(code),
): void {
  const info: TikTokLoginFailureInfo = {
    code,
    message,
    correlationId: ctx.correlationId,
    status: ERROR_CODE_INFO[code].statusCode,
  };
  ctx.req.tiktokLoginFailure = info;
  const res = ctx.req.res;
  if (res !== undefined && !res.headersSent) res.setHeader('X-Correlation-Id', ctx.correlationId);
  const session = sessionOf(ctx.req);
  // NOTE: with failWithError only a failure whose message the redirect's query cannot carry is
  // recorded: a bot's failed callbacks on fresh sessions must not make the store keep them.
  const record =
    ctx.options.failureRedirect !== undefined ||
    (ctx.options.failWithError === true && message !== loginFailureMessage(code));
  if (record && session !== undefined && !lostSessionCookie(ctx.req, session)) {
    recordLoginFailure(session, { code, correlationId: ctx.correlationId, message });
    // A session holding nothing else (a callback without a session cookie, a bot's typically)
    // is kept as long as a login-only session, not the app's cookie.maxAge.
    expireLoginOnlySession(session, ctx.settings.stateTtlMs);
  }
  ctx.log('warn', '[TikTokOAuth] login - failure', {
    correlationId: ctx.correlationId,
    errorCode: code,
    reason,
  });
  ctx.fail(info, info.status);
}

/**
 * Whether the browser sent an express-session cookie (`s:<id>.<signature>`, URL-encoded as
 * `s%3A…`) whose session did not load: `session` is a fresh one. NOTE: such a failure is not
 * recorded into the fresh session: its Set-Cookie would replace whatever cookie the browser holds
 * now, and the one this request carried is most often an old one another tab's login (or a
 * logout) has replaced since: recording would log the browser out of that login. The failure is
 * still logged, and the failure page shows the code's generic text.
 */
function lostSessionCookie(req: Request, session: SessionLike): boolean {
  const cookies = req.headers.cookie;
  return (
    typeof cookies === 'string' && SIGNED_SESSION_COOKIE.test(cookies) && isFreshSession(session)
  );
}

const SIGNED_SESSION_COOKIE = /(?:^|;)\s*[^=;\s]+=s(?::|%3A)[^;]/i;

/** An error (passport `error()`): TikTok, transport, session store, or the app's own. */
function errorLogin(ctx: FlowContext, err: unknown, kind: 'error' | 'refused' = 'error'): void {
  if (err instanceof TikTokAPIError) {
    ctx.log(err.retryable ? 'error' : 'warn', '[TikTokOAuth] login - error', {
      correlationId: err.correlationId,
      errorCode: err.code,
      retryable: err.retryable,
      // The developer's message ("Login needs a session: …"): browsers only get the code's text.
      detail: err.message,
    });
  }
  ctx.error(err, kind);
}

/** A SERVICE_UNAVAILABLE error for a session, claim or token store that did not answer. */
function storeUnavailable(ctx: FlowContext, what: string, cause: unknown): TikTokAPIError {
  return new TikTokAPIError({
    code: 'SERVICE_UNAVAILABLE',
    message: `Login is temporarily unavailable: the ${what} did not answer. Please try again in a moment.`,
    correlationId: ctx.correlationId,
    retryAfterSeconds: 5,
    cause,
  });
}
