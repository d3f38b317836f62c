import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { loadPackage } from '../dist';
import type { Bench } from '../measure';
import { upstreamOf } from '../upstream';
import type { TokenRound } from './results';

const CONCURRENCY = 64;

/** Calls `op` from `CONCURRENCY` callers for `seconds`; returns completed calls per second. */
async function rate(op: () => Promise<unknown>, seconds: number): Promise<number> {
  const until = performance.now() + seconds * 1000;
  let done = 0;
  const caller = async (): Promise<void> => {
    while (performance.now() < until) {
      await op();
      done += 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, caller));
  return done / ((performance.now() - started) / 1000);
}

/**
 * The token hot path: `getAccessToken` for a valid token on an encrypted RedisTokenStore
 * against a bare `HMGET` of the same key, 64 concurrent callers each, alternated for `rounds`
 * rounds of `seconds` in this process (node-redis v5, `REDIS_URL`, keys under a run prefix that
 * is deleted at the end).
 */
export async function tokenHotPath(
  bench: Bench,
  rounds: number,
  seconds: number,
): Promise<TokenRound[]> {
  const { RedisTokenStore, TikTokClient, TikTokTokenManager } = loadPackage();
  const redis = await createClient({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' })
    .on('error', () => undefined)
    .connect();
  const prefix = `bench-cold:${randomBytes(6).toString('hex')}:`;
  try {
    const upstream = upstreamOf(bench.emulators.https);
    const store = new RedisTokenStore({
      client: redis,
      prefix,
      encryptionKey: randomBytes(32),
    });
    const manager = new TikTokTokenManager({
      client: new TikTokClient({ ...upstream, redirectUri: 'https://app.example/cb' }),
      store,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    const openId = 'bench-cold-user';
    const now = Date.now();
    await manager.save(openId, {
      access_token: `act.${randomBytes(24).toString('hex')}`,
      refresh_token: `rft.${randomBytes(24).toString('hex')}`,
      open_id: openId,
      scope: 'user.info.basic',
      token_type: 'Bearer',
      expires_in: 86_400,
      expires_at: now + 86_400_000,
      refresh_expires_in: 31_536_000,
      refresh_expires_at: now + 31_536_000_000,
    });
    const key = store.recordKey(openId);
    const hmget = (): Promise<unknown> => redis.hmGet(key, ['version', 'data']);
    const get = (): Promise<string> => manager.getAccessToken(openId);
    await rate(hmget, 1);
    await rate(get, 1);
    const out: TokenRound[] = [];
    for (let i = 0; i < rounds; i++) {
      // Alternate which goes first, so neither always meets a warmer Redis.
      if (i % 2 === 0) {
        const hmgetPerSec = await rate(hmget, seconds);
        out.push({ hmgetPerSec, getAccessTokenPerSec: await rate(get, seconds) });
      } else {
        const getAccessTokenPerSec = await rate(get, seconds);
        out.push({ hmgetPerSec: await rate(hmget, seconds), getAccessTokenPerSec });
      }
    }
    return out;
  } finally {
    for await (const keys of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) {
      if (keys.length > 0) await redis.del(keys);
    }
    await redis.close();
  }
}
