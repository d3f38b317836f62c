// NOTE: caller-supplied correlation IDs go through acceptCorrelationId(): an ID with CR/LF would
// break the X-Correlation-Id header sent to TikTok and reach the logs unchecked.
import { acceptCorrelationId } from '../correlation';
import { MAX_TIMER_MS, withinTime } from '../time-limit';
import { BoundedMemo } from '../memo';
import { TikTokAPIError } from '../errors';
import {
  inspectsAsJson,
  lazyDefaultLogger,
  levelEnabled,
  REDACTED,
  SafeLogger,
  Scrubber,
  type LogLevel,
  type TikTokLogger,
} from '../logging';
import type { TikTokMetrics, TikTokOperation } from '../metrics';
import { codeChallengeForVerifier, generateCodeVerifier, generateState } from '../pkce';
import {
  AUTHORIZE_PARAMS,
  CLIENT_TOKEN_EARLY_RENEWAL_MS,
  DEFAULT_LOGIN_DEADLINE_MS,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_RETRY_BASE_DELAY_MS,
  DEFAULT_SCOPES,
  DEFAULT_TIMEOUT_MS,
  fieldsForScopes,
  normalizeScopes,
  TIKTOK_AUTHORIZATION_URL,
  TIKTOK_REVOKE_URL,
  TIKTOK_TOKEN_URL,
  TIKTOK_USER_INFO_URL,
  TOKEN_PARAMS,
} from './endpoints';
import { fetchTransport, type Transport } from './http';
import { nodeTransport } from './node-transport';
import { createGuards, type CallGuard, type TikTokEndpoint } from './guard';
import {
  CredentialSource,
  CREDENTIAL_FETCH_TIMEOUT_MS,
  DEFAULT_CREDENTIALS_TTL_MS,
  type ResolvedCredential,
} from './credentials';
import { VALIDATION_ADVICE } from './advice';
import { runOperation, type OperationSettings, type RetryMode } from './operation';
import {
  absoluteUrl,
  checkOptionNames,
  endpointUrl,
  credentialSetting,
  positiveInt,
  requireSetting,
  requireSettings,
  tiktokRedirectUriProblem,
  type ResolvedClientConfig,
  type TikTokClientOptions,
} from './options';
import {
  ignoredRefreshLifetime,
  isRecord,
  parseClientToken,
  parseTokens,
  parseUserInfo,
  ShapeError,
} from './parse';
import type { TikTokClientToken, TikTokTokens, TikTokUserInfo } from './types';

/** Options common to every operation. */
export interface OperationOptions {
  /** Reuse the caller's correlation ID (e.g. the request's `X-Correlation-Id`). */
  correlationId?: string | undefined;
  /**
   * Absolute epoch-ms deadline shared with other calls (a login's remaining budget). `Infinity`
   * is none; NaN or a non-number is a TypeError.
   */
  deadlineAt?: number | undefined;
  /** Attempts for this call only (the strategy gives logins 4). Default: the client's `maxAttempts`. */
  maxAttempts?: number | undefined;
  /**
   * Let an attempt wait for TikTok's answer until `deadlineAt` rather than `timeoutMs`: for a
   * refresh under a lock lease, whose late answer (the rotated refresh token) is worth more than
   * a retry that TikTok refuses once the lost attempt rotated the token.
   * @internal
   */
  waitUntilDeadline?: boolean | undefined;
}

export interface AuthorizationUrlOptions {
  /** Default: the client's `scopes`. */
  scopes?: readonly string[] | undefined;
  /** Default: 64 fresh lowercase hex chars. */
  state?: string | undefined;
  /** `disable_auto_auth=1`: always show TikTok's consent screen. Default: false. */
  disableAutoAuth?: boolean | undefined;
  /** Send a PKCE challenge (hex S256). Default: the client's `pkce` option (true). */
  pkce?: boolean | undefined;
  /** Default: the client's `redirectUri`. */
  redirectUri?: string | undefined;
  /** Correlation ID for a failure to resolve a `clientKey` function. Default: a fresh one. */
  correlationId?: string | undefined;
  /**
   * More query parameters, appended after the client's own. Those the client sets (`client_key`,
   * `scope`, `response_type`, `redirect_uri`, `state`, `code_challenge`, `code_challenge_method`,
   * `disable_auto_auth`) are never overridden: same-named entries are left out. Default: none.
   */
  extraParams?: Readonly<Record<string, string>> | undefined;
}

/** The host of TikTok's own authorization page (TIKTOK_AUTHORIZATION_URL). */
const TIKTOK_AUTHORIZE_HOST = 'www.tiktok.com';

/** Options of {@link TikTokClient.exchangeCodeForTokens}. */
export interface CodeExchangeOptions extends OperationOptions {
  /**
   * The `codeVerifier` that `getAuthorizationUrl()` returned with the URL. Required while PKCE
   * is on; without it the exchange fails with VALIDATION_ERROR before any request.
   */
  codeVerifier?: string | undefined;
  /** Default: the client's `redirectUri`. */
  redirectUri?: string | undefined;
  /** Whether the login used PKCE. Default: the client's `pkce` option (true). */
  pkce?: boolean | undefined;
  /**
   * More form fields for the token request. Those the client sets (`client_key`,
   * `client_secret`, `code`, `grant_type`, `redirect_uri`, `code_verifier`) are never
   * overridden: same-named entries are left out. Default: none.
   */
  extraParams?: Readonly<Record<string, string>> | undefined;
}

export interface AuthorizationUrl {
  url: string;
  state: string;
  /** Keep it server-side until the callback; absent when `pkce: false`. */
  codeVerifier?: string;
}

/** How post() runs one token or revoke request. */
interface PostRun<T> {
  correlationId: string;
  mode: RetryMode;
  lostAttemptHint?: string;
  /** {@link OperationRun.attemptTimeoutMs}. */
  attemptTimeoutMs?: number;
  /** {@link OperationRun.afterLostAttempt}. */
  afterLostAttempt?: (error: TikTokAPIError) => { readonly value: T } | undefined;
  deadlineAt: number;
  maxAttempts?: number | undefined;
  /** {@link OperationRun.parse}. */
  parse: (body: unknown, text: string, now: number) => T;
}

/**
 * A revoke retried after a lost attempt and refused as already revoked: the lost attempt revoked
 * the token. NOTE: TikTok refuses an already revoked token with `invalid_request` (its pages do
 * not say whether `invalid_grant` may come instead); revocation is idempotent (RFC 7009), so the
 * revoke succeeded.
 */
function revokedByLostAttempt(error: TikTokAPIError): { readonly value: undefined } | undefined {
  const refusal = error.tiktokError?.error;
  return refusal === 'invalid_request' || refusal === 'invalid_grant'
    ? { value: undefined }
    : undefined;
}

/** A token answer's value. NOTE: module-level, so that no closure is made per exchange. */
const tokensAnswer = (body: unknown, _text: string, now: number): TikTokTokens =>
  parseTokens(body, now);

/** A user-info answer's value, when no particular `open_id` is expected. */
const userInfoAnswer = (body: unknown): TikTokUserInfo => parseUserInfo(body);

const MAX_CODE_LENGTH = 2048;
/** Attempt counts whose OperationSettings a client keeps per endpoint (the rest are made per call). */
const MAX_KEPT_ATTEMPT_COUNTS = 8;
/** Resolved client secrets kept for scrubbing (the current one and a few rotated ones). */
const KNOWN_SECRETS = 4;
const USER_AGENT = 'passport-tiktok';
const REDIRECT_ENV_VARS = ['TIKTOK_REDIRECT_URI', 'NEXT_PUBLIC_TIKTOK_REDIRECT_URI'] as const;

/** Misspellings of TikTokClient's option names, each with the option meant. */
const MISSPELLED_CLIENT_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  clientId: ['clientKey'],
  clientID: ['clientKey'],
  client_id: ['clientKey'],
  client_key: ['clientKey'],
  client_secret: ['clientSecret'],
  callbackURL: ['redirectUri'],
  callbackUrl: ['redirectUri'],
  redirectURL: ['redirectUri'],
  redirectUrl: ['redirectUri'],
  redirectURI: ['redirectUri'],
  redirect_uri: ['redirectUri'],
  scope: ['scopes'],
};

/**
 * TikTok Login Kit v2 over a timed, retrying transport. Every TikTok quirk lives here.
 *
 * ```ts
 * const client = new TikTokClient();   // TIKTOK_CLIENT_KEY / _SECRET / TIKTOK_REDIRECT_URI
 * const { url, state, codeVerifier } = await client.getAuthorizationUrl();
 * const tokens = await client.exchangeCodeForTokens(code, { codeVerifier }); // kept since the redirect
 * const user = await client.getUserInfo(tokens.access_token, { scopes: tokens.scope.split(',') });
 * ```
 */
export class TikTokClient {
  readonly redirectUri: string;
  readonly scopes: readonly string[];
  /** Whether logins use PKCE unless a call says otherwise (the `pkce` option). */
  readonly pkce: boolean;
  private readonly config: ResolvedClientConfig;
  private readonly key: CredentialSource;
  private readonly secret: CredentialSource;
  /**
   * Every client secret value this client has used lately, scrubbed from all its output.
   * NOTE: replaced, never changed in place: a Scrubber reads the list it was given lazily.
   */
  private knownSecrets: readonly string[] = [];
  // Every login start and user-info call builds the same few strings (bench/README.md, profiling).
  private readonly prefixes = new BoundedMemo<string>();
  private readonly userInfoUrls = new BoundedMemo<string>();
  private readonly userInfoUrlsByScopes = new BoundedMemo<string>();
  private readonly transport: Transport;
  private readonly logger: TikTokLogger;
  private readonly metrics: TikTokMetrics | undefined;
  private readonly guards: (endpoint: TikTokEndpoint) => CallGuard;
  private clientToken: CachedClientToken | undefined;
  private clientTokenInFlight: Promise<CachedClientToken> | undefined;
  private credentialFormCache: { key: string; secret: string; text: string } | undefined;
  private codeGrantTailCache: { redirectUri: string; text: string } | undefined;
  private lastScopesUrl: { scopes: readonly string[]; url: string } | undefined;
  private readonly operationSettings: Partial<
    Record<TikTokEndpoint, Map<number, OperationSettings>>
  > = {};

  /** The `metrics` option, for a strategy sharing this client. @internal */
  get metricsOption(): TikTokMetrics | undefined {
    return this.metrics;
  }

  constructor(options?: TikTokClientOptions);
  /** @internal `owner` names the class in configuration errors (`TikTokStrategy`'s client). */
  // eslint-disable-next-line @typescript-eslint/unified-signatures -- this overload is stripped from the .d.ts
  constructor(options: TikTokClientOptions, owner: string);
  constructor(options: TikTokClientOptions = {}, owner = 'TikTokClient') {
    const o = options;
    const redirectOption = owner === 'TikTokClient' ? 'redirectUri' : 'callbackURL';
    // The strategy checks its own names, and passes its callbackURL and clientID on.
    if (owner === 'TikTokClient') checkOptionNames(o, owner, MISSPELLED_CLIENT_OPTIONS);
    requireSettings(
      [
        { value: o.clientKey, option: 'clientKey', envVars: ['TIKTOK_CLIENT_KEY'] },
        { value: o.clientSecret, option: 'clientSecret', envVars: ['TIKTOK_CLIENT_SECRET'] },
        { value: o.redirectUri, option: redirectOption, envVars: REDIRECT_ENV_VARS },
      ],
      owner,
    );
    const scopes = normalizeScopes(o.scopes ?? [...DEFAULT_SCOPES], `${owner} option scopes`);
    const clientKey = credentialSetting(o.clientKey, 'clientKey', ['TIKTOK_CLIENT_KEY'], owner);
    const clientSecret = credentialSetting(
      o.clientSecret,
      'clientSecret',
      ['TIKTOK_CLIENT_SECRET'],
      owner,
    );
    this.config = {
      redirectUri: absoluteUrl(
        requireSetting(o.redirectUri, redirectOption, REDIRECT_ENV_VARS, owner),
        redirectOption,
        owner,
        REDIRECT_ENV_VARS,
      ),
      scopes: scopes.length > 0 ? scopes : [...DEFAULT_SCOPES],
      authorizationURL: endpointUrl(
        o.authorizationURL ?? TIKTOK_AUTHORIZATION_URL,
        'authorizationURL',
        owner,
      ),
      tokenURL: endpointUrl(o.tokenURL ?? TIKTOK_TOKEN_URL, 'tokenURL', owner),
      revokeURL: endpointUrl(o.revokeURL ?? TIKTOK_REVOKE_URL, 'revokeURL', owner),
      userInfoURL: endpointUrl(o.userInfoURL ?? TIKTOK_USER_INFO_URL, 'userInfoURL', owner),
      timeoutMs: positiveInt(o.timeoutMs, 'timeoutMs', DEFAULT_TIMEOUT_MS, MAX_TIMER_MS),
      maxAttempts: positiveInt(o.maxAttempts, 'maxAttempts', DEFAULT_MAX_ATTEMPTS),
      retryBaseDelayMs: positiveInt(
        o.retryBaseDelayMs,
        'retryBaseDelayMs',
        DEFAULT_RETRY_BASE_DELAY_MS,
        MAX_TIMER_MS,
      ),
      deadlineMs:
        o.deadlineMs === undefined ? undefined : positiveInt(o.deadlineMs, 'deadlineMs', 1),
      pkce: booleanOption(o.pkce, 'pkce', true, owner),
      credentialsTtlMs: positiveInt(
        o.credentialsTtlMs,
        'credentialsTtlMs',
        DEFAULT_CREDENTIALS_TTL_MS,
      ),
    };
    this.redirectUri = this.config.redirectUri;
    this.scopes = this.config.scopes;
    this.pkce = this.config.pkce;
    this.transport = o.fetch === undefined ? nodeTransport : fetchTransport(o.fetch);
    this.logger = o.logger ?? lazyDefaultLogger();
    this.metrics = o.metrics;
    const safe = new SafeLogger(this.logger);
    this.guards = createGuards(o, safe, this.metrics);
    // The function's error is the secret manager's text: it can quote the value it failed on.
    const onStale = (option: string) => (err: TikTokAPIError) => {
      const log = new SafeLogger(this.logger, this.scrubberFor());
      log.log('warn', '[TikTokOAuth] credentials - refetch failed, using the previous value', {
        correlationId: err.correlationId,
        option,
        error: err.cause,
      });
    };
    const ttl = this.config.credentialsTtlMs;
    this.key = new CredentialSource(
      'clientKey',
      clientKey,
      ttl,
      () => undefined,
      onStale('clientKey'),
    );
    this.secret = new CredentialSource(
      'clientSecret',
      clientSecret,
      ttl,
      (value) => this.rememberSecret(value),
      onStale('clientSecret'),
    );
    if (typeof clientSecret === 'string') this.rememberSecret(clientSecret);
    this.warnIfTikTokRefuses(this.config.redirectUri, redirectOption, owner);
  }

  /**
   * Logs, at `warn`, why TikTok's authorization page will refuse `redirectUri` when this client
   * sends browsers to TikTok's own page (never for the emulator's or another endpoint).
   * NOTE: a warning, not a TypeError: a client used only for refreshes or user info may hold a
   * redirect URI that is never sent, and TikTok's error page also says what is wrong.
   * @internal
   */
  warnIfTikTokRefuses(redirectUri: string, option: string, owner: string): void {
    if (new URL(this.config.authorizationURL).hostname !== TIKTOK_AUTHORIZE_HOST) return;
    const problem = tiktokRedirectUriProblem(redirectUri);
    if (problem === undefined || !this.logEnabled('warn')) return;
    new SafeLogger(this.logger, this.scrubberFor()).log(
      'warn',
      '[TikTokOAuth] configuration - TikTok will refuse the redirect URI',
      { option: `${owner} option ${option}`, redirectUri, detail: problem },
    );
  }

  /**
   * The client key. When the `clientKey` option is a function: the value it last returned, `''`
   * before the first operation resolved it (`getAuthorizationUrl()` always resolves it first).
   */
  get clientKey(): string {
    return this.key.current ?? '';
  }

  /**
   * What `JSON.stringify(client)` writes: the client's settings, with the client secret
   * `[REDACTED]` (a `clientKey` function shows as `(function)`).
   */
  toJSON(): Record<string, unknown> {
    const c = this.config;
    return {
      clientKey: this.key.dynamic ? '(function)' : this.clientKey,
      clientSecret: REDACTED,
      redirectUri: c.redirectUri,
      scopes: c.scopes,
      pkce: c.pkce,
      authorizationURL: c.authorizationURL,
      tokenURL: c.tokenURL,
      revokeURL: c.revokeURL,
      userInfoURL: c.userInfoURL,
      timeoutMs: c.timeoutMs,
      maxAttempts: c.maxAttempts,
      deadlineMs: c.deadlineMs,
    };
  }

  /**
   * Whether this client's logger writes `level` (a logger without `isLevelEnabled` writes all).
   * @internal
   */
  logEnabled(level: LogLevel): boolean {
    return levelEnabled(this.logger, level);
  }

  private rememberSecret(value: string): void {
    if (this.knownSecrets.includes(value)) return;
    this.knownSecrets = [value, ...this.knownSecrets].slice(0, KNOWN_SECRETS);
  }

  /**
   * What hides `secrets` and the client's known secrets from one operation's lines and errors.
   * NOTE: the scrubber reads both lists at its first use only (most operations never scrub).
   */
  private scrubberFor(secrets: ReadonlyArray<string | undefined> = []): Scrubber {
    return new Scrubber(this.knownSecrets, secrets);
  }

  /**
   * A logger for one operation that scrubs the operation's secrets from everything.
   * @internal
   */
  logFor(secrets: ReadonlyArray<string | undefined>): SafeLogger {
    return new SafeLogger(this.logger, this.scrubberFor(secrets));
  }

  /**
   * The URL to send the browser to. NOTE: `client_key` (never `client_id`, never the secret),
   * comma-separated scopes and a hex S256 challenge (https://developers.tiktok.com/doc/login-kit-web).
   */
  async getAuthorizationUrl(
    options: AuthorizationUrlOptions | readonly string[] = {},
  ): Promise<AuthorizationUrl> {
    const opts = authorizationUrlOptions(options);
    const auth = this.authorization(
      opts,
      opts.scopes === undefined ? undefined : normalizeScopes(opts.scopes),
    );
    return auth instanceof Promise ? await auth : auth;
  }

  /**
   * {@link getAuthorizationUrl} for scopes already normalised (undefined: the client's), and
   * without a promise when the client key is a fixed value: every login start of
   * `TikTokStrategy` calls it.
   * @internal
   */
  authorization(
    opts: AuthorizationUrlOptions,
    scopes: readonly string[] | undefined,
  ): AuthorizationUrl | Promise<AuthorizationUrl> {
    const resolved = this.credentials(
      'authorize',
      opts.correlationId === undefined ? undefined : acceptCorrelationId(opts.correlationId),
    );
    if (resolved instanceof Promise) {
      return resolved.then(([key]) => this.authorizationFor(key.value, opts, scopes));
    }
    return this.authorizationFor(resolved[0].value, opts, scopes);
  }

  private authorizationFor(
    clientKey: string,
    opts: AuthorizationUrlOptions,
    scopes: readonly string[] | undefined,
  ): AuthorizationUrl {
    const pkce = opts.pkce ?? this.config.pkce;
    let state = opts.state;
    let codeVerifier: string | undefined;
    if (state === undefined) state = generateState();
    if (pkce) codeVerifier = generateCodeVerifier();
    // A generated state and the challenge are hex, safe as is. Parameter order and encoding
    // are those of one URLSearchParams (pinned by the tests).
    let url = this.authorizationPrefix(
      clientKey,
      (scopes !== undefined && scopes.length > 0 ? scopes : this.config.scopes).join(','),
      opts.redirectUri ?? this.config.redirectUri,
    );
    url += `&${/^[0-9a-f]+$/.test(state) ? `state=${state}` : new URLSearchParams({ state }).toString()}`;
    if (codeVerifier !== undefined) {
      url += `&code_challenge=${codeChallengeForVerifier(codeVerifier)}&code_challenge_method=S256`;
    }
    if (opts.disableAutoAuth === true) url += '&disable_auto_auth=1';
    const extra = extraParams(opts.extraParams, AUTHORIZE_PARAMS, 'getAuthorizationUrl');
    if (extra !== undefined) url += `&${new URLSearchParams(extra).toString()}`;
    return codeVerifier === undefined ? { url, state } : { url, state, codeVerifier };
  }

  /** `<authorizationURL>?client_key=…&scope=…&response_type=code&redirect_uri=…`. */
  private authorizationPrefix(clientKey: string, scope: string, redirectUri: string): string {
    // NOTE: length-prefixed, so no two triples share a key (cheaper than JSON.stringify).
    const key = `${clientKey.length}:${clientKey}${redirectUri.length}:${redirectUri}${scope}`;
    return this.prefixes.get(key, () =>
      this.computeAuthorizationPrefix(clientKey, scope, redirectUri),
    );
  }

  private computeAuthorizationPrefix(
    clientKey: string,
    scope: string,
    redirectUri: string,
  ): string {
    const params = new URLSearchParams({
      client_key: clientKey,
      scope,
      response_type: 'code',
      redirect_uri: redirectUri,
    });
    // A query already on the configured URL is kept in front.
    const base = this.config.authorizationURL;
    return `${base}${base.includes('?') ? '&' : '?'}${params.toString()}`;
  }

  /**
   * Exchanges a single-use authorization code. Bounded (~12 s) because a person is waiting.
   * With PKCE on (the default) pass the `codeVerifier` that `getAuthorizationUrl()` returned.
   */
  async exchangeCodeForTokens(code: string, opts: CodeExchangeOptions = {}): Promise<TikTokTokens> {
    const correlationId = acceptCorrelationId(opts.correlationId);
    if (typeof code !== 'string' || code.length === 0 || code.length > MAX_CODE_LENGTH) {
      throw new TikTokAPIError({
        code: 'VALIDATION_ERROR',
        message: 'The authorization code is missing, empty or longer than 2 KiB.',
        correlationId,
      });
    }
    // `typeof`, not `=== undefined`: JavaScript callers pass null for a verifier they lost.
    if ((opts.pkce ?? this.config.pkce) && typeof opts.codeVerifier !== 'string') {
      // NOTE: TikTok refuses an exchange without the verifier with a bare `invalid_request`.
      throw new TikTokAPIError({
        code: 'VALIDATION_ERROR',
        message:
          'The code exchange needs the PKCE codeVerifier: pass exchangeCodeForTokens(code, { codeVerifier }) with the codeVerifier that getAuthorizationUrl() returned with the URL (keep it server-side until the callback), or create the client with pkce: false.',
        correlationId,
      });
    }
    const extra = extraParams(opts.extraParams, TOKEN_PARAMS, 'exchangeCodeForTokens');
    const verifier = typeof opts.codeVerifier === 'string' ? opts.codeVerifier : undefined;
    // Encoded in URLSearchParams' order and bytes: extra parameters, code, grant_type,
    // redirect_uri, code_verifier (after the credentials send() puts first).
    const form =
      `${extra === undefined ? '' : `${new URLSearchParams(extra).toString()}&`}code=${formValue(code)}` +
      this.codeGrantTail(opts.redirectUri ?? this.config.redirectUri) +
      (verifier === undefined ? '' : `&code_verifier=${formValue(verifier)}`);
    const tokens = await this.post(
      'token_exchange',
      'Token exchange',
      'tokenURL',
      form,
      [code, verifier],
      {
        correlationId,
        mode: 'singleUse',
        lostAttemptHint:
          'The earlier attempt that got no answer may have used the authorization code (codes are single-use): start the login again.',
        deadlineAt: this.deadline(opts, DEFAULT_LOGIN_DEADLINE_MS),
        maxAttempts: opts.maxAttempts,
        parse: tokensAnswer,
      },
    );
    if (ignoredRefreshLifetime(tokens))
      this.logIgnoredRefreshLifetime('token_exchange', correlationId);
    return tokens;
  }

  /**
   * NOTE: refresh tokens rotate (https://developers.tiktok.com/doc/oauth-user-access-token-management): persist the returned `refresh_token` before
   * using the new access token. Call this under a per-user lock — TikTokTokenManager does.
   */
  async refreshAccessToken(
    refreshToken: string,
    opts: OperationOptions & {
      /**
       * The `open_id` of the grant being refreshed. When given, an answer without `open_id`
       * gets this one, and an answer naming another user is `MALFORMED_RESPONSE`.
       * TikTokTokenManager passes it.
       */
      expectedOpenId?: string | undefined;
    } = {},
  ): Promise<TikTokTokens> {
    const correlationId = acceptCorrelationId(opts.correlationId);
    this.requireToken(refreshToken, 'refresh token', correlationId);
    const deadlineAt = this.deadline(opts);
    const expectedOpenId = opts.expectedOpenId;
    this.requireOpenId(expectedOpenId, correlationId);
    // Only up to a finite deadline: without one, an attempt would wait as long as a timer can.
    const untilDeadline =
      opts.waitUntilDeadline === true && Number.isFinite(deadlineAt)
        ? Math.min(MAX_TIMER_MS, Math.max(1, Math.ceil(deadlineAt - Date.now())))
        : undefined;
    const tokens = await this.post(
      'refresh',
      'Token refresh',
      'tokenURL',
      `grant_type=refresh_token&refresh_token=${formValue(refreshToken)}`,
      [refreshToken],
      {
        correlationId,
        // NOTE: refresh tokens rotate, so a refresh that got no answer may already have killed
        // the token we hold: like a code, it is retried at most once after a lost attempt.
        mode: 'singleUse',
        lostAttemptHint:
          'The earlier attempt that got no answer may have rotated the refresh token (TikTok refresh tokens are single-use): the user must log in again.',
        ...(untilDeadline === undefined ? {} : { attemptTimeoutMs: untilDeadline }),
        deadlineAt,
        maxAttempts: opts.maxAttempts,
        parse:
          expectedOpenId === undefined
            ? tokensAnswer
            : (body: unknown, _text: string, now: number) => parseTokens(body, now, expectedOpenId),
      },
    );
    if (ignoredRefreshLifetime(tokens)) this.logIgnoredRefreshLifetime('refresh', correlationId);
    return tokens;
  }

  /**
   * The `warn` line of a token answer whose `refresh_expires_in` was not a lifetime: the tokens
   * were kept without it (a refresh keeps the grant's previous end, TikTokTokenManager).
   */
  private logIgnoredRefreshLifetime(operation: TikTokOperation, correlationId: string): void {
    new SafeLogger(this.logger, this.scrubberFor()).log(
      'warn',
      `[TikTokOAuth] ${operation} - refresh_expires_in ignored`,
      {
        correlationId,
        operation,
        detail:
          "TikTok's answer gave a refresh_expires_in that is not a positive number of seconds: the tokens are kept without it (the refresh token's lifetime is unknown until TikTok refuses it)",
      },
    );
  }

  /**
   * User info for the granted scopes. `fields` wins; otherwise the fields allowed by `scopes`
   * (pass the *granted* scopes). `open_id` is always asked for (first, when `fields` lacks it).
   */
  async getUserInfo(
    accessToken: string,
    opts: OperationOptions & {
      fields?: string[] | undefined;
      scopes?: string[] | undefined;
      expectedOpenId?: string | undefined;
    } = {},
  ): Promise<TikTokUserInfo> {
    const correlationId = acceptCorrelationId(opts.correlationId);
    this.requireToken(accessToken, 'access token', correlationId);
    const url =
      opts.fields === undefined
        ? this.userInfoUrlForScopes(opts.scopes ?? this.config.scopes)
        : this.userInfoUrl(opts.fields);
    const expectedOpenId = opts.expectedOpenId;
    this.requireOpenId(expectedOpenId, correlationId);
    return await runOperation(this.settings('user_info', opts.maxAttempts), {
      operation: 'user_info',
      label: 'User info',
      correlationId,
      mode: 'idempotent',
      deadlineAt: this.deadline(opts, DEFAULT_LOGIN_DEADLINE_MS),
      request: {
        url,
        method: 'GET',
        headers: {
          'User-Agent': USER_AGENT,
          'X-Correlation-Id': correlationId,
          Authorization: `Bearer ${accessToken}`,
        },
      },
      scrubber: this.scrubberFor([accessToken]),
      urlOption: 'userInfoURL',
      validationAdvice: VALIDATION_ADVICE.user_info,
      parse:
        expectedOpenId === undefined
          ? userInfoAnswer
          : (body) => {
              const user = parseUserInfo(body);
              if (user.open_id !== expectedOpenId) {
                throw new ShapeError('open_id differs from the one the token was issued for');
              }
              return user;
            },
    });
  }

  /** Revokes the grant behind an access token (TikTok refuses expired ones: refresh first). */
  async revokeAccess(accessToken: string, opts: OperationOptions = {}): Promise<void> {
    const correlationId = acceptCorrelationId(opts.correlationId);
    this.requireToken(accessToken, 'access token', correlationId);
    await this.post(
      'revoke',
      'Revoke',
      'revokeURL',
      `token=${formValue(accessToken)}`,
      [accessToken],
      {
        correlationId,
        mode: 'idempotent',
        deadlineAt: this.deadline(opts),
        maxAttempts: opts.maxAttempts,
        afterLostAttempt: revokedByLostAttempt,
        // Success is an empty body or `{}`; errors were already raised by interpret().
        parse: (body, text) => {
          if (text.trim() !== '' && !isRecord(body))
            throw new ShapeError('the revoke response is not a JSON object');
        },
      },
    );
  }

  /**
   * The app's client-credentials token, cached until ~5 min before expiry (half its lifetime when
   * that is shorter), one request in flight.
   *
   * Each call gets a copy whose `expires_in` is the time the token has left, in whole seconds
   * rounded down (at least 1): not the lifetime TikTok issued it with. Use it for `expires_in`
   * seconds at most, or ask again each time (the cache answers).
   *
   * A renewal that fails while the cached token has not expired yet serves the cached token
   * (logged at `warn`); the next call tries again.
   *
   * Concurrent calls share one request, made with the `correlationId` and `maxAttempts` of the
   * call that starts it. Each call waits for it until its own `deadlineAt` at most, and then fails
   * with TIMEOUT_ERROR; the request goes on (until the later of the starting call's `deadlineAt`
   * and the client's own deadline) and fills the cache for the next calls.
   */
  async getClientAccessToken(opts: OperationOptions = {}): Promise<TikTokClientToken> {
    const cached = this.clientToken;
    if (cached !== undefined && performance.now() < cached.renewAt)
      return servedClientToken(cached);
    const correlationId = acceptCorrelationId(opts.correlationId);
    const deadlineAt = this.deadline(opts);
    const clientDeadline = this.deadline({});
    this.clientTokenInFlight ??= this.post(
      'client_token',
      'Client token',
      'tokenURL',
      'grant_type=client_credentials',
      [],
      {
        correlationId,
        mode: 'idempotent',
        // Not cut short by a short deadline of the call that happens to start it: the request
        // serves every call waiting for it, and the cache.
        deadlineAt: deadlineAt > clientDeadline ? deadlineAt : clientDeadline,
        maxAttempts: opts.maxAttempts,
        parse: (body) => {
          const value = parseClientToken(body);
          // Monotonic: the token lives `expires_in` from now, whatever the wall clock does.
          const now = performance.now();
          const lifetime = value.expires_in * 1000;
          const early = Math.min(CLIENT_TOKEN_EARLY_RENEWAL_MS, lifetime / 2);
          const entry = { value, expiresAt: now + lifetime, renewAt: now + lifetime - early };
          this.clientToken = entry;
          return entry;
        },
      },
    ).finally(() => {
      this.clientTokenInFlight = undefined;
    });
    try {
      return servedClientToken(
        await untilDeadline(this.clientTokenInFlight, deadlineAt, () =>
          clientTokenTimeout(correlationId),
        ),
      );
    } catch (err) {
      // NOTE: the early renewal is there to ride out TikTok's blips: while the cached token has
      // not expired, a renewal that fails (a 503, an open circuit, a timeout) serves it, and the
      // next call tries again.
      const current = this.clientToken;
      if (current === undefined || performance.now() >= current.expiresAt) throw err;
      new SafeLogger(this.logger, this.scrubberFor()).log(
        'warn',
        '[TikTokOAuth] client_token - renewal failed, serving the cached token until it expires',
        {
          correlationId,
          errorCode: err instanceof TikTokAPIError ? err.code : 'error',
          expiresInMs: Math.round(current.expiresAt - performance.now()),
        },
      );
      return servedClientToken(current);
    }
  }

  /**
   * NOTE: `fields` is a comma list TikTok requires, with `open_id` asked for explicitly. Built
   * once per field set.
   */
  private userInfoUrl(fields: readonly string[]): string {
    // NOTE: TikTok answers only the fields asked for, and every answer must carry open_id.
    const asked = fields.includes('open_id') ? fields : ['open_id', ...fields];
    return this.userInfoUrls.get(JSON.stringify(asked), () => this.computeUserInfoUrl(asked));
  }

  /**
   * The user-info URL of the fields `scopes` allow. NOTE: memoised by the scopes themselves: a
   * login asks with the granted scopes and skips building and keying the field list.
   */
  private userInfoUrlForScopes(scopes: readonly string[]): string {
    // NOTE: logins of one app ask with the same few scope sets, usually the last one again.
    const last = this.lastScopesUrl;
    if (last !== undefined && sameStrings(last.scopes, scopes)) return last.url;
    const url = this.userInfoUrlsByScopes.get(JSON.stringify(scopes), () =>
      this.userInfoUrl(fieldsForScopes(scopes)),
    );
    this.lastScopesUrl = { scopes: [...scopes], url };
    return url;
  }

  private computeUserInfoUrl(fields: readonly string[]): string {
    const url = new URL(this.config.userInfoURL);
    // A query already on the configured URL (a proxy's `?tenant=…`) is kept in front, as on the
    // other endpoints, less a `fields` of its own: TikTok takes the parameter once, and the
    // answer is checked against the client's list.
    const kept = url.search
      .slice(1)
      .split('&')
      .filter((param) => param !== '' && !new URLSearchParams(param).has('fields'));
    // NOTE: the commas stay unescaped: TikTok documents `fields=open_id,union_id,…`.
    kept.push(`fields=${fields.map(encodeURIComponent).join(',')}`);
    url.search = kept.join('&');
    return url.toString();
  }

  /**
   * The call's `deadlineAt`, else now plus `deadlineMs`, else plus `fallback` (default: timeoutMs ×
   * maxAttempts + 1 s). NOTE: a NaN (or a string) would make every attempt's timer fire after
   * 1 ms, spending a single-use code on an attempt cut at once: it is refused instead.
   */
  private deadline(
    opts: OperationOptions,
    fallback = this.config.timeoutMs * this.config.maxAttempts + 1000,
  ): number {
    const given: unknown = opts.deadlineAt;
    if (given === undefined) return Date.now() + (this.config.deadlineMs ?? fallback);
    if (typeof given !== 'number' || Number.isNaN(given)) {
      throw new TypeError(
        `TikTokClient option deadlineAt must be a time in epoch milliseconds, got ${typeof given === 'number' ? 'NaN' : `a ${typeof given}`}`,
      );
    }
    return given;
  }

  /** An `expectedOpenId` option, when given, names a user: a non-empty string. */
  private requireOpenId(openId: unknown, correlationId: string): void {
    if (openId !== undefined && (typeof openId !== 'string' || openId === '')) {
      throw new TikTokAPIError({
        code: 'VALIDATION_ERROR',
        message: 'The expectedOpenId option must be a non-empty string (the open_id of the user).',
        correlationId,
      });
    }
  }

  private requireToken(token: unknown, what: string, correlationId: string): void {
    // Visible ASCII only: a token goes into an Authorization header or a form body, and CR/LF or
    // non-Latin-1 characters would make the transport throw instead of failing cleanly.
    if (typeof token !== 'string' || !/^[\x21-\x7e]{1,4096}$/.test(token)) {
      throw new TikTokAPIError({
        code: 'VALIDATION_ERROR',
        message: `The ${what} is missing, empty, too long or contains characters a token cannot have.`,
        correlationId,
      });
    }
  }

  /**
   * How operations on `endpoint` run with `maxAttempts` attempts (default: the client's).
   * NOTE: one object per endpoint and attempt count, kept (a few counts per endpoint: a login's
   * and the client's own, typically): every login asks for the same two.
   */
  private settings(endpoint: TikTokEndpoint, maxAttempts: number | undefined): OperationSettings {
    const attempts = positiveInt(maxAttempts, 'maxAttempts', this.config.maxAttempts);
    let kept = this.operationSettings[endpoint];
    if (kept === undefined) {
      kept = new Map();
      this.operationSettings[endpoint] = kept;
    }
    const known = kept.get(attempts);
    if (known !== undefined) return known;
    const settings: OperationSettings = {
      guard: this.guards(endpoint),
      transport: this.transport,
      timeoutMs: this.config.timeoutMs,
      maxAttempts: attempts,
      retryBaseDelayMs: this.config.retryBaseDelayMs,
      logger: this.logger,
      metrics: this.metrics,
    };
    if (kept.size < MAX_KEPT_ATTEMPT_COUNTS) kept.set(attempts, settings);
    return settings;
  }

  /**
   * `client_key=…&client_secret=…`, encoded once per credential pair (a rotated secret makes a
   * new one). NOTE: every code exchange sends the same two: they are not encoded again each time.
   */
  private credentialForm(key: string, secret: string): string {
    const last = this.credentialFormCache;
    if (last !== undefined && last.key === key && last.secret === secret) return last.text;
    const text = `client_key=${formValue(key)}&client_secret=${formValue(secret)}`;
    this.credentialFormCache = { key, secret, text };
    return text;
  }

  /** `&grant_type=authorization_code&redirect_uri=…`, encoded once for the usual redirect URI. */
  private codeGrantTail(redirectUri: string): string {
    const last = this.codeGrantTailCache;
    if (last !== undefined && last.redirectUri === redirectUri) return last.text;
    const text = `&grant_type=authorization_code&redirect_uri=${formValue(redirectUri)}`;
    // Only the configured URI is kept: a per-call one must not evict it.
    if (redirectUri === this.config.redirectUri) this.codeGrantTailCache = { redirectUri, text };
    return text;
  }

  /**
   * NOTE: the token and revoke endpoints take `application/x-www-form-urlencoded` bodies with
   * `client_key` + `client_secret` in the body (JSON bodies are rejected; https://developers.tiktok.com/doc/oauth-user-access-token-management).
   */
  private post<T>(
    operation: TikTokOperation,
    label: string,
    urlOption: 'tokenURL' | 'revokeURL',
    form: string,
    secrets: ReadonlyArray<string | undefined>,
    run: PostRun<T>,
  ): Promise<T> {
    const resolved = this.credentials(operation, run.correlationId, run.deadlineAt);
    // NOTE: static credentials are used at once: no await, no extra promise (hot path).
    if (resolved instanceof Promise) {
      return resolved.then(([key, secret]) =>
        this.send(operation, label, urlOption, form, secrets, run, key, secret),
      );
    }
    return this.send(operation, label, urlOption, form, secrets, run, resolved[0], resolved[1]);
  }

  private send<T>(
    operation: TikTokOperation,
    label: string,
    urlOption: 'tokenURL' | 'revokeURL',
    form: string,
    secrets: ReadonlyArray<string | undefined>,
    run: PostRun<T>,
    key: ResolvedCredential,
    secret: ResolvedCredential,
  ): Promise<T> {
    const correlationId = run.correlationId;
    const scrubber = this.scrubberFor(secrets);
    const body = `${this.credentialForm(key.value, secret.value)}&${form}`;
    return runOperation(
      this.settings(urlOption === 'revokeURL' ? 'revoke' : 'token', run.maxAttempts),
      {
        operation,
        label,
        correlationId,
        mode: run.mode,
        ...(run.lostAttemptHint === undefined ? {} : { lostAttemptHint: run.lostAttemptHint }),
        ...(run.attemptTimeoutMs === undefined ? {} : { attemptTimeoutMs: run.attemptTimeoutMs }),
        ...(run.afterLostAttempt === undefined ? {} : { afterLostAttempt: run.afterLostAttempt }),
        deadlineAt: run.deadlineAt,
        request: {
          url: this.config[urlOption],
          method: 'POST',
          headers: {
            'User-Agent': USER_AGENT,
            'X-Correlation-Id': correlationId,
            'Content-Type': 'application/x-www-form-urlencoded',
          },
          body,
        },
        scrubber,
        urlOption,
        validationAdvice: VALIDATION_ADVICE[operation],
        parse: run.parse,
        onFailure: (err) => {
          // NOTE: `invalid_client` (or `unauthorized_client`, the other refusal of the app's
          // credentials) after a rotation: the next operation asks the functions again.
          const refusal = err.tiktokError?.error;
          if (refusal !== 'invalid_client' && refusal !== 'unauthorized_client') return;
          if (this.key.dynamic || this.secret.dynamic) {
            new SafeLogger(this.logger, scrubber).log(
              'info',
              `[TikTokOAuth] ${operation} - credentials refused, fetched again next time`,
              {
                correlationId,
              },
            );
          }
          this.key.invalidate(key.generation);
          this.secret.invalidate(secret.generation);
        },
      },
    );
  }

  /**
   * Key and secret for a request (only the key for `authorize`); a failure is logged once here
   * and, for a TikTok operation, counted in `requests` and `duration` with its error code.
   * NOTE: static credentials come back as they are, not as a promise: every login start and code
   * exchange asks for them, and only credential functions need to wait.
   */
  private credentials(
    operation: TikTokOperation | 'authorize',
    correlationId: string | undefined,
    deadlineAt?: number,
  ): [ResolvedCredential, ResolvedCredential] | Promise<[ResolvedCredential, ResolvedCredential]> {
    const id = (): string => correlationId ?? acceptCorrelationId(undefined);
    const key = this.key.resolve(id);
    const secret = operation === 'authorize' ? key : this.secret.resolve(id);
    if (!(key instanceof Promise) && !(secret instanceof Promise)) return [key, secret];
    const both = Promise.all([key, secret]);
    // NOTE: the operation's deadline covers the wait for a credential function too. The wait
    // has a timer of its own even without a deadline (a login start): the function's time limit
    // does not keep the process alive (CredentialSource), this one does, until the function
    // answers or gives up.
    const giveUpAt = Date.now() + CREDENTIAL_WAIT_CAP_MS;
    const bounded = untilDeadline(
      both,
      deadlineAt === undefined || deadlineAt > giveUpAt ? giveUpAt : deadlineAt,
      () =>
        new TikTokAPIError({
          code: 'SERVICE_UNAVAILABLE',
          message:
            "Could not get the TikTok client credentials before the operation's deadline: the clientKey or clientSecret function has not answered yet. Check the secret manager it reads from.",
          correlationId: id(),
        }),
    );
    const started = Date.now();
    return bounded.catch((err: unknown) => {
      if (err instanceof TikTokAPIError) {
        new SafeLogger(this.logger, this.scrubberFor()).log(
          err.retryable ? 'warn' : 'error',
          `[TikTokOAuth] ${operation} - failure`,
          { correlationId: err.correlationId, errorCode: err.code, reason: err.message },
        );
        // The operation failed without a TikTok call: counted and timed as one that failed
        // after its attempts, so that a secret manager that is down shows in the operation
        // metrics (a login start, 'authorize', is not a TikTok operation: logins_total has it).
        if (operation !== 'authorize') {
          this.metrics?.requests.inc({ operation, outcome: err.code });
          this.metrics?.duration.observe({ operation }, Math.max(0, Date.now() - started) / 1000);
        }
      }
      throw err;
    });
  }
}
inspectsAsJson(TikTokClient);

/**
 * The cached client token: as TikTok issued it, with when it expires and when it is renewed.
 * NOTE: on the monotonic clock (`performance.now()`): only the time since TikTok's answer
 * matters, and a wall clock stepped back would serve the token past its expiry.
 */
interface CachedClientToken {
  readonly value: TikTokClientToken;
  /** `performance.now()` ms. */
  readonly expiresAt: number;
  /** `performance.now()` ms, before `expiresAt`: a call after it makes a new request. */
  readonly renewAt: number;
}

/**
 * A copy of the cached token whose `expires_in` is what it has left, rounded down: a caller that
 * keeps it for `expires_in` seconds never uses it past expiry. At least 1 s: the cache renews it
 * before it expires (renewAt), so it is never handed out with 0 or less.
 */
function servedClientToken(entry: CachedClientToken): TikTokClientToken {
  const left = Math.floor((entry.expiresAt - performance.now()) / 1000);
  return { ...entry.value, expires_in: Math.max(1, left) };
}

function clientTokenTimeout(correlationId: string): TikTokAPIError {
  return new TikTokAPIError({
    code: 'TIMEOUT_ERROR',
    message:
      // NOTE: the shared request may still be waiting for a credential function, not TikTok.
      'Client token failed: the operation deadline ran out before a client token was ready (TikTok, or the clientKey/clientSecret function, has not answered yet). Try again shortly.',
    correlationId,
  });
}

/**
 * The longest an operation waits for a credential function: past the function's own time limit,
 * so that the function's clearer error ends the wait first.
 */
const CREDENTIAL_WAIT_CAP_MS = CREDENTIAL_FETCH_TIMEOUT_MS + 1000;

/**
 * `shared`'s outcome, or `timeout()`'s error once `deadlineAt` (epoch ms) has passed, whichever
 * comes first; `shared` itself goes on. A deadline beyond a timer's reach (or NaN) is no deadline.
 */
function untilDeadline<T>(
  shared: Promise<T>,
  deadlineAt: number,
  timeout: () => Error,
): Promise<T> {
  const ms = deadlineAt - Date.now();
  return ms <= MAX_TIMER_MS ? withinTime(shared, Math.max(0, ms), timeout) : shared;
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function isScopeList(value: unknown): value is readonly unknown[] {
  return Array.isArray(value);
}

/** `getAuthorizationUrl(['user.info.basic', …])` is `{ scopes: […] }`; anything else is refused. */
function authorizationUrlOptions(
  options: AuthorizationUrlOptions | readonly string[] | undefined,
): AuthorizationUrlOptions {
  if (options === undefined) return {};
  if (isScopeList(options)) {
    const scopes = options.filter((s): s is string => typeof s === 'string');
    if (scopes.length !== options.length) {
      throw new TypeError('getAuthorizationUrl(scopes): every scope must be a string');
    }
    return { scopes };
  }
  // Checked at runtime too: JavaScript callers pass anything.
  const value: unknown = options;
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(
      `getAuthorizationUrl() takes an options object ({ scopes, state, disableAutoAuth, pkce, redirectUri }) or an array of scopes, got ${value === null ? 'null' : typeof value}`,
    );
  }
  return options;
}

/**
 * The caller's extra parameters without the names in `reserved` and without an own `__proto__`
 * (from parsed JSON: assigning it would set the copy's prototype, not add a parameter), or
 * undefined when none is left. Checked at runtime too: JavaScript callers pass anything.
 */
function extraParams(
  value: Readonly<Record<string, string>> | undefined,
  reserved: ReadonlySet<string>,
  method: string,
): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  const given: unknown = value;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new TypeError(`${method}(): extraParams must be an object of strings`);
  }
  const out: Record<string, string> = {};
  let kept = 0;
  for (const [name, param] of Object.entries(given)) {
    if (typeof param !== 'string') {
      throw new TypeError(`${method}(): extraParams.${name} must be a string`);
    }
    if (reserved.has(name) || name === '__proto__') continue;
    out[name] = param;
    kept++;
  }
  return kept === 0 ? undefined : out;
}

function booleanOption(
  value: boolean | undefined,
  option: string,
  fallback: boolean,
  owner: string,
): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw new TypeError(`${owner} option ${option} must be a boolean`);
  return value;
}

// Characters application/x-www-form-urlencoded leaves as they are.
const FORM_SAFE = /^[A-Za-z0-9*._-]*$/;
// What encodeURIComponent leaves as is but the form encoding escapes, and the escaped space.
const FORM_FIXUPS = /[!'()~]|%20/g;
const formFixup = (m: string): string =>
  m === '%20' ? '+' : `%${m.charCodeAt(0).toString(16).toUpperCase()}`;

/**
 * One name or value as `URLSearchParams` serialises it, byte for byte. NOTE: the client's own
 * form fields are encoded with it into parts made once where they never change (the credentials,
 * the code grant's tail): most values need no escaping, and no parameter list is built.
 * @internal
 */
export function formValue(text: string): string {
  if (FORM_SAFE.test(text)) return text;
  let encoded: string;
  try {
    encoded = encodeURIComponent(text);
  } catch {
    // A lone surrogate: URLSearchParams turns it into U+FFFD.
    return new URLSearchParams([['', text]]).toString().slice(1);
  }
  return encoded.replace(FORM_FIXUPS, formFixup);
}
