import type { EmulatorEndpoint } from './types';

/** A sliding-window limit of one endpoint (the `rateLimits` option). */
export interface EmulatorRateLimit {
  /** Requests allowed in any window of `windowMs`. A positive integer. */
  limit: number;
  /** Length of the sliding window in ms. A positive number. */
  windowMs: number;
  /**
   * `Retry-After` of the 429, in whole seconds, or `'window'`: the seconds until the oldest
   * counted request leaves the window. Default: no `Retry-After` (TikTok documents none).
   */
  retryAfter?: number | 'window' | undefined;
}

/** The limit of each endpoint that has one. */
export type ResolvedRateLimits = Readonly<Partial<Record<EmulatorEndpoint, EmulatorRateLimit>>>;

/**
 * NOTE: TikTok documents 600 requests per minute in a sliding window for user info and the video
 * endpoints, and no limit for the OAuth endpoints
 * (https://developers.tiktok.com/doc/tiktok-api-v2-rate-limit).
 */
export const DEFAULT_RATE_LIMITS: ResolvedRateLimits = {
  userinfo: { limit: 600, windowMs: 60_000 },
};

const ENDPOINTS: readonly EmulatorEndpoint[] = ['authorize', 'token', 'revoke', 'userinfo'];

function invalid(option: string, expected: string): TypeError {
  return new TypeError(`startTikTokEmulator: option \`${option}\` must be ${expected}`);
}

function checkLimit(option: string, value: unknown): EmulatorRateLimit {
  const expected = '{ limit: positive integer, windowMs: positive number, retryAfter?: seconds }';
  if (typeof value !== 'object' || value === null) throw invalid(option, expected);
  const limit: unknown = Reflect.get(value, 'limit');
  const windowMs: unknown = Reflect.get(value, 'windowMs');
  const retryAfter: unknown = Reflect.get(value, 'retryAfter');
  if (
    typeof limit !== 'number' ||
    !Number.isInteger(limit) ||
    limit < 1 ||
    typeof windowMs !== 'number' ||
    !(Number.isFinite(windowMs) && windowMs > 0)
  ) {
    throw invalid(option, expected);
  }
  if (retryAfter === undefined) return { limit, windowMs };
  if (
    retryAfter !== 'window' &&
    !(typeof retryAfter === 'number' && Number.isInteger(retryAfter) && retryAfter >= 0)
  ) {
    throw invalid(`${option}.retryAfter`, "a non-negative integer (seconds) or 'window'");
  }
  return { limit, windowMs, retryAfter };
}

/**
 * The limits in force: `rateLimit` (one limit for every endpoint) replaces the defaults, then
 * each entry of `rateLimits` sets (or, with `false`, removes) one endpoint's limit.
 */
export function resolveRateLimits(
  rateLimit: EmulatorRateLimit | undefined,
  rateLimits: Partial<Record<EmulatorEndpoint, EmulatorRateLimit | false | undefined>> | undefined,
): ResolvedRateLimits {
  const resolved = new Map<EmulatorEndpoint, EmulatorRateLimit>();
  if (rateLimit === undefined) {
    for (const [endpoint, limit] of Object.entries(DEFAULT_RATE_LIMITS)) {
      const known = ENDPOINTS.find((name) => name === endpoint);
      if (known !== undefined && limit !== undefined) resolved.set(known, limit);
    }
  } else {
    const every = checkLimit('rateLimit', rateLimit);
    for (const endpoint of ENDPOINTS) resolved.set(endpoint, every);
  }
  if (rateLimits === undefined) return Object.fromEntries(resolved);
  if (typeof rateLimits !== 'object' || rateLimits === null) {
    throw invalid('rateLimits', 'an object keyed by endpoint');
  }
  for (const [key, value] of Object.entries(rateLimits)) {
    const endpoint = ENDPOINTS.find((name) => name === key);
    if (endpoint === undefined) {
      throw invalid('rateLimits', `keyed by ${ENDPOINTS.join(', ')} (got "${key}")`);
    }
    // An entry left undefined (`{ userinfo: cond ? limit : undefined }`) keeps the default.
    if (value === undefined) continue;
    if (value === false) resolved.delete(endpoint);
    else resolved.set(endpoint, checkLimit(`rateLimits.${endpoint}`, value));
  }
  return Object.fromEntries(resolved);
}

/** What the limiter decided for one request. */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterSec?: number };

/** Sliding-window counters, one per limited endpoint. */
export class SlidingWindowRateLimiter {
  private readonly windows = new Map<EmulatorEndpoint, number[]>();

  constructor(
    private readonly limits: ResolvedRateLimits,
    private readonly clock: () => number,
  ) {}

  /** Counts a request; refuses it when the endpoint already had `limit` in the last `windowMs`. */
  check(endpoint: EmulatorEndpoint): RateDecision {
    const rule = this.limits[endpoint];
    if (rule === undefined) return { allowed: true };
    const now = this.clock();
    const recent = (this.windows.get(endpoint) ?? []).filter((at) => at > now - rule.windowMs);
    this.windows.set(endpoint, recent);
    if (recent.length < rule.limit) {
      recent.push(now);
      return { allowed: true };
    }
    if (rule.retryAfter === undefined) return { allowed: false };
    if (rule.retryAfter !== 'window') return { allowed: false, retryAfterSec: rule.retryAfter };
    const oldest = recent[0] ?? now;
    return {
      allowed: false,
      retryAfterSec: Math.max(1, Math.ceil((oldest + rule.windowMs - now) / 1000)),
    };
  }

  clear(): void {
    this.windows.clear();
  }
}
