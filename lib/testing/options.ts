import { resolveRateLimits, type EmulatorRateLimit, type ResolvedRateLimits } from './rate-limiter';
import type { EmulatorEndpoint, EmulatorUserInput } from './types';
import {
  resolveWebhookRetry,
  type EmulatorWebhookRetry,
  type ResolvedWebhookRetry,
} from './webhook-delivery';

/** Options of `startTikTokEmulator()`. Every field is optional. */
export interface TikTokEmulatorOptions {
  /** Port to listen on. Default `0` (an ephemeral port; read it from `tt.port`). */
  port?: number | undefined;
  /** Interface to listen on. Default `'127.0.0.1'`. */
  host?: string | undefined;
  /** The app's client key. Default `'emulator-client-key'`. */
  clientKey?: string | undefined;
  /** The app's client secret. Default `'emulator-client-secret'`. */
  clientSecret?: string | undefined;
  /** The app name the consent page shows (TikTok shows the registered app's name). Default `'Emulated TikTok app'`. */
  appName?: string | undefined;
  /**
   * Registered redirect URIs, matched byte for byte as TikTok does. Default `[]`: none, and
   * authorize stops on an error page that says how to register one (here, or later with
   * `tt.registerRedirectUri(uri)`). TikTok's rules for what a URI may look like apply, and a URI
   * that breaks one is a TypeError naming it: static (no query), no fragment, under 512
   * characters. A wildcard port on localhost or 127.0.0.1 (`http://127.0.0.1:*` then the path)
   * matches that URI on any port, as TikTok's registration for desktop apps does. Two of
   * TikTok's rules are not applied, as its developer portal enforces them when you register:
   * http is accepted (TikTok: https only), and any number of URIs.
   * `'any'` accepts every absolute http(s) URI without fragment at authorize, queries included
   * (TikTok never does). Whatever the setting, the `redirect_uri` of a code exchange must equal
   * the one the code was issued for.
   */
  redirectUris?: string[] | 'any' | undefined;
  /** Users who can log in. Default: one user, `emulator-open-id-1` ("Emulator User"). */
  users?: EmulatorUserInput[] | undefined;
  /**
   * `false`: GET authorize shows an HTML consent page (Approve / Deny). `true`: it redirects back
   * at once with a code for the first user (or per `setConsent`). Default `false`.
   */
  autoApprove?: boolean | undefined;
  /** Stop on an error page when `code_challenge` is missing (observed for web apps). Default `true`. */
  requirePkce?: boolean | undefined;
  /** Lifetime of an authorization code in ms. Default `300_000`. */
  codeTtlMs?: number | undefined;
  /**
   * `expires_in` of access tokens, seconds: a positive integer, as TikTok sends. Default `86_400`.
   * To test an expired token, use `tt.expireAccessToken()` or move the `clock`.
   */
  accessTokenTtlSec?: number | undefined;
  /** `refresh_expires_in` of refresh tokens, seconds (a positive integer). Default `31_536_000`. */
  refreshTokenTtlSec?: number | undefined;
  /** `expires_in` of `clt.` client tokens, seconds (a positive integer). Default `7_200`. */
  clientTokenTtlSec?: number | undefined;
  /**
   * Sliding-window limits per endpoint; `false` removes one. Default: TikTok's documented
   * `{ userinfo: { limit: 600, windowMs: 60_000 } }` and none on `authorize`, `token` and
   * `revoke`. A 429 carries `Retry-After` only when the limit sets `retryAfter`.
   */
  rateLimits?: Partial<Record<EmulatorEndpoint, EmulatorRateLimit | false | undefined>> | undefined;
  /**
   * One limit for every endpoint, the OAuth ones included; replaces the defaults, and
   * `rateLimits` entries win over it. Default `undefined`.
   */
  rateLimit?: EmulatorRateLimit | undefined;
  /**
   * HTTP status of token/revoke OAuth errors. Default `200` (observed: TikTok sends errors with
   * HTTP 200); `'documented'` uses the statuses of the OAuth 2.0 specification (RFC 6749 §5.2:
   * 401 for `invalid_client` and `unauthorized_client`, 400 for the others; 500, 503 and 429 for
   * `server_error`, `temporarily_unavailable` and `rate_limit_exceeded`). NOTE: named for that
   * specification: TikTok's error pages list the error values, not their HTTP statuses.
   */
  oauthErrorStatus?: 200 | 'documented' | undefined;
  /** Serve HTTPS with this key and certificate. Default: plain HTTP. */
  tls?: { key: string | Buffer; cert: string | Buffer } | undefined;
  /**
   * Keep at most this many recorded requests, dropping the oldest (for long benchmarks).
   * Default `Infinity`: every request is kept until `reset()`.
   */
  maxRecordedRequests?: number | undefined;
  /** Clock for expiry, rate limiting and `at` (epoch ms). Default `Date.now` (fake clocks welcome). */
  clock?: (() => number) | undefined;
  /** Random source in [0, 1) for `probability` faults. Default `Math.random`. */
  random?: (() => number) | undefined;
  /**
   * The app's webhook callback URL: `authorization.removed` and other events are POSTed here,
   * signed like TikTok's. Settable later with `tt.setWebhookUrl()`. Default: none (no deliveries).
   */
  webhookUrl?: string | undefined;
  /** Retry timings of webhook deliveries. Default: 5 attempts, 1 s doubling, at most 60 s apart. */
  webhookRetry?: EmulatorWebhookRetry | undefined;
}

/** Options after defaults and validation. */
export interface ResolvedOptions {
  readonly port: number;
  readonly host: string;
  readonly clientKey: string;
  readonly clientSecret: string;
  readonly appName: string;
  readonly redirectUris: readonly string[] | 'any';
  readonly users: readonly EmulatorUserInput[];
  readonly autoApprove: boolean;
  readonly requirePkce: boolean;
  readonly codeTtlMs: number;
  readonly accessTokenTtlSec: number;
  readonly refreshTokenTtlSec: number;
  readonly clientTokenTtlSec: number;
  readonly rateLimits: ResolvedRateLimits;
  readonly oauthErrorStatus: 200 | 'documented';
  readonly tls: { key: string | Buffer; cert: string | Buffer } | undefined;
  readonly maxRecordedRequests: number;
  readonly clock: () => number;
  readonly random: () => number;
  readonly webhookUrl: string | undefined;
  readonly webhookRetry: ResolvedWebhookRetry;
}

function invalid(option: string, expected: string): TypeError {
  return new TypeError(`startTikTokEmulator: option \`${option}\` must be ${expected}`);
}

function nonNegative(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalid(option, 'a non-negative finite number');
  }
  return value;
}

/**
 * The longest token lifetime, in seconds: 20 years. NOTE: the package's client refuses an
 * `expires_in` above it (lib/client/parse.ts); the constant is not imported, as the testing entry
 * loads nothing of lib/ outside lib/testing/.
 */
export const MAX_TOKEN_TTL_SEC = 20 * 365 * 24 * 3600;

/**
 * Why `value` is no token lifetime TikTok could send, or undefined when it is one. NOTE: TikTok's
 * `expires_in` and `refresh_expires_in` are positive whole seconds. The package's client refuses
 * an `expires_in` under one second (a lifetime of 0 would break every login, not expire a token)
 * and drops a fraction, so the emulator sends whole seconds only. Expiry is tested with
 * `expireAccessToken()` / `expireRefreshToken()` or the `clock`.
 */
export function tokenTtlRefusal(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1) {
    return value <= MAX_TOKEN_TTL_SEC
      ? undefined
      : `at most ${MAX_TOKEN_TTL_SEC} seconds (20 years: the client refuses a longer lifetime) (got ${value})`;
  }
  return (
    `a positive integer number of seconds (got ${describeValue(value)}): TikTok sends whole ` +
    'seconds, and the client refuses a lifetime under one second. To test an expired token, call ' +
    '`tt.expireAccessToken(token)` / `tt.expireRefreshToken(token)`, or move the `clock` option'
  );
}

/** `value` as an error message shows it. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

function tokenTtl(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const refusal = tokenTtlRefusal(value);
  if (refusal !== undefined) throw invalid(option, refusal);
  return value;
}

function booleanOption(option: string, value: boolean | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw invalid(option, `true or false (got ${describeValue(value)})`);
  return value;
}

function functionOption(
  option: string,
  value: (() => number) | undefined,
  fallback: () => number,
  expected: string,
): () => number {
  if (value === undefined) return fallback;
  if (typeof value !== 'function') {
    throw invalid(option, `a function that returns ${expected} (got ${describeValue(value)})`);
  }
  return value;
}

/** True for an object that is neither null nor an array. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function resolveUsers(value: EmulatorUserInput[] | undefined): readonly EmulatorUserInput[] {
  if (value === undefined) return [{}];
  if (!Array.isArray(value))
    throw invalid('users', `an array of users (got ${describeValue(value)})`);
  for (const [index, user] of value.entries()) {
    if (!isRecord(user)) {
      throw invalid(
        `users[${index}]`,
        `an object (an EmulatorUserInput, \`{}\` for every default) (got ${describeValue(user)})`,
      );
    }
  }
  return value;
}

function nonEmptyString(option: string, value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value === '') throw invalid(option, 'a non-empty string');
  return value;
}

/** `value` parsed, when it is an absolute http(s) URL. */
function parseHttpUrl(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** True for an absolute http(s) URI without a fragment: what TikTok accepts as redirect_uri. */
export function isAcceptableRedirectUri(value: string): boolean {
  return !value.includes('#') && parseHttpUrl(value) !== undefined;
}

/** TikTok's rules for the redirect URIs of a web app. */
export const REDIRECT_URI_RULES_PAGE = 'https://developers.tiktok.com/doc/login-kit-web';

/** TikTok's rules for the redirect URIs of a desktop app, the wildcard port among them. */
export const DESKTOP_REDIRECT_URI_RULES_PAGE =
  'https://developers.tiktok.com/doc/login-kit-desktop';

/**
 * A registered redirect URI with a wildcard port: `http(s)://localhost:*` or
 * `http(s)://127.0.0.1:*`, then a static path. Groups: what comes before the port, and the path.
 * NOTE: TikTok registers a wildcard port (`http://127.0.0.1:*` then the path) for those two
 * hosts only, for apps listening on a random local port
 * (https://developers.tiktok.com/doc/login-kit-desktop).
 */
export const WILDCARD_PORT_URI = /^(https?:\/\/(?:localhost|127\.0\.0\.1):)\*(\/[^?#]*)?$/;

/** A registered redirect URI must be shorter than this. */
const REDIRECT_URI_LENGTH_LIMIT = 512;

/** Whether `uri` is written with a wildcard port (`scheme://host:*`), whatever the host. */
function hasWildcardPort(uri: unknown): uri is string {
  return typeof uri === 'string' && /^https?:\/\/[^/?#]*:\*/.test(uri);
}

/** The TikTok page whose rules {@link redirectUriRefusal} applies to `uri`. */
export function redirectUriRulesPage(uri: unknown): string {
  return hasWildcardPort(uri) ? DESKTOP_REDIRECT_URI_RULES_PAGE : REDIRECT_URI_RULES_PAGE;
}

/** `uri` as a message shows it: quoted, and cut when long. */
function quoteUri(uri: unknown): string {
  if (typeof uri !== 'string') return typeof uri;
  return JSON.stringify(uri.length > 100 ? `${uri.slice(0, 100)}…` : uri);
}

/**
 * Why TikTok would refuse to register `uri` as a web app's redirect URI, as a sentence that
 * starts with the quoted URI; `undefined` when it can be registered. NOTE: TikTok's rules
 * (https://developers.tiktok.com/doc/login-kit-web): absolute https, static ("Parameters will be
 * denied": no query), no fragment, under 512 characters, at most 10 per app. The emulator applies
 * the rules on the URI's shape, which an app's code builds and a test should catch. It takes http
 * (apps on a laptop or a LAN address, without TLS) and any number of URIs (a suite that starts
 * apps on ephemeral ports registers one per app): TikTok's portal refuses those at registration,
 * where nobody misses it.
 */
export function redirectUriRefusal(uri: unknown): string | undefined {
  const quoted = quoteUri(uri);
  if (hasWildcardPort(uri)) {
    if (!WILDCARD_PORT_URI.test(uri)) {
      return `${quoted} has a wildcard port (:*) on a host other than localhost or 127.0.0.1, or a query or fragment after it: TikTok takes a wildcard port only for those two hosts, with a static path`;
    }
    // No query or fragment (the pattern has none): the length is the rule left.
    return uri.length >= REDIRECT_URI_LENGTH_LIMIT
      ? `${quoted} is ${uri.length} characters long: TikTok's limit is under ${REDIRECT_URI_LENGTH_LIMIT}`
      : undefined;
  }
  const url = typeof uri === 'string' ? parseHttpUrl(uri) : undefined;
  if (typeof uri !== 'string' || url === undefined)
    return `${quoted} is not an absolute http(s) URI`;
  if (uri.includes('#')) return `${quoted} has a fragment: TikTok's redirect URIs have none`;
  if (uri.includes('?')) {
    return `${quoted} has a query: TikTok registers static redirect URIs only, parameters are refused`;
  }
  if (uri.length >= REDIRECT_URI_LENGTH_LIMIT) {
    return `${quoted} is ${uri.length} characters long: TikTok's limit is under ${REDIRECT_URI_LENGTH_LIMIT}`;
  }
  return undefined;
}

function resolveRedirectUris(value: string[] | 'any' | undefined): readonly string[] | 'any' {
  if (value === undefined) return [];
  if (value === 'any') return 'any';
  if (!Array.isArray(value)) {
    throw invalid('redirectUris', "an array of redirect URIs TikTok would register, or 'any'");
  }
  for (const uri of value) {
    const refusal = redirectUriRefusal(uri);
    if (refusal !== undefined) {
      throw new TypeError(
        `startTikTokEmulator: option \`redirectUris\`: ${refusal} (${redirectUriRulesPage(uri)})`,
      );
    }
  }
  return [...new Set(value)];
}

/** An absolute http(s) URL, or undefined; anything else is a TypeError. */
export function resolveWebhookUrl(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !isAcceptableRedirectUri(value)) {
    throw invalid('webhookUrl', 'an absolute http(s) URL');
  }
  return value;
}

/** Applies the documented defaults; throws a TypeError naming the first bad option. */
export function resolveOptions(input: TikTokEmulatorOptions | undefined): ResolvedOptions {
  // NOTE: JavaScript callers can pass anything: null or a string is no "options omitted".
  const raw: unknown = input;
  if (raw !== undefined && !isRecord(raw)) {
    throw new TypeError(
      `startTikTokEmulator: options must be an object (TikTokEmulatorOptions) or omitted (got ${describeValue(raw)})`,
    );
  }
  const options = input ?? {};
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw invalid('port', 'an integer between 0 and 65535');
  }
  const maxRecorded = options.maxRecordedRequests ?? Infinity;
  if (!(maxRecorded === Infinity || (Number.isInteger(maxRecorded) && maxRecorded >= 0))) {
    throw invalid('maxRecordedRequests', 'a non-negative integer or Infinity');
  }
  const oauthErrorStatus = options.oauthErrorStatus ?? 200;
  if (oauthErrorStatus !== 200 && oauthErrorStatus !== 'documented') {
    throw invalid('oauthErrorStatus', "200 or 'documented'");
  }
  return {
    port,
    host: nonEmptyString('host', options.host, '127.0.0.1'),
    clientKey: nonEmptyString('clientKey', options.clientKey, 'emulator-client-key'),
    clientSecret: nonEmptyString('clientSecret', options.clientSecret, 'emulator-client-secret'),
    appName: nonEmptyString('appName', options.appName, 'Emulated TikTok app'),
    redirectUris: resolveRedirectUris(options.redirectUris),
    users: resolveUsers(options.users),
    autoApprove: booleanOption('autoApprove', options.autoApprove, false),
    requirePkce: booleanOption('requirePkce', options.requirePkce, true),
    codeTtlMs: nonNegative('codeTtlMs', options.codeTtlMs, 300_000),
    accessTokenTtlSec: tokenTtl('accessTokenTtlSec', options.accessTokenTtlSec, 86_400),
    refreshTokenTtlSec: tokenTtl('refreshTokenTtlSec', options.refreshTokenTtlSec, 31_536_000),
    clientTokenTtlSec: tokenTtl('clientTokenTtlSec', options.clientTokenTtlSec, 7_200),
    rateLimits: resolveRateLimits(options.rateLimit, options.rateLimits),
    oauthErrorStatus,
    tls: options.tls,
    maxRecordedRequests: maxRecorded,
    clock: functionOption('clock', options.clock, () => Date.now(), 'epoch ms, like Date.now'),
    random: functionOption(
      'random',
      options.random,
      () => Math.random(),
      'a number in [0, 1), like Math.random',
    ),
    webhookUrl: resolveWebhookUrl(options.webhookUrl),
    webhookRetry: resolveWebhookRetry(options.webhookRetry),
  };
}
