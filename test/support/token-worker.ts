/**
 * A separate app instance for the multi-process token tests, run as its own Node process:
 * `node --require tsx/cjs test/support/token-worker.ts` with its config as JSON in TOKEN_WORKER.
 * Protocol on stdio: prints `ready` once connected, waits for a `go` line on stdin, makes
 * `calls` concurrent getAccessToken calls, prints `result <json>` and exits.
 */
import { createInterface } from 'node:readline';
import { createClient } from 'redis';
import { TikTokClient } from '../../lib/client/client';
import { TikTokAPIError } from '../../lib/errors';
import { TikTokTokenManager } from '../../lib/tokens/manager';
import { RedisTokenStore } from '../../lib/tokens/redis-store';
import { envJsonReader } from './json';
import { testMetrics } from './token-fixtures';

export interface TokenWorkerConfig {
  redisUrl: string;
  prefix: string;
  encryptionKeyHex: string;
  openId: string;
  clientKey: string;
  clientSecret: string;
  tokenURL: string;
  revokeURL: string;
  calls: number;
  lockTtlMs: number;
}

function parseConfig(text: string | undefined): TokenWorkerConfig {
  const { str, num } = envJsonReader('TOKEN_WORKER', text);
  return {
    redisUrl: str('redisUrl'),
    prefix: str('prefix'),
    encryptionKeyHex: str('encryptionKeyHex'),
    openId: str('openId'),
    clientKey: str('clientKey'),
    clientSecret: str('clientSecret'),
    tokenURL: str('tokenURL'),
    revokeURL: str('revokeURL'),
    calls: num('calls'),
    lockTtlMs: num('lockTtlMs'),
  };
}

async function main(): Promise<void> {
  const config = parseConfig(process.env.TOKEN_WORKER);
  const redis = createClient({ url: config.redisUrl });
  redis.on('error', (err: unknown) => process.stderr.write(`redis: ${String(err)}\n`));
  await redis.connect();
  const { metrics, refreshOutcomes } = testMetrics();
  const manager = new TikTokTokenManager({
    client: new TikTokClient({
      clientKey: config.clientKey,
      clientSecret: config.clientSecret,
      redirectUri: 'http://127.0.0.1:3000/auth/tiktok/callback',
      tokenURL: config.tokenURL,
      revokeURL: config.revokeURL,
      retryBaseDelayMs: 10,
    }),
    store: new RedisTokenStore({
      client: redis,
      prefix: config.prefix,
      encryptionKey: config.encryptionKeyHex,
    }),
    lockTtlMs: config.lockTtlMs,
    metrics,
  });
  const lines = createInterface({ input: process.stdin });
  process.stdout.write('ready\n');
  for await (const line of lines) if (line.trim() === 'go') break;
  const settled = await Promise.allSettled(
    Array.from({ length: config.calls }, () => manager.getAccessToken(config.openId)),
  );
  const result = {
    tokens: settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])),
    errors: settled.flatMap((s) =>
      s.status === 'rejected'
        ? [s.reason instanceof TikTokAPIError ? s.reason.code : String(s.reason)]
        : [],
    ),
    outcomes: await refreshOutcomes(),
  };
  process.stdout.write(`result ${JSON.stringify(result)}\n`);
  await redis.close();
}

main().catch((err: unknown) => {
  process.stderr.write(
    `token-worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
