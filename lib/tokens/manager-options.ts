import type { TikTokClient } from '../client/client';
import { lazyDefaultLogger, type TikTokLogger } from '../logging';
import type { TikTokMetrics } from '../metrics';
import type { TokenStore } from './store';

/** What the manager needs from a TikTokClient (a fake with these two methods works in tests). */
export type TokenManagerClient = Pick<TikTokClient, 'refreshAccessToken' | 'revokeAccess'>;

/** Options of {@link TikTokTokenManager}. */
export interface TikTokTokenManagerOptions {
  /** The client that refreshes and revokes (share the strategy's). Required. */
  client: TokenManagerClient;
  /**
   * Where tokens and refresh locks live. Required. `MemoryTokenStore` for one process;
   * `RedisTokenStore` when several app instances serve the same users.
   */
  store: TokenStore;
  /** `getAccessToken` refreshes when the access token expires within this window. Default: 300 000 ms (5 min). */
  refreshSkewMs?: number | undefined;
  /**
   * Lease of the per-user refresh lock. A holder that dies frees it after this long, and the
   * holder's own TikTok call is bounded to end inside it. Default: 15 000 ms.
   */
  lockTtlMs?: number | undefined;
  /**
   * How long a caller waits for another instance's refresh before giving up (it then serves a
   * still-valid access token, or fails with TIMEOUT_ERROR). Default: `lockTtlMs` + 5 000 ms.
   */
  lockWaitMs?: number | undefined;
  /** Structured logger (never given a token). Default: winston JSON lines (`TIKTOK_LOG_LEVEL`). */
  logger?: TikTokLogger | undefined;
  /** Instruments from `createTikTokMetrics()`; feeds `tokenRefresh{outcome}`. Default: none. */
  metrics?: TikTokMetrics | undefined;
}

export interface ResolvedManagerOptions {
  readonly client: TokenManagerClient;
  readonly store: TokenStore;
  readonly refreshSkewMs: number;
  readonly lockTtlMs: number;
  readonly lockWaitMs: number;
  readonly logger: TikTokLogger;
  readonly metrics: TikTokMetrics | undefined;
}

function duration(value: unknown, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new TypeError(`TikTokTokenManager: ${name} must be an integer number of ms >= ${min}`);
  }
  return value;
}

/** Validates the options once, up front; a bad value is a TypeError naming the option. */
export function resolveManagerOptions(options: TikTokTokenManagerOptions): ResolvedManagerOptions {
  const o: Partial<TikTokTokenManagerOptions> = options ?? {};
  const client = o.client;
  if (
    typeof client?.refreshAccessToken !== 'function' ||
    typeof client.revokeAccess !== 'function'
  ) {
    throw new TypeError('TikTokTokenManager requires a client option (a TikTokClient)');
  }
  const store = o.store;
  if (typeof store?.get !== 'function' || typeof store.compareAndSet !== 'function') {
    throw new TypeError(
      'TikTokTokenManager requires a store option (MemoryTokenStore or RedisTokenStore)',
    );
  }
  const lockTtlMs = duration(o.lockTtlMs, 'lockTtlMs', 15_000, 100);
  return {
    client,
    store,
    refreshSkewMs: duration(o.refreshSkewMs, 'refreshSkewMs', 5 * 60_000, 0),
    lockTtlMs,
    lockWaitMs: duration(o.lockWaitMs, 'lockWaitMs', lockTtlMs + 5_000, 0),
    logger: o.logger ?? lazyDefaultLogger(),
    metrics: o.metrics,
  };
}
