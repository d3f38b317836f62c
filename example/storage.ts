import { RedisStore } from 'connect-redis';
import session from 'express-session';
import {
  MemoryRemovalList,
  MemoryTokenStore,
  RedisClaimStore,
  RedisRemovalList,
  RedisTokenStore,
  type TikTokRemovalList,
  type TikTokStateClaimStore,
  type TokenStore,
} from 'passport-tiktok';
import type { createClient, createCluster } from 'redis';

/**
 * A node-redis v5 client (`createClient({ url, disableOfflineQueue: true })`) or cluster client
 * (`createCluster({ rootNodes, defaults: { disableOfflineQueue: true } })`). NOTE:
 * `disableOfflineQueue` makes commands fail at once while Redis is down (→ 503) instead of
 * waiting for the reconnect.
 */
export type ExampleRedisClient = ReturnType<typeof createClient> | ReturnType<typeof createCluster>;

/** Where sessions, tokens and state claims live. */
export interface ExampleStorage {
  readonly kind: 'redis' | 'memory';
  readonly sessionStore: session.Store;
  readonly tokenStore: TokenStore;
  /** `undefined`: the strategy's per-process default (MemoryClaimStore). */
  readonly claimStore: TikTokStateClaimStore | undefined;
  /** Users whose TikTok authorization was removed (webhook): their sessions end. */
  readonly removals: TikTokRemovalList;
  /** Resolves when the storage answers (Redis PING within `timeoutMs`), rejects otherwise. */
  check(timeoutMs: number): Promise<void>;
}

async function ping(client: ExampleRedisClient, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no PING answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([client.ping(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Removal entries outlive the longest session (7 days, session.ts) by a day. */
const REMOVAL_TTL_MS = 8 * 24 * 3600 * 1000;

/**
 * Redis when a client is given (the production path: any number of instances share it), else
 * process memory (one instance, lost on restart). Tokens in Redis are encrypted with
 * `tokenEncryptionKey` (required with Redis). Keys in Redis: `<prefix>sess:*` (connect-redis),
 * `<prefix>tokens:*` (RedisTokenStore), `<prefix>claim:*` (RedisClaimStore), `<prefix>removed:*`
 * (RedisRemovalList).
 */
export function createStorage(
  redis: ExampleRedisClient | undefined,
  prefix: string,
  tokenEncryptionKey: string | Buffer | undefined,
): ExampleStorage {
  if (redis === undefined) {
    return {
      kind: 'memory',
      sessionStore: new session.MemoryStore(),
      tokenStore: new MemoryTokenStore(),
      claimStore: undefined,
      removals: new MemoryRemovalList({ ttlMs: REMOVAL_TTL_MS }),
      check: () => Promise.resolve(),
    };
  }
  return {
    kind: 'redis',
    sessionStore: new RedisStore({ client: redis, prefix: `${prefix}sess:` }),
    // Throws a TypeError naming encryptionKey when no key is given: tokens are never stored in
    // the clear.
    tokenStore: new RedisTokenStore({
      client: redis,
      prefix: `${prefix}tokens:`,
      encryptionKey: tokenEncryptionKey,
    }),
    claimStore: new RedisClaimStore({ client: redis, prefix: `${prefix}claim:` }),
    removals: new RedisRemovalList({
      client: redis,
      prefix: `${prefix}removed:`,
      ttlMs: REMOVAL_TTL_MS,
    }),
    check: (timeoutMs) => ping(redis, timeoutMs),
  };
}
