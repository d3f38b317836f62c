import type { LogLevelSetting } from './logger';
import { DEFAULT_LOGIN_RATE_LIMIT, type LoginRateLimit } from './rate-limit';

/** The credentials of a TikTok app (developers.tiktok.com): the real TikTok is used. */
export interface TikTokAppCredentials {
  clientKey: string;
  clientSecret: string;
  /** Registered redirect URI; its path is the app's callback route. */
  redirectUri: string;
}

/** Everything `npm start` reads from the environment, parsed and checked once. */
export interface ExampleConfig {
  /** `PORT`. Default `3000`. */
  port: number;
  /** `HOST`: interface to listen on. Default: all interfaces. */
  host: string | undefined;
  /** `EMULATOR_PORT` (emulator mode only). Default `3001`, or any free port if 3001 is taken. */
  emulatorPort: number | undefined;
  /** `TIKTOK_CLIENT_KEY`/`_SECRET`/`_REDIRECT_URI`. Default: none → the built-in emulator. */
  tiktok: TikTokAppCredentials | undefined;
  /** `REDIS_URL`: sessions, tokens and state claims in Redis. Default: none → in memory. */
  redisUrl: string | undefined;
  /**
   * `TIKTOK_TOKEN_KEY`: encrypts the tokens kept in Redis (32 bytes, base64 or 64 hex characters).
   * Required with real TikTok credentials; default (emulator): a random key per process.
   */
  tokenKey: string | undefined;
  /**
   * `REDIS_CLUSTER_NODES`: the same in a Redis Cluster, reached through these nodes (`host:port`
   * or `redis://…` URLs, comma-separated; a few suffice, the rest is discovered). Default: none.
   */
  redisClusterNodes: string[] | undefined;
  /** `SESSION_SECRET`. Required in production; default (dev): random per process. */
  sessionSecret: string | undefined;
  /**
   * `SESSION_SECRET_PREVIOUS`: former session secrets (comma-separated) whose cookies are still
   * accepted, so that rotating `SESSION_SECRET` logs nobody out. Default: none.
   */
  previousSessionSecrets: string[];
  /** `NODE_ENV=production`. */
  production: boolean;
  /** `TRUST_PROXY`: Express's `trust proxy` (hop count or addresses; `true` is refused). Default: unset. */
  trustProxy: number | string | undefined;
  /** Secure cookies: production, or behind a trusted (TLS-terminating) proxy. */
  secureCookies: boolean;
  /**
   * `LOGIN_RATE_LIMIT` requests to the login routes per client IP every `LOGIN_RATE_WINDOW_SECONDS`.
   * Default 30 per 60 s; `LOGIN_RATE_LIMIT=0` turns the limit off.
   */
  loginRateLimit: LoginRateLimit | false;
  /** `TIKTOK_OAUTH_ENABLED`. Default `true`; `false` answers the login routes with 503. */
  oauthEnabled: boolean;
  /** `TIKTOK_LOG_LEVEL`. Default `info`. */
  logLevel: LogLevelSetting;
}

type Env = Readonly<Record<string, string | undefined>>;

/** A variable's value, or undefined when unset or blank. */
function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function port(env: Env, name: string): number | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65_535) {
    throw new TypeError(`${name} must be a port number (0-65535), got "${value}"`);
  }
  return n;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const value = read(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  throw new TypeError(`${name} must be true or false, got "${value}"`);
}

const LOG_LEVELS: readonly LogLevelSetting[] = ['debug', 'info', 'warn', 'error', 'silent'];

/** `TIKTOK_LOG_LEVEL`: debug, info (default), warn, error or silent. */
export function parseLogLevel(value: string | undefined): LogLevelSetting {
  const level = value === undefined || value.trim() === '' ? 'info' : value.trim().toLowerCase();
  const known = LOG_LEVELS.find((l) => l === level);
  if (known === undefined) {
    throw new TypeError(`TIKTOK_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${level}"`);
  }
  return known;
}

/** `TRUST_PROXY`: true/false, a hop count, or addresses/subnets for Express. */
function trustProxy(env: Env): number | string | undefined {
  const value = read(env, 'TRUST_PROXY');
  if (value === undefined || value.toLowerCase() === 'false') return undefined;
  // NOTE: `true` trusts every X-Forwarded-For hop, so each client picks its own req.ip and the
  // per-IP login rate limit holds for nobody.
  if (value.toLowerCase() === 'true') {
    throw new TypeError(
      'TRUST_PROXY=true would let every client choose its IP with X-Forwarded-For (defeating the login rate limit): set the number of proxies in front of the app (e.g. 1) or their addresses',
    );
  }
  return /^\d+$/.test(value) ? Number(value) : value;
}

function tiktokApp(env: Env, production: boolean): TikTokAppCredentials | undefined {
  const clientKey = read(env, 'TIKTOK_CLIENT_KEY');
  const clientSecret = read(env, 'TIKTOK_CLIENT_SECRET');
  const redirectUri =
    read(env, 'TIKTOK_REDIRECT_URI') ?? read(env, 'NEXT_PUBLIC_TIKTOK_REDIRECT_URI');
  if (clientKey === undefined) {
    if (clientSecret !== undefined) {
      throw new TypeError(
        'TIKTOK_CLIENT_SECRET is set but TIKTOK_CLIENT_KEY is not: set both (or neither, for the emulator)',
      );
    }
    if (production) {
      throw new TypeError(
        'TIKTOK_CLIENT_KEY is required when NODE_ENV=production (the emulator is for development)',
      );
    }
    return undefined;
  }
  const missing = [
    ...(clientSecret === undefined ? ['TIKTOK_CLIENT_SECRET'] : []),
    ...(redirectUri === undefined ? ['TIKTOK_REDIRECT_URI'] : []),
  ];
  if (clientSecret === undefined || redirectUri === undefined) {
    throw new TypeError(`TIKTOK_CLIENT_KEY is set, so ${missing.join(' and ')} must be set too`);
  }
  if (!URL.canParse(redirectUri)) {
    throw new TypeError(
      'TIKTOK_REDIRECT_URI must be an absolute URL, e.g. https://example.com/auth/tiktok/callback',
    );
  }
  return { clientKey, clientSecret, redirectUri };
}

/**
 * `REDIS_URL`, checked here: node-redis would stop the start with a bare "Invalid protocol" for
 * `localhost:6379`, naming neither the variable nor the fix.
 */
function redisUrl(env: Env): string | undefined {
  const value = read(env, 'REDIS_URL');
  if (value === undefined) return undefined;
  let protocol: string | undefined;
  try {
    protocol = new URL(value).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:') {
    throw new TypeError(
      'REDIS_URL must be a redis:// (or rediss://) URL, e.g. redis://127.0.0.1:6379 or redis://:password@host:6379/0',
    );
  }
  return value;
}

function positiveInteger(env: Env, name: string): number | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value)) {
    throw new TypeError(`${name} must be a whole number, got "${value}"`);
  }
  return Number(value);
}

/** `LOGIN_RATE_LIMIT` (0 = off) and `LOGIN_RATE_WINDOW_SECONDS`. */
function loginRateLimit(env: Env): LoginRateLimit | false {
  const limit = positiveInteger(env, 'LOGIN_RATE_LIMIT') ?? DEFAULT_LOGIN_RATE_LIMIT.limit;
  const seconds = positiveInteger(env, 'LOGIN_RATE_WINDOW_SECONDS');
  if (seconds === 0) throw new TypeError('LOGIN_RATE_WINDOW_SECONDS must be at least 1');
  if (limit === 0) return false;
  return {
    limit,
    windowMs: seconds === undefined ? DEFAULT_LOGIN_RATE_LIMIT.windowMs : seconds * 1000,
  };
}

/** `TIKTOK_TOKEN_KEY`: 32 bytes as 64 hex characters or base64 (`openssl rand -base64 32`). */
function tokenKey(env: Env, tiktok: TikTokAppCredentials | undefined): string | undefined {
  const value = read(env, 'TIKTOK_TOKEN_KEY');
  if (value === undefined) {
    if (tiktok !== undefined) {
      throw new TypeError(
        'TIKTOK_TOKEN_KEY is required with real TikTok credentials: it encrypts the TikTok tokens at rest. Make one with `openssl rand -base64 32`',
      );
    }
    return undefined;
  }
  const hex = /^[0-9a-fA-F]{64}$/.test(value);
  const base64 =
    /^[A-Za-z0-9+/_-]{43}=?$/.test(value) && Buffer.from(value, 'base64').length === 32;
  if (!hex && !base64) {
    throw new TypeError(
      'TIKTOK_TOKEN_KEY must be 32 random bytes as base64 or 64 hex characters: make one with `openssl rand -base64 32`',
    );
  }
  return value;
}

/** `REDIS_CLUSTER_NODES`: `host:port` or `redis(s)://…` entries, as URLs. */
function clusterNodes(env: Env): string[] | undefined {
  const value = read(env, 'REDIS_CLUSTER_NODES');
  if (value === undefined) return undefined;
  return value.split(',').map((entry) => {
    const node = entry.trim();
    const url = node.includes('://') ? node : `redis://${node}`;
    const parsed = URL.canParse(url) ? new URL(url) : undefined;
    const port = Number(parsed?.port);
    if (
      parsed === undefined ||
      (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') ||
      parsed.hostname === '' ||
      !Number.isInteger(port) ||
      port < 1 ||
      port > 65_535
    ) {
      throw new TypeError(
        `REDIS_CLUSTER_NODES must list host:port (or redis://host:port) entries separated by commas, e.g. 10.0.0.1:6379,10.0.0.2:6379; "${parsed === undefined ? url.replace(/\/\/.*@/, '//***@') : redisEntry(parsed)}" is not one`,
      );
    }
    return url;
  });
}

/**
 * `SESSION_SECRET_PREVIOUS`: the secrets a rotation replaced, comma-separated. Cookies signed
 * with them are still read (express-session's `secret` array); new ones are signed with
 * `SESSION_SECRET`. Drop an old one once the sessions it signed have expired (7 days).
 */
function previousSecrets(env: Env, current: string | undefined): string[] {
  const value = read(env, 'SESSION_SECRET_PREVIOUS');
  if (value === undefined) return [];
  if (current === undefined) {
    throw new TypeError(
      'SESSION_SECRET_PREVIOUS is set but SESSION_SECRET is not: set SESSION_SECRET to the new secret',
    );
  }
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '' && s !== current);
}

/**
 * The shortest `SESSION_SECRET` production accepts. NOTE: a session cookie carries an HMAC of its
 * id under the secret, so a short secret can be brute-forced offline from one cookie. Former
 * secrets (`SESSION_SECRET_PREVIOUS`) are not checked: rotating away from a weak one must work.
 */
const MIN_SECRET_LENGTH = 32;

/** An entry for an error message, without its password. */
function redisEntry(url: URL): string {
  if (url.password !== '') url.password = '***';
  return url.toString();
}

/**
 * Reads the example's configuration. Every problem is a TypeError naming the variable, thrown
 * before anything starts (a missing `SESSION_SECRET` in production, say).
 */
export function readConfig(env: Env = process.env): ExampleConfig {
  const production = read(env, 'NODE_ENV') === 'production';
  const sessionSecret = read(env, 'SESSION_SECRET');
  if (production && sessionSecret === undefined) {
    throw new TypeError(
      'SESSION_SECRET is required when NODE_ENV=production: set it to a long random string (openssl rand -hex 32)',
    );
  }
  if (production && sessionSecret !== undefined && sessionSecret.length < MIN_SECRET_LENGTH) {
    throw new TypeError(
      `SESSION_SECRET must be at least ${MIN_SECRET_LENGTH} characters when NODE_ENV=production: a short one can be guessed offline from any session cookie (openssl rand -hex 32 gives 64)`,
    );
  }
  const previousSessionSecrets = previousSecrets(env, sessionSecret);
  const proxy = trustProxy(env);
  const tiktok = tiktokApp(env, production);
  const redisClusterNodes = clusterNodes(env);
  if (redisClusterNodes !== undefined && read(env, 'REDIS_URL') !== undefined) {
    throw new TypeError(
      'REDIS_URL and REDIS_CLUSTER_NODES are both set: set REDIS_URL for a single Redis, REDIS_CLUSTER_NODES for a Redis Cluster',
    );
  }
  return {
    port: port(env, 'PORT') ?? 3000,
    host: read(env, 'HOST'),
    emulatorPort: port(env, 'EMULATOR_PORT'),
    tiktok,
    redisUrl: redisUrl(env),
    tokenKey: tokenKey(env, tiktok),
    redisClusterNodes,
    sessionSecret,
    previousSessionSecrets,
    production,
    trustProxy: proxy,
    secureCookies: production || proxy !== undefined,
    loginRateLimit: loginRateLimit(env),
    oauthEnabled: flag(env, 'TIKTOK_OAUTH_ENABLED', true),
    logLevel: parseLogLevel(read(env, 'TIKTOK_LOG_LEVEL')),
  };
}
