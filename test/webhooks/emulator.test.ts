import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import {
  MemoryRemovalList,
  TikTokClient,
  TikTokAPIError,
  tiktokWebhook,
  type TikTokWebhookEvent,
} from '../../lib';
import { startTikTokEmulator, type TikTokEmulator } from '../../lib/testing';
import { field } from '../support/json';

const REDIRECT = 'http://127.0.0.1:3000/auth/tiktok/callback';

/** An app receiving the emulator's webhooks; `failNext` answers 500 that many times first. */
async function receiver(secret: string): Promise<{
  server: Server;
  url: string;
  events: TikTokWebhookEvent[];
  statuses: number[];
  arrivals: number[];
  failNext: { count: number };
  removals: MemoryRemovalList;
}> {
  const events: TikTokWebhookEvent[] = [];
  const statuses: number[] = [];
  const arrivals: number[] = [];
  const failNext = { count: 0 };
  const removals = new MemoryRemovalList();
  const app = express();
  app.post(
    '/webhooks/tiktok',
    (req, res, next) => {
      arrivals.push(Date.now());
      res.on('finish', () => statuses.push(res.statusCode));
      if (failNext.count > 0) {
        failNext.count -= 1;
        res.status(500).end();
        return;
      }
      next();
    },
    tiktokWebhook({
      clientSecret: secret,
      removals,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      onEvent: (event) => {
        events.push(event);
      },
    }),
  );
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}/webhooks/tiktok`,
    events,
    statuses,
    arrivals,
    failNext,
    removals,
  };
}

describe('emulator: webhook-delivery', () => {
  let tt: TikTokEmulator;
  let app: Awaited<ReturnType<typeof receiver>>;
  const openId = 'emulator-open-id-1';

  before(async () => {
    tt = await startTikTokEmulator({
      autoApprove: true,
      redirectUris: [REDIRECT],
      users: [{}, {}],
      webhookRetry: { attempts: 3, baseDelayMs: 40, maxDelayMs: 1000, timeoutMs: 2000 },
    });
    app = await receiver(tt.clientSecret);
    tt.setWebhookUrl(app.url);
  });
  beforeEach(() => {
    tt.reset();
    app.events.length = 0;
    app.statuses.length = 0;
    app.arrivals.length = 0;
    app.failNext.count = 0;
  });
  after(async () => {
    await tt.close();
    app.server.closeAllConnections();
    app.server.close();
  });

  const client = (): TikTokClient =>
    new TikTokClient({
      clientKey: tt.clientKey,
      clientSecret: tt.clientSecret,
      redirectUri: REDIRECT,
      ...tt.endpoints,
      retryBaseDelayMs: 5,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });

  it("removeAuthorization revokes the user's grants and delivers a signed authorization.removed", async () => {
    const grant = tt.issueTokens(openId);
    const [delivery] = await tt.removeAuthorization(openId, 1);
    assert.equal(delivery?.status, 'delivered');
    assert.equal(delivery?.attempts.length, 1);
    assert.equal(delivery?.attempts[0]?.status, 200);
    assert.match(delivery?.attempts[0]?.signature ?? '', /^t=\d+,s=[0-9a-f]{64}$/);
    const sent: unknown = JSON.parse(delivery?.body ?? '');
    const createTime = field(sent, 'create_time');
    assert.ok(typeof createTime === 'number' && Math.abs(createTime - Date.now() / 1000) < 5);
    assert.deepEqual(sent, {
      client_key: tt.clientKey,
      event: 'authorization.removed',
      create_time: createTime,
      user_openid: openId,
      content: '{"reason":1}',
    });
    assert.equal(app.events.length, 1);
    assert.deepEqual(app.events[0]?.content, { reason: 1, reasonName: 'user_disconnected' });
    assert.notEqual(await app.removals.removedAt(openId), undefined);
    await assert.rejects(
      client().refreshAccessToken(grant.refresh_token),
      (err: unknown) => err instanceof TikTokAPIError && err.code === 'INVALID_TOKEN',
    );
    await assert.rejects(
      client().getUserInfo(grant.access_token),
      (err: unknown) => err instanceof TikTokAPIError && err.code === 'INVALID_TOKEN',
    );
  });

  it('retries a non-2xx answer with exponential backoff until a 200', async () => {
    app.failNext.count = 2;
    const [delivery] = await tt.removeAuthorization(openId, 2);
    assert.equal(delivery?.status, 'delivered');
    assert.deepEqual(
      delivery?.attempts.map((a) => a.status),
      [500, 500, 200],
    );
    const [a, b, c] = app.arrivals;
    assert.ok(a !== undefined && b !== undefined && c !== undefined);
    assert.ok(b - a >= 38, `first wait ${b - a} ms >= 40 ms`);
    assert.ok(c - b >= 78, `second wait ${c - b} ms >= 80 ms (doubled)`);
    assert.equal(app.events.length, 1);
  });

  it('gives up after the last attempt: status failed', async () => {
    app.failNext.count = 10;
    const [delivery] = await tt.removeAuthorization(openId);
    assert.equal(delivery?.status, 'failed');
    assert.equal(delivery?.attempts.length, 3);
    assert.equal(tt.webhookDeliveries.length, 1);
  });

  it('an unreachable URL is retried and recorded with the error', async () => {
    tt.setWebhookUrl('http://127.0.0.1:1/webhooks/tiktok');
    try {
      const [delivery] = await tt.removeAuthorization(openId);
      assert.equal(delivery?.status, 'failed');
      assert.ok(
        delivery?.attempts.every((a) => a.status === undefined && typeof a.error === 'string'),
      );
    } finally {
      tt.setWebhookUrl(app.url);
    }
  });

  it('copies (sequential and concurrent) and redeliverWebhook send duplicates the app processes once', async () => {
    const sequential = await tt.removeAuthorization(openId, 3, { copies: 2 });
    assert.equal(sequential.length, 2);
    assert.equal(sequential[0]?.body, sequential[1]?.body);
    const concurrent = await tt.sendWebhook(
      { event: 'video.publish.completed', userOpenId: openId, content: { publish_id: 'p1' } },
      { copies: 3, concurrent: true },
    );
    assert.equal(concurrent.length, 3);
    const first = sequential[0];
    assert.ok(first !== undefined);
    await tt.redeliverWebhook(first);
    assert.deepEqual(
      app.events.map((e) => e.event),
      ['authorization.removed', 'video.publish.completed'],
    );
    assert.deepEqual(app.statuses, [200, 200, 200, 200, 200, 200]);
  });

  it('a developer revoke through the revoke endpoint sends reason 5', async () => {
    const grant = tt.issueTokens(openId);
    await client().revokeAccess(grant.access_token);
    await tt.flushWebhooks();
    assert.equal(tt.webhookDeliveries.length, 1);
    assert.deepEqual(app.events[0]?.content, { reason: 5, reasonName: 'developer_revoked' });
  });

  it('the connected-apps page removes the access and says the app was told', async () => {
    const other = 'emulator-open-id-2'; // a body no earlier test sent (the app dedupes)
    tt.issueTokens(other);
    const page = await fetch(
      `${tt.url}/emulator/connected-apps?open_id=${other}&return_to=http://127.0.0.1:3000/`,
    );
    const html = await page.text();
    assert.match(html, /id="remove-access"/);
    assert.match(html, /href="http:\/\/127\.0\.0\.1:3000\/"/);
    const posted = await fetch(`${tt.url}/emulator/connected-apps`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ open_id: other }).toString(),
    });
    assert.match(await posted.text(), /Access removed\. TikTok told the app \(HTTP 200\)/);
    assert.equal(app.events.length, 1);
    assert.equal(app.events[0]?.userOpenId, other);
    assert.equal(tt.count('other'), 0, 'not recorded as a TikTok API request');
  });

  it('misuse is a TypeError', async () => {
    assert.throws(() => tt.setWebhookUrl('ftp://x'), /webhookUrl/);
    await assert.rejects(tt.removeAuthorization('nobody'), /no user has open_id "nobody"/);
    await assert.rejects(
      tt.removeAuthorization(openId, -1),
      /reason must be a non-negative integer/,
    );
    await assert.rejects(
      startTikTokEmulator({ webhookRetry: { attempts: 0 } }),
      /webhookRetry\.attempts/,
    );
  });
});
