import type { TikTokEmulator } from '../lib/testing/index';
import type { TlsFiles } from './cert';
import { CEILING_REDIRECT_URI } from './driver/flows';
import { loadTesting } from './dist';
import type { FaultScenarioId, Upstream } from './types';

/**
 * The project's emulator, as lenient as its options allow: logins approved at once with every
 * requested scope, PKCE optional (passport-tiktok-auth sends none), no rate limit, and no
 * request log kept (a benchmark would fill it). The ceiling's callback is registered here; each
 * app's callback once the app has a port (`registerAppCallback`).
 */
export function startUpstream(tls: TlsFiles | undefined): Promise<TikTokEmulator> {
  return loadTesting().startTikTokEmulator({
    autoApprove: true,
    redirectUris: [CEILING_REDIRECT_URI],
    requirePkce: false,
    rateLimit: { limit: Number.MAX_SAFE_INTEGER, windowMs: 1 },
    maxRecordedRequests: 0,
    ...(tls === undefined ? {} : { tls: { key: tls.key, cert: tls.cert } }),
  });
}

/** Registers the callback of an app listening at `baseUrl` (every bench app uses this path). */
export function registerAppCallback(tt: TikTokEmulator, baseUrl: string): void {
  tt.registerRedirectUri(`${baseUrl}/auth/tiktok/callback`);
}

export function upstreamOf(tt: TikTokEmulator): Upstream {
  return { ...tt.endpoints, clientKey: tt.clientKey, clientSecret: tt.clientSecret };
}

export interface FaultScenario {
  readonly id: FaultScenarioId;
  readonly label: string;
  apply(tt: TikTokEmulator): void;
}

export const FAULT_SCENARIOS: readonly FaultScenario[] = [
  {
    id: '503',
    label: '20 % of token and user-info calls answer 503',
    apply: (tt) => {
      tt.inject('token', { probability: 0.2, status: 503 });
      tt.inject('userinfo', { probability: 0.2, status: 503 });
    },
  },
  {
    id: 'hang',
    label: '5 % of user-info calls hang (never answered)',
    apply: (tt) => {
      tt.inject('userinfo', { probability: 0.05, hang: true });
    },
  },
  {
    id: '200-error',
    label: '10 % of token calls answer invalid_grant with HTTP 200',
    apply: (tt) => {
      tt.inject('token', {
        probability: 0.1,
        tiktokError: { error: 'invalid_grant', description: 'Authorization code is expired.' },
      });
    },
  },
];
