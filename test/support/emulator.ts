/**
 * Shared setup for the client's integration tests: one emulator per `describe` (port 0, started
 * in `before` with REDIRECT_URI registered, reset before each test, closed in `after`) and clients pointed at it with small
 * timeouts so every failure path runs in milliseconds.
 */
import { TikTokClient, type TikTokClientOptions } from '../../lib';
import {
  startTikTokEmulator,
  type TikTokEmulator,
  type TikTokEmulatorOptions,
} from '../../lib/testing';
import { CaptureLogger } from './capture-logger';

export const REDIRECT_URI = 'http://127.0.0.1:3000/auth/tiktok/callback';

/** Small budgets: an attempt times out in 250 ms, backoff starts at 10 ms, 3 s per operation. */
export const FAST = {
  timeoutMs: 250,
  maxAttempts: 3,
  retryBaseDelayMs: 10,
  deadlineMs: 3000,
} as const satisfies Partial<TikTokClientOptions>;

export interface EmulatorHarness {
  /** The running emulator (available from `before` on). */
  readonly tt: TikTokEmulator;
  /** Lines logged by the clients made by `client()` since the current test began. */
  readonly logger: CaptureLogger;
  /** A client for the emulator: its key, secret and endpoints, FAST budgets, the capture logger. */
  client(overrides?: TikTokClientOptions): TikTokClient;
}

/** Registers the hooks in the calling `describe` and returns the harness. */
export function useEmulator(options: TikTokEmulatorOptions = {}): EmulatorHarness {
  let tt: TikTokEmulator | undefined;
  let logger = new CaptureLogger();
  before(async () => {
    tt = await startTikTokEmulator({ autoApprove: true, redirectUris: [REDIRECT_URI], ...options });
  });
  beforeEach(() => {
    tt?.reset();
    logger = new CaptureLogger();
  });
  after(async () => {
    await tt?.close();
  });
  const harness: EmulatorHarness = {
    get tt(): TikTokEmulator {
      if (tt === undefined) throw new Error('the emulator is started in before()');
      return tt;
    },
    get logger(): CaptureLogger {
      return logger;
    },
    client(overrides = {}) {
      const emulator = harness.tt;
      return new TikTokClient({
        clientKey: emulator.clientKey,
        clientSecret: emulator.clientSecret,
        redirectUri: REDIRECT_URI,
        ...emulator.endpoints,
        ...FAST,
        logger,
        ...overrides,
      });
    },
  };
  return harness;
}

export interface AuthorizedCode {
  readonly code: string;
  /** `scopes` of the callback: what the user granted. */
  readonly grantedScopes: string[];
  readonly state: string;
  readonly codeVerifier: string | undefined;
  /** The whole callback URL the browser would have been sent to. */
  readonly callback: URL;
}

/**
 * What a browser does with auto-approval: open the client's authorization URL, take the 302 back
 * to the callback, and read `code`, `scopes` and `state` (decoded once).
 */
export async function authorize(
  client: TikTokClient,
  opts: Parameters<TikTokClient['getAuthorizationUrl']>[0] = {},
): Promise<AuthorizedCode> {
  const { url, codeVerifier } = await client.getAuthorizationUrl(opts);
  const res = await fetch(url, { redirect: 'manual' });
  await res.arrayBuffer();
  const location = res.headers.get('location');
  if (res.status !== 302 || location === null) {
    throw new Error(`authorize answered ${res.status} without a redirect`);
  }
  const callback = new URL(location);
  const code = callback.searchParams.get('code');
  if (code === null) throw new Error(`no code in the callback: ${callback.search}`);
  return {
    code,
    grantedScopes: (callback.searchParams.get('scopes') ?? '').split(',').filter(Boolean),
    state: callback.searchParams.get('state') ?? '',
    codeVerifier,
    callback,
  };
}
