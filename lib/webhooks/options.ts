import type { Request } from 'express';
import { lazyDefaultLogger, type TikTokLogger } from '../logging';
import type { TikTokMetrics } from '../metrics';
import { MAX_TIMER_MS, tooLongForTimer } from '../time-limit';
import { MemoryClaimStore, type TikTokStateClaimStore } from '../state/claims';
import type { TikTokTokenManager } from '../tokens';
import type { TikTokWebhookEvent } from './event';
import type { TikTokRemovalList } from './removals';
import { resolveVerification, type WebhookVerification } from './verify';

/** The third argument of `onEvent`. */
export interface TikTokWebhookEventContext {
  /** Aborted when the call runs out of time (`handlerTimeoutMs`): stop work and give up. */
  readonly signal: AbortSignal;
}

/** Options of {@link tiktokWebhook}. */
export interface TikTokWebhookOptions {
  /** The app's client secret: the key of every delivery's HMAC. Default: `TIKTOK_CLIENT_SECRET`. */
  clientSecret?: string | undefined;
  /** Events for another client key are refused (400). Default: `TIKTOK_CLIENT_KEY` (no check when unset). */
  clientKey?: string | undefined;
  /** Accepted distance between the signature's timestamp and now, seconds. Default: `300`. */
  toleranceSeconds?: number | undefined;
  /** Bodies above this many bytes are refused with 413 without being kept. Default: 65 536 (64 KiB). */
  maxBodyBytes?: number | undefined;
  /**
   * Called with every verified, first-seen event (unknown events included), awaited up to
   * `handlerTimeoutMs`. If it throws or runs out of time, the answer is 500 and the event is not
   * marked done, so TikTok's retry is processed again. At the timeout `context.signal` is
   * aborted; until the call ends (or the delivery's lease expires, `handlerTimeoutMs` + 5 s after
   * it arrived) other deliveries of the event wait, and if it still succeeds the event counts as
   * processed. Default: none.
   */
  onEvent?:
    | ((event: TikTokWebhookEvent, req: Request, context: TikTokWebhookEventContext) => unknown)
    | undefined;
  /**
   * How long `onEvent` may take before the delivery counts as failed, ms. An integer from 1 to
   * 2147483647 (a Node.js timer's limit). Default: `10_000`.
   */
  handlerTimeoutMs?: number | undefined;
  /** `authorization.removed` deletes the user's stored tokens through it. Default: none. */
  tokenManager?: Pick<TikTokTokenManager, 'delete'> | undefined;
  /**
   * `authorization.removed` records the removal here, and `tiktokSessionRevocation()` (given the
   * same list) ends the user's sessions at their next request. Default: none.
   */
  removals?: TikTokRemovalList | undefined;
  /**
   * Drops duplicate deliveries (TikTok delivers at least once). The strategy's claim-store
   * interface: `RedisClaimStore` when several instances receive webhooks. Default: a
   * `MemoryClaimStore` of this middleware.
   */
  claimStore?: TikTokStateClaimStore | undefined;
  /** How long a delivery is remembered as seen, ms. Default: 73 h (TikTok retries for 72 h). */
  dedupeTtlMs?: number | undefined;
  /** Structured logger (never given the signature, the secret or the body). Default: winston JSON lines. */
  logger?: TikTokLogger | undefined;
  /** Instruments from `createTikTokMetrics()`; feeds `webhooks{event,outcome}`. Default: none. */
  metrics?: TikTokMetrics | undefined;
  /** Clock, epoch ms (tolerance window, removal times). Default: `Date.now`. */
  now?: (() => number) | undefined;
}

export interface ResolvedWebhookOptions extends WebhookVerification {
  readonly maxBodyBytes: number;
  readonly onEvent: TikTokWebhookOptions['onEvent'];
  readonly handlerTimeoutMs: number;
  readonly tokenManager: Pick<TikTokTokenManager, 'delete'> | undefined;
  readonly removals: TikTokRemovalList | undefined;
  readonly claimStore: TikTokStateClaimStore;
  readonly dedupeTtlMs: number;
  readonly logger: TikTokLogger;
  readonly metrics: TikTokMetrics | undefined;
  readonly now: () => number;
}

function positiveInt(
  value: unknown,
  name: string,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`tiktokWebhook option ${name} must be a positive integer`);
  }
  if (value > max) throw new TypeError(tooLongForTimer(`tiktokWebhook option ${name}`, value));
  return value;
}

function optionalFunction<T>(value: T | undefined, name: string, method?: string): T | undefined {
  if (value === undefined) return undefined;
  const target: unknown = method === undefined ? value : Reflect.get(Object(value), method);
  if (typeof target !== 'function') {
    throw new TypeError(
      `tiktokWebhook option ${name} must be ${method === undefined ? 'a function' : `an object with ${method}()`}`,
    );
  }
  return value;
}

/** Validates the options once, up front; a bad value is a TypeError naming the option. */
export function resolveWebhookOptions(options: TikTokWebhookOptions = {}): ResolvedWebhookOptions {
  const o: TikTokWebhookOptions = options ?? {};
  const claimStore =
    optionalFunction(o.claimStore, 'claimStore', 'claim') ?? new MemoryClaimStore();
  return {
    ...resolveVerification(o, 'tiktokWebhook'),
    maxBodyBytes: positiveInt(o.maxBodyBytes, 'maxBodyBytes', 64 * 1024),
    onEvent: optionalFunction(o.onEvent, 'onEvent'),
    handlerTimeoutMs: positiveInt(o.handlerTimeoutMs, 'handlerTimeoutMs', 10_000, MAX_TIMER_MS),
    tokenManager: optionalFunction(o.tokenManager, 'tokenManager', 'delete'),
    removals: optionalFunction(o.removals, 'removals', 'record'),
    claimStore,
    dedupeTtlMs: positiveInt(o.dedupeTtlMs, 'dedupeTtlMs', 73 * 3600 * 1000),
    logger: o.logger ?? lazyDefaultLogger(),
    metrics: o.metrics,
    now: optionalFunction(o.now, 'now') ?? Date.now,
  };
}
