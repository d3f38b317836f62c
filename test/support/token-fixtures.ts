import { Registry } from 'prom-client';
import { TikTokClient } from '../../lib/client/client';
import type { OperationOptions } from '../../lib/client/client';
import type { TikTokTokens } from '../../lib/client/types';
import { createTikTokMetrics, type TikTokMetrics } from '../../lib/metrics';
import type { EmulatorTokenResponse, TikTokEmulator } from '../../lib/testing';
import type { TokenManagerClient } from '../../lib/tokens/manager-options';

let counter = 0;

/** Tokens that look like TikTok's, unique per call; expiring in an hour unless overridden. */
export function makeTokens(openId: string, overrides: Partial<TikTokTokens> = {}): TikTokTokens {
  counter += 1;
  const now = Date.now();
  return {
    access_token: `act.fixture-access-${counter}-${Math.random().toString(36).slice(2)}`,
    refresh_token: `rft.fixture-refresh-${counter}-${Math.random().toString(36).slice(2)}`,
    open_id: openId,
    scope: 'user.info.basic',
    token_type: 'Bearer',
    expires_in: 3600,
    expires_at: now + 3600_000,
    refresh_expires_in: 86_400,
    refresh_expires_at: now + 86_400_000,
    ...overrides,
  };
}

/** An emulator grant as the client would have parsed it (`issueTokens` → TikTokTokens). */
export function tokensFromEmulator(grant: EmulatorTokenResponse, now = Date.now()): TikTokTokens {
  return {
    access_token: grant.access_token,
    refresh_token: grant.refresh_token,
    open_id: grant.open_id,
    scope: grant.scope,
    token_type: 'Bearer',
    expires_in: grant.expires_in,
    expires_at: now + grant.expires_in * 1000,
    refresh_expires_in: grant.refresh_expires_in,
    refresh_expires_at: now + grant.refresh_expires_in * 1000,
  };
}

/** A grant whose access token has expired, at the emulator and in the returned tokens. */
export function expiredGrant(tt: TikTokEmulator, openId: string): TikTokTokens {
  const grant = tt.issueTokens(openId);
  tt.expireAccessToken(grant.access_token);
  return { ...tokensFromEmulator(grant), expires_at: Date.now() - 1000 };
}

/** A TikTokClient aimed at the emulator, with quick retries. */
export function emulatorClient(
  tt: TikTokEmulator,
  extra: { timeoutMs?: number } = {},
): TikTokClient {
  return new TikTokClient({
    clientKey: tt.clientKey,
    clientSecret: tt.clientSecret,
    redirectUri: 'http://127.0.0.1:3000/auth/tiktok/callback',
    ...tt.endpoints,
    retryBaseDelayMs: 10,
    timeoutMs: extra.timeoutMs ?? 2000,
  });
}

/** prom-client instruments on a private registry, and a reader for `tokenRefresh{outcome}`. */
export function testMetrics(): {
  metrics: TikTokMetrics;
  refreshOutcomes: () => Promise<Record<string, number>>;
} {
  const metrics = createTikTokMetrics(new Registry());
  return {
    metrics,
    refreshOutcomes: async () => {
      const out: Record<string, number> = {};
      for (const v of (await metrics.tokenRefresh.get()).values)
        out[String(v.labels.outcome)] = v.value;
      return out;
    },
  };
}

type RefreshImpl = (refreshToken: string, opts: OperationOptions) => Promise<TikTokTokens>;

/** A scripted client: counts calls and runs `onRefresh` / `onRevoke` (defaults: rotate, succeed). */
export class FakeTokenClient implements TokenManagerClient {
  readonly refreshCalls: Array<{ refreshToken: string; opts: OperationOptions }> = [];
  readonly revokeCalls: string[] = [];
  onRefresh: RefreshImpl;
  onRevoke: (accessToken: string) => Promise<void> = () => Promise.resolve();

  constructor(openId: string) {
    this.onRefresh = () => Promise.resolve(makeTokens(openId));
  }

  refreshAccessToken(refreshToken: string, opts: OperationOptions = {}): Promise<TikTokTokens> {
    this.refreshCalls.push({ refreshToken, opts });
    return this.onRefresh(refreshToken, opts);
  }

  revokeAccess(accessToken: string): Promise<void> {
    this.revokeCalls.push(accessToken);
    return this.onRevoke(accessToken);
  }
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 5 ms until true; fails after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
