/// <reference types="passport" preserve="true" />
import type { Request } from 'express';
import { TikTokClient } from '../client/client';
import {
  DEFAULT_LOGIN_DEADLINE_MS,
  normalizeScopes,
  TIKTOK_AUTHORIZATION_URL,
  TIKTOK_TOKEN_URL,
} from '../client/endpoints';
import { absoluteUrl, checkOptionNames, type TikTokClientOptions } from '../client/options';
import type { TikTokTokens } from '../client/types';
import type { TikTokErrorCode } from '../errors';
import type { TikTokMetrics } from '../metrics';
import type { TikTokProfile } from '../profile';
import { MemoryClaimStore, type TikTokStateClaimStore } from '../state/claims';
import { TikTokTokenManager } from '../tokens/manager';
import type { TokenStore } from '../tokens/store';
import { MAX_TIMER_MS, tooLongForTimer } from '../time-limit';

/**
 * What verify calls back with: `done(err)`, `done(null, user, info?)` or `done(null, false,
 * info?)`, read as passport-oauth2 reads it: any truthy `err` is an error (`done(false, user)`
 * logs the user in), then a falsy `user` refuses the login. A refusal's message is `info` when it
 * is a string, else `info.message`; a user's `info` object is added to `req.authInfo`.
 */
export type TikTokVerifyCallback = (
  err?: unknown,
  user?: Express.User | false | null,
  info?: object | string | null,
) => void;

/** What an `async` verify resolves to: the user, or `false` to refuse the login. */
export type TikTokVerifyResult = Express.User | false | null;

/** verify returns nothing (it calls `done`) or, when async, a promise of the user. */
// eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- void: done style
export type TikTokVerifyReturn = void | Promise<TikTokVerifyResult>;

/**
 * `(accessToken, refreshToken, profile, done)`, or an async function `(accessToken,
 * refreshToken, profile)` returning the user. `refreshToken` is undefined when TikTok sent none.
 */
export type TikTokVerifyFunction = (
  accessToken: string,
  refreshToken: string | undefined,
  profile: TikTokProfile,
  done: TikTokVerifyCallback,
) => TikTokVerifyReturn;

/**
 * `(accessToken, refreshToken, params, profile, done)`: `params` is the token response. Chosen by
 * arity (5 declared parameters), as in passport-oauth2; annotate the parameters in TypeScript.
 */
export type TikTokVerifyFunctionWithParams = (
  accessToken: string,
  refreshToken: string | undefined,
  params: TikTokTokens,
  profile: TikTokProfile,
  done: TikTokVerifyCallback,
) => TikTokVerifyReturn;

/** {@link TikTokVerifyFunction} with the request first (`passReqToCallback: true`). */
export type TikTokVerifyFunctionWithRequest = (
  req: Request,
  accessToken: string,
  refreshToken: string | undefined,
  profile: TikTokProfile,
  done: TikTokVerifyCallback,
) => TikTokVerifyReturn;

/** {@link TikTokVerifyFunctionWithParams} with the request first (6 declared parameters). */
export type TikTokVerifyFunctionWithRequestAndParams = (
  req: Request,
  accessToken: string,
  refreshToken: string | undefined,
  params: TikTokTokens,
  profile: TikTokProfile,
  done: TikTokVerifyCallback,
) => TikTokVerifyReturn;

export type AnyTikTokVerify =
  | TikTokVerifyFunction
  | TikTokVerifyFunctionWithParams
  | TikTokVerifyFunctionWithRequest
  | TikTokVerifyFunctionWithRequestAndParams;

/** Where tokens go after a login (e.g. a `TikTokTokenManager`). */
export interface TikTokTokenSink {
  save(openId: string, tokens: TikTokTokens): Promise<void>;
}

/**
 * The options both forms of `TikTokStrategy` take: everything {@link TikTokClientOptions} takes,
 * plus the login flow's own. Explicit options win over environment variables. Hold options in a
 * variable as {@link TikTokStrategyOptions} or {@link TikTokStrategyOptionsWithRequest}.
 */
export interface TikTokStrategyCommonOptions extends TikTokClientOptions {
  /** Alias of `clientKey` (passport-oauth2's name). Default: `TIKTOK_CLIENT_KEY`. */
  clientID?: string | undefined;
  /**
   * The registered redirect URI (alias of `redirectUri`, which it wins over), checked as
   * `redirectUri` is. Default: `TIKTOK_REDIRECT_URI`, then `NEXT_PUBLIC_TIKTOK_REDIRECT_URI`, or
   * the `client`'s.
   */
  callbackURL?: string | undefined;
  /** Scopes to request: array, or a comma/space separated string. Default: `user.info.basic`. */
  scope?: string | string[] | undefined;
  /** Send a PKCE challenge (hex S256, TikTok's flavour). Default: the `client`'s `pkce` when one is shared, else `true`. */
  pkce?: boolean | undefined;
  /** `disable_auto_auth=1`: always show TikTok's consent screen. Default: `false`. */
  disableAutoAuth?: boolean | undefined;
  /**
   * Skip the user-info call; the profile then holds only `id` (open_id). As in passport-oauth2:
   * `true`, or a function deciding per login, either `(accessToken) => boolean` (or a promise of
   * it) or `(accessToken, done) => void` calling `done(err, skip)`; an error fails the login with
   * passport's `error()`. Default: `false`.
   */
  skipUserProfile?:
    | boolean
    | ((
        accessToken: string,
        done: (err: unknown, skip?: boolean) => void,
        // eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- void: done style
      ) => boolean | Promise<boolean> | void)
    | undefined;
  /**
   * Share one client (its key, secret, endpoints, budgets and transport). Default: a new client.
   * With it, the client's own options given to the strategy as well (`tokenURL`, `timeoutMs`,
   * …) are not used: the client's settings apply.
   */
  client?: TikTokClient | undefined;
  /**
   * Receives the tokens after a successful code exchange, before the profile is fetched and
   * before verify runs: a user verify then refuses keeps the tokens saved (delete them there if
   * that matters). Not called for a login refused as another TikTok account. Default: none.
   */
  tokenManager?: TikTokTokenSink | undefined;
  /**
   * Shorthand for `tokenManager: new TikTokTokenManager({ client, store: tokenStore })` with this
   * strategy's client: a `MemoryTokenStore` or `RedisTokenStore`. The manager is then
   * `strategy.tokenManager`. Ignored when `tokenManager` is given. Default: none.
   */
  tokenStore?: TokenStore | undefined;
  /** Pending logins kept per session (tabs); the oldest are dropped. Default: `5`. */
  maxPendingLogins?: number | undefined;
  /**
   * Lifetime of a pending login (its `state`), on the server's clock. A session holding nothing
   * but pending logins keeps its cookie (and store entry) this long plus 15 hours, a margin for
   * browsers whose clock is wrong. Default: `600000` (10 min).
   */
  stateTtlMs?: number | undefined;
  /**
   * The callback answers within this, counted from when the strategy sees it: the code exchange
   * and the user-info call share it, less 5 % (at most 250 ms) kept to send the answer.
   * The calls to the stores (the state claim, the session save, the token save) have their own
   * limits (the Redis stores' `commandTimeoutMs`, `tiktokSessionGuard`'s `timeoutMs`), and the
   * app's verify none. An integer from 1 to 2147483647 (a Node.js timer's limit). Default: `12000`.
   */
  loginDeadlineMs?: number | undefined;
  /**
   * Attempts for each of the login's two TikTok calls, still bounded by `loginDeadlineMs`.
   * A person is waiting and a failed login costs them a restart, so logins get one attempt more
   * than background calls: with 20 % of TikTok calls failing, 4 attempts make 99.7 % of logins
   * succeed where 3 make 98.4 %. Default: `maxAttempts` when that option is given, else `4`.
   */
  loginMaxAttempts?: number | undefined;
  /**
   * Makes each state single-use across concurrent callbacks. Default: a per-process
   * `MemoryClaimStore`; use a `RedisClaimStore` when several instances serve callbacks.
   */
  claimStore?: TikTokStateClaimStore | undefined;
}

/**
 * Options of `TikTokStrategy` whose verify has no `req`: hold them in a variable and spread them
 * into the constructor.
 *
 * ```ts
 * const options: TikTokStrategyOptions = { scope: ['user.info.basic'] };
 * new TikTokStrategy({ ...options }, async (accessToken, refreshToken, profile) => profile);
 * ```
 */
export interface TikTokStrategyOptions extends TikTokStrategyCommonOptions {
  /** `req` is not passed to verify. Default: `false`. */
  passReqToCallback?: false | undefined;
}

/**
 * Options of `TikTokStrategy` with `passReqToCallback: true`: verify gets `req` first.
 *
 * ```ts
 * const options: TikTokStrategyOptionsWithRequest = { passReqToCallback: true };
 * new TikTokStrategy(options, async (req, accessToken, refreshToken, profile) => profile);
 * ```
 */
export interface TikTokStrategyOptionsWithRequest extends TikTokStrategyCommonOptions {
  /** Pass `req` as verify's first argument. */
  passReqToCallback: true;
}

/** Another name for {@link TikTokStrategyOptions}: the options of a verify without `req`. */
export type TikTokStrategyOptionsWithoutRequest = TikTokStrategyOptions;

/** Per-request options: `passport.authenticate('tiktok', { scope, returnTo, ... })`. */
export interface TikTokAuthenticateOptions {
  /** Scopes for this login only. Default: the strategy's `scope`. */
  scope?: string | string[] | undefined;
  /** Where to go after login (validated: same-origin path, else `/`). Default: `?returnTo=`. */
  returnTo?: string | undefined;
  /** Override the strategy's `disableAutoAuth` for this login. */
  disableAutoAuth?: boolean | undefined;
  /** passport's own: when set, a failure is also recorded for `getTikTokLoginFailure()`. */
  failureRedirect?: string | undefined;
  /**
   * passport's own: failures go to the error handler. A failure with a message of its own
   * (verify's refusal) is then also recorded for `getTikTokLoginFailure()`, since
   * `tiktokErrorHandler({ failureRedirect })` carries only the code and correlation ID.
   */
  failWithError?: boolean | undefined;
  /**
   * The app's own state for this login, as passport-oauth2's `state` option: kept with the
   * pending login and given back in the success info, `req.authInfo.state`. Never sent to
   * TikTok, whose `state` parameter carries the strategy's own random value. Any JSON value, at
   * most 1 KiB once serialised (the session holds it); anything else fails the login start with
   * `CONFIGURATION_ERROR`.
   */
  state?: unknown;
  /**
   * Not supported: TikTok sends the browser back only to a redirect URI registered for the app
   * and matched exactly, and the strategy answers callbacks on its own `callbackURL` only. A
   * login started with one fails with `CONFIGURATION_ERROR`: register one strategy per callback
   * URL instead (`passport.use('tiktok-admin', new TikTokStrategy({ callbackURL }))`).
   */
  callbackURL?: undefined;
}

/** What a failed login reports (`info` of passport's callback, `req.tiktokLoginFailure`). */
export interface TikTokLoginFailureInfo {
  code: TikTokErrorCode;
  message: string;
  correlationId: string;
  /** HTTP status the failure is answered with. */
  status: number;
}

declare module 'passport' {
  /** `passport.authenticate('tiktok', { returnTo, disableAutoAuth })` (TikTokStrategy). */
  interface AuthenticateOptions {
    /** Where to go after login (validated: same-origin path, else `/`). */
    returnTo?: string | undefined;
    /** Always show TikTok's consent screen for this login. */
    disableAutoAuth?: boolean | undefined;
  }
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /**
       * The request's correlation ID, used on the package's log lines, errors and TikTok calls
       * for it. Set by `TikTokStrategy`, `tiktokWebhook()` and `tiktokSessionRevocation()` when
       * missing: an ID your request-ID middleware sets earlier wins, else a safe incoming
       * `X-Correlation-Id`, else a new one.
       */
      tiktokCorrelationId?: string | undefined;
      /** Set when TikTokStrategy failed the login on this request. */
      tiktokLoginFailure?: TikTokLoginFailureInfo;
    }
    interface AuthInfo {
      /** Validated same-origin path given when the login started (TikTokStrategy). */
      returnTo?: string;
      /** The login's correlation ID (TikTokStrategy). */
      correlationId?: string;
      /** Scopes the user granted (TikTokStrategy). */
      grantedScopes?: string[];
      /** The `state` given to `passport.authenticate()` when the login started (TikTokStrategy). */
      state?: unknown;
    }
  }
}

/** The strategy's options, validated and normalised once at construction. */
export interface StrategySettings {
  readonly client: TikTokClient;
  readonly verify: AnyTikTokVerify | undefined;
  readonly callbackURL: string;
  /** Path of `callbackURL`: a request to it is a callback even without a query. */
  readonly callbackPath: string;
  /** Host name of `callbackURL` (`URL.hostname`: lower case, no port). */
  readonly callbackHost: string;
  readonly authorizationURL: string;
  readonly tokenURL: string;
  readonly scopes: readonly string[];
  readonly pkce: boolean;
  readonly disableAutoAuth: boolean;
  readonly passReqToCallback: boolean;
  readonly skipUserProfile: NonNullable<TikTokStrategyCommonOptions['skipUserProfile']>;
  readonly tokenManager: TikTokTokenSink | undefined;
  readonly maxPendingLogins: number;
  readonly stateTtlMs: number;
  readonly loginDeadlineMs: number;
  readonly loginMaxAttempts: number;
  readonly claimStore: TikTokStateClaimStore;
  /** Where login outcomes are counted: the `metrics` option, else the shared client's. */
  readonly metrics: TikTokMetrics | undefined;
}

function positiveInt(
  value: number | undefined,
  option: string,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`TikTokStrategy option ${option} must be a positive integer`);
  }
  if (value > max) throw new TypeError(tooLongForTimer(`TikTokStrategy option ${option}`, value));
  return value;
}

function flag(value: unknown, option: string, fallback: boolean, expected = 'a boolean'): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw new TypeError(`TikTokStrategy option ${option} must be ${expected}`);
  return value;
}

const KEY_NAMES = ['clientKey', 'clientID'];
const CALLBACK_NAMES = ['callbackURL', 'redirectUri'];

/**
 * Misspellings of the strategy's option names, each with the option meant (see
 * {@link checkOptionNames}).
 */
const MISSPELLED_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  clientId: KEY_NAMES,
  client_id: KEY_NAMES,
  client_key: KEY_NAMES,
  clientkey: KEY_NAMES,
  client_secret: ['clientSecret'],
  clientsecret: ['clientSecret'],
  callbackUrl: CALLBACK_NAMES,
  callbackUri: CALLBACK_NAMES,
  callbackURI: CALLBACK_NAMES,
  callback_url: CALLBACK_NAMES,
  redirectURL: CALLBACK_NAMES,
  redirectUrl: CALLBACK_NAMES,
  redirectURI: CALLBACK_NAMES,
  redirect_uri: CALLBACK_NAMES,
};

function buildClient(o: TikTokStrategyCommonOptions, scopes: string[]): TikTokClient {
  // The client names the missing option and env var; `owner` makes it say TikTokStrategy.
  return new TikTokClient(
    {
      ...o,
      clientKey: o.clientKey ?? o.clientID,
      redirectUri: o.callbackURL ?? o.redirectUri,
      scopes: scopes.length > 0 ? scopes : (o.scopes ?? undefined),
    },
    'TikTokStrategy',
  );
}

/**
 * Why logins requesting `scopes` can never succeed with the strategy's own profile fetch, or
 * undefined.
 * NOTE: the profile comes from TikTok's user info, whose `open_id` field (always requested: it
 * binds the profile to the login) needs `user.info.basic`
 * (https://developers.tiktok.com/doc/tiktok-api-scopes). Without it every login ends in
 * SCOPE_NOT_AUTHORIZED, whose message asks the user to allow what they already allowed.
 */
export function missingBasicScope(scopes: readonly string[], what: string): string | undefined {
  if (scopes.includes('user.info.basic')) return undefined;
  return `${what} must include user.info.basic (got '${scopes.join(',')}'): the profile comes from TikTok's user info, whose open_id needs it. Add it, as in scope: ['user.info.basic', '${scopes[0] ?? 'user.info.profile'}'] (a scope given to passport.authenticate() replaces the strategy's), or set the strategy's skipUserProfile: true to log in with the open_id alone`;
}

/** Validates and normalises the options; every problem is a TypeError naming the option. */
export function resolveStrategySettings(
  options: TikTokStrategyOptions | TikTokStrategyOptionsWithRequest | AnyTikTokVerify,
  verify: AnyTikTokVerify | undefined,
  /** A subclass overrides userProfile(): the profile is its own business. */
  ownUserProfile = false,
): StrategySettings {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      typeof options === 'function'
        ? 'TikTokStrategy options must be an object, got a function: pass (options, verify), or the verify function alone'
        : 'TikTokStrategy options must be an object',
    );
  }
  const o = options;
  if (verify !== undefined && typeof verify !== 'function') {
    throw new TypeError('TikTokStrategy verify must be a function');
  }
  checkOptionNames(o, 'TikTokStrategy', MISSPELLED_OPTIONS);
  // NOTE: passport-oauth2's sessionKey keeps two strategies' states apart; here each pending
  // login carries its strategy's callback path instead. Refused rather than silently ignored.
  if (Reflect.get(o, 'sessionKey') !== undefined) {
    throw new TypeError(
      "TikTokStrategy has no option sessionKey: each strategy's pending logins are kept apart by its callbackURL (give each strategy its own)",
    );
  }
  const requested = normalizeScopes(o.scope, 'TikTokStrategy option scope');
  const client = o.client ?? buildClient(o, requested);
  if (!(client instanceof TikTokClient)) {
    throw new TypeError('TikTokStrategy option client must be a TikTokClient');
  }
  // NOTE: checked here too: with a shared `client`, the strategy's own callbackURL never went
  // through the client's checks.
  const callbackURL =
    o.callbackURL === undefined
      ? client.redirectUri
      : absoluteUrl(o.callbackURL, 'callbackURL', 'TikTokStrategy');
  // A client built above warned about its own redirect URI already.
  if (o.client !== undefined && callbackURL !== client.redirectUri) {
    client.warnIfTikTokRefuses(callbackURL, 'callbackURL', 'TikTokStrategy');
  }
  const claimStore = o.claimStore ?? new MemoryClaimStore();
  if (typeof claimStore.claim !== 'function' || typeof claimStore.release !== 'function') {
    throw new TypeError('TikTokStrategy option claimStore must have claim() and release()');
  }
  const tokenManager =
    o.tokenManager ??
    (o.tokenStore === undefined
      ? undefined
      : new TikTokTokenManager({
          client,
          store: o.tokenStore,
          ...(o.logger ? { logger: o.logger } : {}),
          ...(o.metrics ? { metrics: o.metrics } : {}),
        }));
  if (tokenManager !== undefined && typeof tokenManager.save !== 'function') {
    throw new TypeError(
      'TikTokStrategy option tokenManager must have a save(openId, tokens) method',
    );
  }
  const scopes = requested.length > 0 ? requested : client.scopes;
  const skipUserProfile =
    typeof o.skipUserProfile === 'function'
      ? o.skipUserProfile
      : flag(o.skipUserProfile, 'skipUserProfile', false, 'a boolean or a function');
  if (skipUserProfile === false && !ownUserProfile) {
    const problem = missingBasicScope(
      scopes,
      requested.length > 0 ? 'TikTokStrategy option scope' : "TikTokStrategy's client scopes",
    );
    if (problem !== undefined) throw new TypeError(problem);
  }
  return {
    client,
    verify,
    metrics: o.metrics ?? client.metricsOption,
    callbackURL,
    // Checked above (or by the client, whose redirectUri it is): parsing cannot fail.
    callbackPath: new URL(callbackURL).pathname,
    callbackHost: new URL(callbackURL).hostname,
    authorizationURL: o.authorizationURL ?? TIKTOK_AUTHORIZATION_URL,
    tokenURL: o.tokenURL ?? TIKTOK_TOKEN_URL,
    scopes,
    // A shared client's `pkce` is the default; an explicit strategy `pkce` wins for its logins.
    pkce: flag(o.pkce, 'pkce', client.pkce),
    disableAutoAuth: flag(o.disableAutoAuth, 'disableAutoAuth', false),
    passReqToCallback: flag(o.passReqToCallback, 'passReqToCallback', false),
    skipUserProfile,
    tokenManager,
    maxPendingLogins: positiveInt(o.maxPendingLogins, 'maxPendingLogins', 5),
    stateTtlMs: positiveInt(o.stateTtlMs, 'stateTtlMs', 600_000),
    loginDeadlineMs: positiveInt(
      o.loginDeadlineMs,
      'loginDeadlineMs',
      DEFAULT_LOGIN_DEADLINE_MS,
      MAX_TIMER_MS,
    ),
    // NOTE: maxAttempts checked here too: with a `client` of the app's, no client checks it, and
    // an unchecked value would fail every login's TikTok calls instead of the construction.
    loginMaxAttempts: positiveInt(
      o.loginMaxAttempts,
      'loginMaxAttempts',
      positiveInt(o.maxAttempts, 'maxAttempts', 4),
    ),
    claimStore,
  };
}
