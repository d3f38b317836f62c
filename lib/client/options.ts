import { describeValue } from '../describe-value';
import type { TikTokLogger } from '../logging';
import { checkStaticCredential, type CredentialOption, type TikTokCredential } from './credentials';
import type { CircuitBreakerOptions } from './circuit-breaker';
import type { RetryBudgetOptions } from './retry-budget';
import type { TikTokMetrics } from '../metrics';
import { tooLongForTimer } from '../time-limit';

/** Options of {@link TikTokClient}. Explicit options win over environment variables. */
export interface TikTokClientOptions {
  /**
   * TikTok's client key (the OAuth client id), or a function returning it (or a promise of it),
   * called like `clientSecret`'s. Default: `TIKTOK_CLIENT_KEY`.
   */
  clientKey?: TikTokCredential | undefined;
  /**
   * The app's client secret; only ever sent in token/revoke form bodies. A function (e.g. reading
   * a secret manager) is called at most once per `credentialsTtlMs`, one call at a time, and again
   * on the next operation after TikTok answers `invalid_client`, so a rotated secret is picked up
   * without a restart. Values must be visible ASCII without quotes or whitespace.
   * Default: `TIKTOK_CLIENT_SECRET`.
   */
  clientSecret?: TikTokCredential | undefined;
  /** How long a value returned by a `clientKey` / `clientSecret` function is used. Default: 300 000 ms (5 min). */
  credentialsTtlMs?: number | undefined;
  /**
   * PKCE (hex S256, TikTok's flavour): `getAuthorizationUrl()` returns a `codeVerifier` and
   * `exchangeCodeForTokens()` requires it back. `false`: no challenge, no verifier. Default: `true`.
   */
  pkce?: boolean | undefined;
  /**
   * The registered redirect URI, byte-identical at authorize and token exchange. Absolute http(s),
   * without a fragment; with TikTok's own authorization page, one TikTok will not register (http
   * off localhost, a query string, 512 characters or more) is logged at `warn` at construction.
   * Default: `TIKTOK_REDIRECT_URI`, then `NEXT_PUBLIC_TIKTOK_REDIRECT_URI`.
   */
  redirectUri?: string | undefined;
  /** Scopes requested by default. Default: `['user.info.basic']`. */
  scopes?: string[] | undefined;
  /** Default: `https://www.tiktok.com/v2/auth/authorize/`. */
  authorizationURL?: string | undefined;
  /** Default: `https://open.tiktokapis.com/v2/oauth/token/`. */
  tokenURL?: string | undefined;
  /** Default: `https://open.tiktokapis.com/v2/oauth/revoke/`. */
  revokeURL?: string | undefined;
  /** Default: `https://open.tiktokapis.com/v2/user/info/`. */
  userInfoURL?: string | undefined;
  /**
   * Budget of one attempt, response headers and body included. An integer from 1 to
   * 2147483647 (a Node.js timer's limit). Default: 10 000 ms.
   */
  timeoutMs?: number | undefined;
  /** Attempts per operation, the first included. Default: 3. */
  maxAttempts?: number | undefined;
  /**
   * First backoff; doubles each retry, plus up to 20 % jitter. An integer from 1 to 2147483647
   * (a Node.js timer's limit). Default: 100 ms.
   */
  retryBaseDelayMs?: number | undefined;
  /**
   * Overall budget of one operation, retries and waits included. Default: 12 000 ms for
   * `exchangeCodeForTokens()` and `getUserInfo()`, `timeoutMs × maxAttempts + 1 s` for the
   * others. A `TikTokStrategy` login does not use it: its two calls share `loginDeadlineMs`.
   */
  deadlineMs?: number | undefined;
  /** Structured logger. Default: winston JSON lines, level `TIKTOK_LOG_LEVEL` (info). */
  logger?: TikTokLogger | undefined;
  /** Instruments from `createTikTokMetrics()`. Default: none. */
  metrics?: TikTokMetrics | undefined;
  /**
   * Transport to use instead of the built-in one (proxies, custom CAs, instrumentation, tests):
   * any `fetch`-compatible function. Default: node:http(s) with one shared keep-alive agent per
   * process (TLS verification on; `NODE_EXTRA_CA_CERTS` is honoured).
   */
  fetch?: typeof fetch | undefined;
  /**
   * Per-endpoint circuit breaker: after a burst of transient failures (≥ 50 % of ≥ 20 attempts
   * in 10 s) calls fail fast with CIRCUIT_OPEN for 5 s (doubling up to 60 s), then one probe
   * at a time tests TikTok. OAuth 4xx answers never trip it. `false` turns it off.
   * Default: `{ failureRatio: 0.5, minimumRequests: 20, windowMs: 10000, openMs: 5000, maxOpenMs: 60000 }`.
   */
  circuitBreaker?: CircuitBreakerOptions | false | undefined;
  /**
   * Client-wide retry budget: retries spend tokens, successes earn them back, so retries stop
   * early in an outage. `false` turns it off.
   * Default: `{ capacity: 100, retryCost: 5, timeoutRetryCost: 10, successRefund: 1 }`.
   */
  retryBudget?: RetryBudgetOptions | false | undefined;
}

export interface ResolvedClientConfig {
  readonly redirectUri: string;
  readonly scopes: readonly string[];
  readonly authorizationURL: string;
  readonly tokenURL: string;
  readonly revokeURL: string;
  readonly userInfoURL: string;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly retryBaseDelayMs: number;
  readonly deadlineMs: number | undefined;
  readonly pkce: boolean;
  readonly credentialsTtlMs: number;
}

/** A required setting: its option's value and the environment variables it falls back to. */
export interface RequiredSetting {
  readonly value: unknown;
  readonly option: string;
  readonly envVars: readonly string[];
}

/** `a <option> option (or the <VAR> / <VAR> environment variable)`. */
function settingName(option: string, envVars: readonly string[]): string {
  return `a ${option} option (or the ${envVars.join(' / ')} environment variable)`;
}

/**
 * A TypeError naming every one of `settings` that is neither given (a non-empty string, or
 * anything else, which its own check then judges) nor in its environment variables.
 * NOTE: all of them at once: a first run without a `.env` would otherwise fail once per setting.
 */
export function requireSettings(settings: readonly RequiredSetting[], owner: string): void {
  const missing = settings.filter(
    ({ value, envVars }) =>
      (value === undefined || value === '') &&
      !envVars.some((name) => process.env[name] !== undefined && process.env[name] !== ''),
  );
  if (missing.length === 0) return;
  const names = missing.map(({ option, envVars }) => settingName(option, envVars));
  const last = names.pop();
  throw new TypeError(
    names.length === 0
      ? `${owner} requires ${last ?? ''}`
      : `${owner} requires ${missing.length} settings: ${names.join(', ')} and ${last ?? ''}`,
  );
}

/**
 * Reads an option, falling back to env vars; a missing value is a TypeError naming both. A value
 * with whitespace or surrounding quotes is a TypeError naming where it came from (the value
 * itself is never in the message: it may be the client secret).
 */
export function requireSetting(
  value: string | undefined,
  option: string,
  envVars: readonly string[],
  owner = 'TikTokClient',
): string {
  const explicit = value !== undefined && value !== '';
  const envVar = envVars.find(
    (name) => process.env[name] !== undefined && process.env[name] !== '',
  );
  const resolved = explicit ? value : envVar === undefined ? undefined : process.env[envVar];
  if (resolved === undefined) {
    throw new TypeError(`${owner} requires ${settingName(option, envVars)}`);
  }
  // NOTE: `KEY="abc"` copied into an environment without a dotenv parser, or a trailing newline
  // from `$(cat file)`, keeps the quotes or whitespace; TikTok then answers `invalid_client`.
  if (/\s/.test(resolved) || /^["'`]|["'`]$/.test(resolved)) {
    const source =
      explicit || envVar === undefined
        ? `${owner} option ${option}`
        : `the ${envVar} environment variable (${owner} option ${option})`;
    throw new TypeError(
      `${source} contains whitespace or surrounding quotes: remove them (a .env value must not be quoted twice or end with a space or newline)`,
    );
  }
  return resolved;
}

/**
 * A credential option: a function as given (checked when called), else the string or env var,
 * checked now. Anything else is a TypeError naming the option, never showing the value.
 */
export function credentialSetting(
  value: TikTokCredential | undefined,
  option: CredentialOption,
  envVars: readonly string[],
  owner = 'TikTokClient',
): string | (() => string | Promise<string>) {
  if (typeof value === 'function') return value;
  // Checked at runtime too: JavaScript callers and config loaders pass anything.
  if (value !== undefined && typeof value !== 'string') {
    throw new TypeError(
      `${owner} option ${option} must be a string or a function returning one (or a promise of one)`,
    );
  }
  return checkStaticCredential(requireSetting(value, option, envVars, owner), option, owner);
}

export function positiveInt(
  value: number | undefined,
  option: string,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new TypeError(
      `TikTokClient option ${option} must be a positive integer, got ${describeValue(value)}`,
    );
  }
  if (value > max) throw new TypeError(tooLongForTimer(`TikTokClient option ${option}`, value));
  return value;
}

/** TikTok's own hosts, whose endpoint paths all end with a slash. */
const TIKTOK_HOSTS = new Set(['open.tiktokapis.com', 'www.tiktok.com']);

/**
 * A TikTok endpoint option: an absolute http(s) URL and, on TikTok's own hosts, a path ending
 * with a slash. NOTE: without the slash TikTok answers `404 Unsupported path(Janus)` at the
 * first login; refusing it here makes the mistake a start-up error instead.
 */
export function endpointUrl(value: string, option: string, owner: string): string {
  const url = httpUrl(value, option, owner);
  if (TIKTOK_HOSTS.has(url.hostname) && !url.pathname.endsWith('/')) {
    throw new TypeError(
      `${owner} option ${option} must end with a slash on ${url.hostname}: TikTok answers 404 "Unsupported path" without it (e.g. ${url.origin}${url.pathname}/)`,
    );
  }
  return value;
}

/** An option that must be an absolute http(s) URL: the value as given, once checked. */
export function absoluteUrl(
  value: string,
  option: string,
  owner = 'TikTokClient',
  envVars: readonly string[] = [],
): string {
  httpUrl(value, option, owner, envVars);
  // NOTE: RFC 6749 (section 3.1.2) forbids a fragment in a redirect URI, TikTok refuses one, and a
  // browser never sends it back: no emulator or proxy makes such a callbackURL work.
  if (value.includes('#')) {
    throw new TypeError(
      `${optionName(option, owner, envVars)} must not have a fragment (#…): remove it; TikTok refuses redirect URIs with one`,
    );
  }
  return value;
}

/**
 * Why TikTok's authorization page will refuse `redirectUri`, or undefined. Checked only against
 * TikTok's own authorization endpoint: the emulator takes any http(s) URL.
 * NOTE: TikTok registers web redirect URIs only as https, and desktop ones as http(s) on
 * `localhost` or `127.0.0.1` with a port; neither may have parameters, and each is under 512
 * characters (https://developers.tiktok.com/doc/login-kit-web,
 * https://developers.tiktok.com/doc/login-kit-desktop).
 */
export function tiktokRedirectUriProblem(redirectUri: string): string | undefined {
  const url = new URL(redirectUri);
  if (url.search !== '' || redirectUri.includes('?')) {
    return 'it has a query string, and TikTok refuses redirect URIs with parameters: carry per-login values in the session (the returnTo option) instead';
  }
  if (redirectUri.length >= 512) {
    return `it is ${redirectUri.length} characters long, and TikTok takes redirect URIs under 512`;
  }
  if (url.protocol !== 'http:') return undefined;
  if (url.hostname !== 'localhost' && url.hostname !== '127.0.0.1') {
    return 'it is http, and TikTok takes https redirect URIs only (http only for a Desktop app on localhost or 127.0.0.1): serve the callback over https, or develop against the emulator (passport-tiktok/testing)';
  }
  if (url.port === '') {
    return 'TikTok takes an http localhost redirect URI only for a Desktop app, and only with a port number: add the port, or develop against the emulator (passport-tiktok/testing)';
  }
  return undefined;
}

/** `TikTokClient option redirectUri (or TIKTOK_REDIRECT_URI / …)`, for messages. */
function optionName(option: string, owner: string, envVars: readonly string[]): string {
  return envVars.length > 0
    ? `${owner} option ${option} (or ${envVars.join(' / ')})`
    : `${owner} option ${option}`;
}

/** An option's absolute http(s) URL, parsed; a TypeError naming the option otherwise. */
function httpUrl(
  value: string,
  option: string,
  owner: string,
  envVars: readonly string[] = [],
): URL {
  const name = optionName(option, owner, envVars);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new TypeError(
      `${name} must be an absolute URL such as https://example.com/auth/tiktok/callback, got a relative one`,
    );
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new TypeError(`${name} must be an http(s) URL`);
  }
  return parsed;
}

/**
 * Refuses an option named as in `misspelled` (a misspelling, and the names meant, the first the
 * one to suggest) when none of the names meant is set. NOTE: unknown keys are not refused in
 * general (the strategy passes passport-oauth2's own options through, and one options object may
 * serve a strategy and a client), but these come from passport-oauth2 habits and other TikTok
 * guides, and alone the misspelled option would be ignored in favour of the environment
 * variables, or reported as missing.
 */
export function checkOptionNames(
  options: object,
  owner: string,
  misspelled: Readonly<Record<string, readonly string[]>>,
): void {
  for (const key of Object.keys(options)) {
    const names = Object.hasOwn(misspelled, key) ? misspelled[key] : undefined;
    if (names === undefined || names.some((name) => Reflect.get(options, name) !== undefined)) {
      continue;
    }
    const meant = names[0];
    if (meant !== undefined) {
      throw new TypeError(
        `${owner} has no option ${key}: did you mean ${meant}?${meant === 'clientKey' ? " (TikTok calls the app's ID its client key)" : ''}`,
      );
    }
  }
}
