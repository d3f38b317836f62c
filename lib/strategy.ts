import type { Request } from 'express';
import { Strategy as OAuth2Strategy } from 'passport-oauth2';
import type { TikTokClient } from './client/client';
import { parse, type TikTokProfile } from './profile';
import { PENDING_LOGINS_KEY } from './state/pending-logins';
import { authenticateRequest } from './strategy/authenticate';
import type {
  AnyTikTokVerify,
  TikTokAuthenticateOptions,
  TikTokStrategyOptions,
  TikTokTokenSink,
  TikTokVerifyFunction,
  TikTokVerifyFunctionWithParams,
  TikTokVerifyFunctionWithRequest,
  TikTokVerifyFunctionWithRequestAndParams,
} from './strategy/options';
import { resolveStrategySettings, type StrategySettings } from './strategy/settings';

/** {@link TikTokStrategyOptions} for a verify function without `req` (the default). */
export type WithoutReq = TikTokStrategyOptions & { passReqToCallback?: false };
/** {@link TikTokStrategyOptions} with `passReqToCallback: true`: verify gets `req` first. */
export type WithReq = TikTokStrategyOptions & { passReqToCallback: true };

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
  constructor(options: WithoutReq, verify: TikTokVerifyFunctionWithParams);
  // One overload per verify shape: a union would leave unannotated lambdas without types.
  constructor(options: WithReq, verify: TikTokVerifyFunctionWithRequest);
  // eslint-disable-next-line @typescript-eslint/unified-signatures
  constructor(options: WithReq, verify: TikTokVerifyFunctionWithRequestAndParams);
  constructor(options: TikTokStrategyOptions = {}, verify?: AnyTikTokVerify) {
    const settings = resolveStrategySettings(options, verify);
    super(
      {
        authorizationURL: settings.authorizationURL,
        tokenURL: settings.tokenURL,
        clientID: settings.client.clientKey,
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

  /** Starts a login, or finishes one on the callback. Never uses passport-oauth2's flow. */
  override authenticate(req: Request, options?: TikTokAuthenticateOptions): void {
    void authenticateRequest(req, options ?? {}, this.settings, {
      success: (user, info) => this.success(user, info),
      fail: (challenge, status) => this.fail(challenge, status),
      redirect: (url) => this.redirect(url),
      error: (err) => this.error(err instanceof Error ? err : new Error(String(err))),
    });
  }

  /** passport-oauth2's hook, served by TikTokClient (user.info.basic fields). */
  override userProfile(
    accessToken: string,
    done: (err?: unknown, profile?: TikTokProfile) => void,
  ): void {
    this.client.getUserInfo(accessToken).then(
      (user) => done(null, parse(user)),
      (err: unknown) => done(err),
    );
  }
}
