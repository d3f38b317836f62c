import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { startTikTokEmulator, type TikTokEmulator } from '../../lib/testing';
import { field } from '../support/json';
import { browser, CALLBACK_URL, login, type Agent } from '../support/login';
import { connectTestRedis, deleteKeys, uniquePrefix, type TestRedis } from '../support/redis';
import { startWebhookApp, type WebhookApp } from '../support/webhook-app';

const OPEN_ID = 'emulator-open-id-1';

async function userOf(agent: Agent): Promise<unknown> {
  const res = await agent.get('/me').expect(200);
  return field(res.body, 'user');
}

/** Cookies of `from` sent to another server: the load balancer sent the browser elsewhere. */
function sameBrowserOn(from: Agent, to: WebhookApp): Agent {
  const other = browser(to.server);
  // supertest agents keep cookies per agent: copy the session cookie over.
  const jar: unknown = Reflect.get(from, 'jar');
  Reflect.set(other, 'jar', jar);
  return other;
}

describe('tiktokWebhook', () => {
  describe('across two app instances on one Redis', function () {
    let redis: TestRedis;
    let tt: TikTokEmulator;
    let a: WebhookApp;
    let b: WebhookApp;
    const prefix = uniquePrefix();

    before(async function () {
      redis = await connectTestRedis(this);
      tt = await startTikTokEmulator({
        autoApprove: true,
        redirectUris: [CALLBACK_URL],
        webhookRetry: { attempts: 3, baseDelayMs: 20 },
      });
      a = await startWebhookApp({ tt, redis, prefix });
      b = await startWebhookApp({ tt, redis, prefix });
      tt.setWebhookUrl(a.webhookUrl); // TikTok's deliveries reach instance A only
    });
    after(async () => {
      await a?.close();
      await b?.close();
      await tt?.close();
      if (redis !== undefined) {
        await deleteKeys(redis, prefix);
        redis.destroy();
      }
    });

    it('a removal delivered to A ends the session served by B, the tokens leave Redis, a new login works', async () => {
      const onB = browser(b.server);
      assert.equal((await login(onB)).status, 200);
      assert.equal(field(await userOf(onB), 'id'), OPEN_ID);
      const tokenKeys = async (): Promise<string[]> => redis.keys(`${prefix}tokens:*`);
      assert.equal((await tokenKeys()).length, 1);

      const [delivery] = await tt.removeAuthorization(OPEN_ID, 1);
      assert.equal(delivery?.status, 'delivered');
      assert.equal(a.logger.events('processed').length, 1, 'A processed it');
      assert.equal(b.logger.events('processed').length, 0, 'B never saw the webhook');
      assert.deepEqual(await tokenKeys(), [], 'tokens gone from Redis');

      const res = await onB.get('/me').expect(200);
      assert.equal(field(res.body, 'user'), null, 'B logged the session out');
      assert.equal(field(res.body, 'revoked', 'openId'), OPEN_ID);
      assert.equal(b.logger.events('session ended: TikTok authorization removed').length, 1);

      // The same browser logs in again through A after the removal; B keeps it logged in.
      const onA = sameBrowserOn(onB, a);
      assert.equal((await login(onA)).status, 200);
      const backOnB = sameBrowserOn(onA, b);
      assert.equal(field(await userOf(backOnB), 'id'), OPEN_ID);
      assert.equal((await tokenKeys()).length, 1);
    });

    it('a duplicate delivered to B (shared claim store) is a duplicate', async () => {
      const [first] = await tt.removeAuthorization(OPEN_ID, 4);
      assert.ok(first !== undefined);
      tt.setWebhookUrl(b.webhookUrl);
      try {
        const again = await tt.redeliverWebhook(first);
        assert.equal(again.status, 'delivered');
        assert.equal(b.logger.events('duplicate').length, 1);
        assert.equal(b.logger.events('processed').length, 0);
      } finally {
        tt.setWebhookUrl(a.webhookUrl);
      }
    });

    it('measures removal → logged-out session (A receives, B serves)', async () => {
      const samples: number[] = [];
      for (let i = 0; i < 5; i++) {
        const onB = browser(b.server);
        assert.equal((await login(onB)).status, 200);
        assert.equal(field(await userOf(onB), 'id'), OPEN_ID);
        // Wait for the next second: each removal is then a distinct event (no dedupe).
        await new Promise((r) => setTimeout(r, 1001 - (Date.now() % 1000)));
        const started = performance.now();
        await tt.removeAuthorization(OPEN_ID, 1);
        assert.equal(await userOf(onB), null);
        samples.push(performance.now() - started);
      }
      samples.sort((x, y) => x - y);
      const median = samples[Math.floor(samples.length / 2)] ?? NaN;
      process.stdout.write(
        `      removal → logged out (emulator → A → Redis → B): median ${median.toFixed(1)} ms, max ${(samples[samples.length - 1] ?? NaN).toFixed(1)} ms over ${samples.length}\n`,
      );
      assert.ok(median < 1000, `median ${median} ms`);
    });
  });
});
