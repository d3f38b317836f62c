import { TikTokClient } from '../client/client';
import { normalizeScopes, TIKTOK_AUTHORIZATION_URL, TIKTOK_TOKEN_URL } from '../client/endpoints';
import { MemoryClaimStore, type TikTokStateClaimStore } from '../state/claims';
import { TikTokTokenManager } from '../tokens/manager';
import type {
  AnyTikTokVerify,
  TikTokStrategyCommonOptions,
  TikTokStrategyOptions,
  TikTokStrategyOptionsWithRequest,
  TikTokTokenSink,
} from './options';

/** The strategy's options, validated and normalised once at construction. */
export interface StrategySettings {
  readonly client: TikTokClient;
  readonly verify: AnyTikTokVerify | undefined;
  readonly callbackURL: string;
  /** Path of `callbackURL`: a request to it is a callback even without a query. */
  readonly callbackPath: string;
  readonly authorizationURL: string;
  readonly tokenURL: string;
  readonly scopes: readonly string[];
  readonly pkce: boolean;
  readonly disableAutoAuth: boolean;
  readonly passReqToCallback: boolean;
  readonly skipUserProfile: boolean;
  readonly tokenManager: TikTokTokenSink | undefined;
  readonly maxPendingLogins: number;
  readonly stateTtlMs: number;
  readonly loginDeadlineMs: number;
  readonly loginMaxAttempts: number;
  readonly claimStore: TikTokStateClaimStore;
}

function positiveInt(value: number | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`TikTokStrategy option ${option} must be a positive integer`);
  }
  return value;
}

function flag(value: boolean | undefined, option: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw new TypeError(`TikTokStrategy option ${option} must be a boolean`);
  return value;
}

function absolute(value: string, option: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new TypeError(`TikTokStrategy option ${option} must be an absolute URL`);
  }
}

function buildClient(o: TikTokStrategyCommonOptions, scopes: string[]): TikTokClient {
  // The client names the missing option and env var; `owner` makes it say TikTokStrategy.
  return new TikTokClient(
    {
      ...o,
      clientKey: o.clientKey ?? o.clientID,
      redirectUri: o.callbackURL ?? o.redirectUri,
      scopes: scopes.length > 0 ? scopes : (o.scopes ?? undefined),
    },
    'TikTokStrategy',
  );
}

/** Validates and normalises the options; every problem is a TypeError naming the option. */
export function resolveStrategySettings(
  options: TikTokStrategyOptions | TikTokStrategyOptionsWithRequest,
  verify: AnyTikTokVerify | undefined,
): StrategySettings {
  const o = options;
  if (typeof o !== 'object' || o === null) {
    throw new TypeError('TikTokStrategy options must be an object');
  }
  if (verify !== undefined && typeof verify !== 'function') {
    throw new TypeError('TikTokStrategy verify must be a function');
  }
  const requested = normalizeScopes(o.scope);
  const client = o.client ?? buildClient(o, requested);
  if (!(client instanceof TikTokClient)) {
    throw new TypeError('TikTokStrategy option client must be a TikTokClient');
  }
  const callbackURL = o.callbackURL ?? client.redirectUri;
  const claimStore = o.claimStore ?? new MemoryClaimStore();
  if (typeof claimStore.claim !== 'function' || typeof claimStore.release !== 'function') {
    throw new TypeError('TikTokStrategy option claimStore must have claim() and release()');
  }
  const tokenManager =
    o.tokenManager ??
    (o.tokenStore === undefined
      ? undefined
      : new TikTokTokenManager({
          client,
          store: o.tokenStore,
          ...(o.logger ? { logger: o.logger } : {}),
          ...(o.metrics ? { metrics: o.metrics } : {}),
        }));
  if (tokenManager !== undefined && typeof tokenManager.save !== 'function') {
    throw new TypeError(
      'TikTokStrategy option tokenManager must have a save(openId, tokens) method',
    );
  }
  return {
    client,
    verify,
    callbackURL,
    callbackPath: absolute(callbackURL, 'callbackURL').pathname,
    authorizationURL: o.authorizationURL ?? TIKTOK_AUTHORIZATION_URL,
    tokenURL: o.tokenURL ?? TIKTOK_TOKEN_URL,
    scopes: requested.length > 0 ? requested : client.scopes,
    // A shared client's `pkce` is the default; an explicit strategy `pkce` wins for its logins.
    pkce: flag(o.pkce, 'pkce', client.pkce),
    disableAutoAuth: flag(o.disableAutoAuth, 'disableAutoAuth', false),
    passReqToCallback: flag(o.passReqToCallback, 'passReqToCallback', false),
    skipUserProfile: flag(o.skipUserProfile, 'skipUserProfile', false),
    tokenManager,
    maxPendingLogins: positiveInt(o.maxPendingLogins, 'maxPendingLogins', 5),
    stateTtlMs: positiveInt(o.stateTtlMs, 'stateTtlMs', 600_000),
    loginDeadlineMs: positiveInt(o.loginDeadlineMs, 'loginDeadlineMs', 12_000),
    loginMaxAttempts: positiveInt(o.loginMaxAttempts, 'loginMaxAttempts', o.maxAttempts ?? 4),
    claimStore,
  };
}
