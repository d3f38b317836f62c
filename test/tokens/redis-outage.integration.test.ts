import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createClient } from 'redis';
import { startTikTokEmulator, type TikTokEmulator } from '../../lib/testing';
import { TikTokTokenManager } from '../../lib/tokens/manager';
import { RedisTokenStore } from '../../lib/tokens/redis-store';
import { CaptureLogger } from '../support/capture-logger';
import { startRedisServer, startThrowawayRedis, type RedisServerProcess } from '../support/redis';
import { emulatorClient, expiredGrant, tokensFromEmulator } from '../support/token-fixtures';
import { rejectsWith } from '../support/token-harness';

type Client = ReturnType<typeof createClient>;

/** Resolves on the client's next `ready` (events.once would reject on its 'error' events). */
const ready = (client: Client): Promise<void> =>
  new Promise((resolve) => client.once('ready', () => resolve()));

// docs/scaling.md: a Redis of the test's own is stopped and restarted. While it is
// down token calls fail with a clear 503; when it is back they recover by themselves (the client
// reconnects, no app restart) and no token is lost.
describe('RedisTokenStore', () => {
  describe('Redis outage and restart', function () {
    let dir: string;
    let port: number;
    let server: RedisServerProcess;
    let redis: Client;
    let tt: TikTokEmulator;

    before(async function () {
      ({ dir, port, server } = await startThrowawayRedis(this, 'ptt-redis-'));
      redis = createClient({
        url: server.url,
        disableOfflineQueue: true, // fail fast while disconnected instead of queueing
        socket: { reconnectStrategy: (retries) => Math.min(20 * (retries + 1), 100) },
      });
      redis.on('error', () => undefined);
      await redis.connect();
      tt = await startTikTokEmulator();
    });
    after(async () => {
      redis?.destroy();
      await server?.stop();
      await tt?.close();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    });

    it('503 SERVICE_UNAVAILABLE while down, then recovery with every token intact', async () => {
      const logger = new CaptureLogger();
      const manager = new TikTokTokenManager({
        client: emulatorClient(tt),
        store: new RedisTokenStore({ client: redis, prefix: 'outage:', allowPlaintext: true }),
        logger,
      });
      const openId = tt.users[0]!.openId;
      const live = tokensFromEmulator(tt.issueTokens(openId));
      await manager.save(openId, live);
      const other = tt.addUser().openId;
      const stale = expiredGrant(tt, other);
      await manager.save(other, stale);

      await server.stop();
      const down = await rejectsWith(manager.getAccessToken(openId), 'SERVICE_UNAVAILABLE');
      assert.equal(down.statusCode, 503);
      assert.equal(down.retryable, true);
      // A refresh attempted during the outage must not call TikTok (it could not store the
      // rotated token) nor lose the grant.
      await rejectsWith(manager.getAccessToken(other), 'SERVICE_UNAVAILABLE');
      assert.equal(tt.count('token', { grantType: 'refresh_token' }), 0);

      const back = ready(redis);
      server = await startRedisServer(port, { dir });
      await back;
      assert.equal(await manager.getAccessToken(openId), live.access_token);
      const refreshed = await manager.getAccessToken(other);
      assert.notEqual(refreshed, stale.access_token);
      assert.equal(tt.count('token', { grantType: 'refresh_token' }), 1);
      assert.ok(!logger.text().includes(live.access_token));
    });
  });
});
