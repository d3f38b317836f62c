import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTikTokEmulator, type TikTokEmulator } from '../../lib/testing';

// TikTok counts only a 200 as delivered (https://developers.tiktok.com/doc/webhooks-overview):
// an app that acknowledges with another 2xx gets the event again and again, then loses it.
describe('emulator: webhook-delivery', () => {
  describe('acknowledgement: only a 200 counts', () => {
    let tt: TikTokEmulator;
    let server: Server;
    let status = 204;
    let hits = 0;
    before(async () => {
      server = createServer((req, res) => {
        hits += 1;
        req.resume();
        req.on('end', () => {
          res.statusCode = status;
          res.end();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      tt = await startTikTokEmulator({
        webhookUrl: `http://127.0.0.1:${port}/hook`,
        webhookRetry: { attempts: 3, baseDelayMs: 1 },
      });
    });
    beforeEach(() => {
      hits = 0;
    });
    after(async () => {
      await tt.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    for (const answer of [204, 201, 202]) {
      it(`a ${answer} answer is a failed attempt, retried until TikTok gives up`, async () => {
        status = answer;
        const [delivery] = await tt.sendWebhook({
          event: 'video.publish.completed',
          userOpenId: 'u1',
        });
        assert.equal(delivery?.status, 'failed');
        assert.deepEqual(
          delivery.attempts.map((a) => a.status),
          [answer, answer, answer],
        );
        assert.equal(hits, 3);
      });
    }

    it('a 200 answer is delivered at the first attempt', async () => {
      status = 200;
      const [delivery] = await tt.sendWebhook({
        event: 'video.publish.completed',
        userOpenId: 'u1',
      });
      assert.equal(delivery?.status, 'delivered');
      assert.equal(hits, 1);
    });
  });

  describe('reset()', () => {
    let server: Server;
    let hits: string[] = [];
    let test = 'A';
    before(async () => {
      server = createServer((req, res) => {
        hits.push(test);
        req.resume();
        req.on('end', () => {
          res.statusCode = 500;
          res.end();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    after(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it("stops an earlier test's retries: none reaches the app after the reset", async () => {
      const { port } = server.address() as AddressInfo;
      const tt = await startTikTokEmulator({
        webhookUrl: `http://127.0.0.1:${port}/hook`,
        webhookRetry: { attempts: 5, baseDelayMs: 50 },
      });
      try {
        hits = [];
        test = 'A';
        const first = tt.sendWebhook({ event: 'video.publish.completed', userOpenId: 'u1' });
        while (hits.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
        tt.reset();
        test = 'B';
        const flushed = Date.now();
        await tt.flushWebhooks();
        assert.ok(Date.now() - flushed < 40, 'flushWebhooks() waits for no earlier delivery');
        const [delivery] = await first;
        assert.equal(delivery?.status, 'failed');
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.deepEqual(hits, ['A']);
        assert.equal(tt.webhookDeliveries.length, 0);
        // The webhook URL is kept, and deliveries after the reset are retried as before.
        const [after] = await tt.sendWebhook({
          event: 'video.publish.completed',
          userOpenId: 'u2',
        });
        assert.equal(after?.attempts.length, 5);
        assert.deepEqual(hits, ['A', 'B', 'B', 'B', 'B', 'B']);
      } finally {
        await tt.close();
      }
    });
  });
});
