import assert from 'node:assert/strict';
import type { TikTokTokens } from '../../lib/client/types';
import { TikTokAPIError, type TikTokErrorCode } from '../../lib/errors';
import { TikTokTokenManager } from '../../lib/tokens/manager';
import type { TikTokTokenManagerOptions } from '../../lib/tokens/manager-options';
import { MemoryTokenStore } from '../../lib/tokens/memory-store';
import type { TokenStore } from '../../lib/tokens/store';
import { CaptureLogger } from './capture-logger';
import { FakeTokenClient, makeTokens, testMetrics } from './token-fixtures';

let users = 0;

export interface ManagerHarness {
  readonly openId: string;
  readonly store: TokenStore;
  readonly client: FakeTokenClient;
  readonly logger: CaptureLogger;
  readonly manager: TikTokTokenManager;
  /** `tokenRefresh{outcome}` counts so far. */
  readonly refreshOutcomes: () => Promise<Record<string, number>>;
  /** Stores `tokens` for the harness user (default: fresh fixture tokens) and returns them. */
  seed(overrides?: Partial<TikTokTokens>): Promise<TikTokTokens>;
  /** Another manager on the same store and client: "another app instance". */
  another(extra?: Partial<TikTokTokenManagerOptions>): TikTokTokenManager;
}

/** A manager over a MemoryTokenStore (or `store`) with a scripted client, logger and metrics. */
export function managerHarness(
  extra: Partial<TikTokTokenManagerOptions> & { store?: TokenStore } = {},
): ManagerHarness {
  const openId = `harness-user-${++users}`;
  const store = extra.store ?? new MemoryTokenStore();
  const client = new FakeTokenClient(openId);
  const logger = new CaptureLogger();
  const { metrics, refreshOutcomes } = testMetrics();
  const options = { client, store, logger, metrics, ...extra };
  const manager = new TikTokTokenManager(options);
  return {
    openId,
    store,
    client,
    logger,
    manager,
    refreshOutcomes,
    async seed(overrides = {}) {
      const tokens = makeTokens(openId, overrides);
      await manager.save(openId, tokens);
      return tokens;
    },
    another: (more = {}) => new TikTokTokenManager({ ...options, ...more }),
  };
}

/** Tokens that expired a second ago (refresh token still valid). */
export const EXPIRED: Partial<TikTokTokens> = { expires_at: Date.now() - 1000 };

/** Awaits a rejection with a TikTokAPIError of `code`, and returns it for more checks. */
export async function rejectsWith(
  promise: Promise<unknown>,
  code: TikTokErrorCode,
): Promise<TikTokAPIError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof TikTokAPIError, `expected a TikTokAPIError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected a ${code} rejection, but it resolved`);
}

/** A TikTokAPIError as the client throws it, for scripted failures. */
export function apiError(code: TikTokErrorCode, message = `scripted ${code}`): TikTokAPIError {
  return new TikTokAPIError({ code, message, correlationId: 'tiktok-0-scripted' });
}
