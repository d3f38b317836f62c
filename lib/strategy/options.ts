/// <reference types="passport" preserve="true" />
import type { Request } from 'express';
import type { TikTokClient } from '../client/client';
import type { TikTokClientOptions } from '../client/options';
import type { TikTokTokens } from '../client/types';
import type { TikTokErrorCode } from '../errors';
import type { TikTokProfile } from '../profile';
import type { TikTokStateClaimStore } from '../state/claims';
import type { TokenStore } from '../tokens/store';

/** What verify calls back with: `done(err)`, `done(null, user, info?)` or `done(null, false, info?)`. */
export type TikTokVerifyCallback = (
  err?: unknown,
  user?: Express.User | false | null,
  info?: object,
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
  clientID?: string;
  /**
   * The registered redirect URI (alias of `redirectUri`, which it wins over). Default:
   * `TIKTOK_REDIRECT_URI`, then `NEXT_PUBLIC_TIKTOK_REDIRECT_URI`, or the `client`'s.
   */
  callbackURL?: string;
  /** Scopes to request: array, or a comma/space separated string. Default: `user.info.basic`. */
  scope?: string | string[];
  /** Send a PKCE challenge (hex S256, TikTok's flavour). Default: the `client`'s `pkce` when one is shared, else `true`. */
  pkce?: boolean;
  /** `disable_auto_auth=1`: always show TikTok's consent screen. Default: `false`. */
  disableAutoAuth?: boolean;
  /** Skip the user-info call; the profile then holds only `id` (open_id). Default: `false`. */
  skipUserProfile?: boolean;
  /** Share one client (its key, secret, endpoints and transport). Default: a new client. */
  client?: TikTokClient;
  /** Receives the tokens after every successful code exchange. Default: none. */
  tokenManager?: TikTokTokenSink;
  /**
   * Shorthand for `tokenManager: new TikTokTokenManager({ client, store: tokenStore })` with this
   * strategy's client: a `MemoryTokenStore` or `RedisTokenStore`. The manager is then
   * `strategy.tokenManager`. Ignored when `tokenManager` is given. Default: none.
   */
  tokenStore?: TokenStore;
  /** Pending logins kept per session (tabs); the oldest are dropped. Default: `5`. */
  maxPendingLogins?: number;
  /** Lifetime of a pending login (its `state`). Default: `600000` (10 min). */
  stateTtlMs?: number;
  /**
   * The callback answers within this, counted from when the strategy sees it: the code exchange
   * and the user-info call share it, less 5 % (at most 250 ms) kept to send the answer.
   * Default: `12000`.
   */
  loginDeadlineMs?: number;
  /**
   * Attempts for each of the login's two TikTok calls, still bounded by `loginDeadlineMs`.
   * A person is waiting and a failed login costs them a restart, so logins get one attempt more
   * than background calls: with 20 % of TikTok calls failing, 4 attempts make 99.7 % of logins
   * succeed where 3 make 98.4 %. Default: `maxAttempts` when that option is given, else `4`.
   */
  loginMaxAttempts?: number;
  /**
   * Makes each state single-use across concurrent callbacks. Default: a per-process
   * `MemoryClaimStore`; use a `RedisClaimStore` when several instances serve callbacks.
   */
  claimStore?: TikTokStateClaimStore;
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
  passReqToCallback?: false;
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

/** Per-request options: `passport.authenticate('tiktok', { scope, returnTo, ... })`. */
/** Another name for {@link TikTokStrategyOptions}: the options of a verify without `req`. */
export type TikTokStrategyOptionsWithoutRequest = TikTokStrategyOptions;

export interface TikTokAuthenticateOptions {
  /** Scopes for this login only. Default: the strategy's `scope`. */
  scope?: string | string[];
  /** Where to go after login (validated: same-origin path, else `/`). Default: `?returnTo=`. */
  returnTo?: string;
  /** Override the strategy's `disableAutoAuth` for this login. */
  disableAutoAuth?: boolean;
  /** passport's own: when set, a failure is also recorded for `getTikTokLoginFailure()`. */
  failureRedirect?: string;
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
    returnTo?: string;
    /** Always show TikTok's consent screen for this login. */
    disableAutoAuth?: boolean;
  }
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The correlation ID of this login request (incoming `X-Correlation-Id`, or a new one). */
      tiktokCorrelationId?: string;
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
    }
  }
}
