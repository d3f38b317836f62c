import assert from 'node:assert/strict';
import { RedisStore } from 'connect-redis';
import { createClient } from 'redis';
import { startTikTokEmulator, type TikTokEmulator } from '../../lib/testing';
import { realNow } from '../support/clock';
import {
  assertErrorJson,
  browser,
  CALLBACK_URL,
  consent,
  EXPRESS_VERSIONS,
  login,
  startLogin,
  startLoginApp,
  type LoginApp,
} from '../support/login';
import { freePort, startRedisServer, type RedisServerProcess } from '../support/redis';

type Client = ReturnType<typeof createClient>;

/** Resolves on the client's next `event` (events.once would reject on the 'error' events). */
function next(client: Client, event: 'reconnecting' | 'ready'): Promise<void> {
  return new Promise((resolve) => client.once(event, () => resolve()));
}

describe('TikTokStrategy', () => {
  for (const version of EXPRESS_VERSIONS) {
    describe(`session store (Redis) down (${version})`, function () {
      let port: number;
      let redisServer: RedisServerProcess;
      let client: Client;
      let tt: TikTokEmulator;
      let app: LoginApp;

      before(async function () {
        port = await freePort();
        try {
          redisServer = await startRedisServer(port);
        } catch (err) {
          if (process.env.CI === 'true') throw err;
          this.skip();
        }
        // Fail fast while disconnected (no offline queue), reconnect quickly once it is back.
        client = createClient({
          url: redisServer.url,
          disableOfflineQueue: true,
          socket: { reconnectStrategy: (retries) => Math.min(20 * (retries + 1), 100) },
        });
        client.on('error', () => undefined);
        await client.connect();
        tt = await startTikTokEmulator({
          autoApprove: true,
          clock: realNow,
          redirectUris: [CALLBACK_URL],
        });
        app = await startLoginApp({
          tt,
          express: version,
          store: new RedisStore({ client, prefix: 'down:' }),
        });
      });
      after(async () => {
        await app?.close();
        await tt?.close();
        client?.destroy();
        await redisServer?.stop();
      });

      it('answers 503 SERVICE_UNAVAILABLE while it is down, and recovers without a restart', async () => {
        const loggedIn = browser(app.server);
        assert.equal((await login(loggedIn)).status, 302);
        const midLogin = browser(app.server);
        const callback = await consent(await startLogin(midLogin));
        tt.reset();

        const disconnected = next(client, 'reconnecting');
        await redisServer.stop();
        await disconnected;

        const me = await loggedIn.get('/me');
        const error = assertErrorJson(me, 503, 'SERVICE_UNAVAILABLE');
        assert.equal(error.retryable, true);
        assert.equal(me.headers['retry-after'], '5');
        assertErrorJson(await midLogin.get(callback), 503, 'SERVICE_UNAVAILABLE');
        assertErrorJson(await browser(app.server).get('/auth/tiktok'), 503, 'SERVICE_UNAVAILABLE');
        assert.equal(tt.count('token'), 0);

        const ready = next(client, 'ready');
        redisServer = await startRedisServer(port);
        await ready;

        // The restarted Redis kept nothing: the half-done login is a clean "login expired".
        assertErrorJson(await midLogin.get(callback), 400, 'INVALID_STATE');
        const fresh = browser(app.server);
        assert.equal((await login(fresh)).status, 302);
        assert.equal(tt.count('token'), 1);
      });
    });
  }
});
