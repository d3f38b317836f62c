import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Browser, Page } from 'playwright-core';
import { startTikTokEmulator, type TikTokEmulator } from 'passport-tiktok/testing';
import { createApp, WEBHOOK_PATH, type ExampleApp } from '../../example/app';
import { readConfig } from '../../example/config';
import { startExample } from '../../example/start';
import { CaptureLogger } from '../support/capture-logger';
import { launchChromium, requireChromium } from '../support/chromium';
import { connectTestRedis, deleteKeys, uniquePrefix, type TestRedis } from '../support/redis';

describe('tiktokSessionRevocation', () => {
  describe('example app in chromium: disconnect the app in TikTok (emulator) → logged out', function () {
    let browser: Browser | undefined;
    let redis: TestRedis | undefined;
    let tt: TikTokEmulator | undefined;
    let example: ExampleApp | undefined;
    let server: Server | undefined;
    let appUrl = '';
    let page: Page;
    const prefix = uniquePrefix();
    const logger = new CaptureLogger();

    before(async function () {
      this.timeout(60_000); // chromium and the example on a loaded CI machine (see the example's)
      requireChromium(this);
      redis = await connectTestRedis(this);
      server = createServer();
      await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
      appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const callbackURL = `${appUrl}/auth/tiktok/callback`;
      tt = await startTikTokEmulator({
        redirectUris: [callbackURL],
        webhookUrl: `${appUrl}${WEBHOOK_PATH}`,
      });
      example = createApp({
        clientKey: tt.clientKey,
        clientSecret: tt.clientSecret,
        callbackURL,
        ...tt.endpoints,
        usingEmulator: true,
        emulatorUrl: tt.url,
        redis,
        redisPrefix: prefix,
        tokenEncryptionKey: randomBytes(32),
        sessionSecret: 'browser-webhook-test',
        logger,
      });
      server.on('request', example.app);
      browser = await launchChromium();
      page = await (await browser.newContext()).newPage();
      page.setDefaultTimeout(5000);
    });
    after(async () => {
      await browser?.close();
      server?.closeAllConnections();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await example?.close();
      await tt?.close();
      if (redis !== undefined) {
        await deleteKeys(redis, prefix);
        redis.destroy();
      }
    });

    const tokenKeys = (): Promise<string[]> =>
      redis?.keys(`${prefix}tokens:*`) ?? Promise.resolve([]);

    it("log in, remove the access on the emulator's page, the next page load is logged out and the tokens are gone", async () => {
      await page.goto(appUrl);
      await page.getByRole('link', { name: 'Log in with TikTok' }).click();
      await page.click('#approve');
      await page.waitForURL(`${appUrl}/profile`);
      assert.equal(await page.textContent('#open-id'), 'emulator-open-id-1');
      assert.equal((await tokenKeys()).length, 1, 'tokens saved in Redis at login');

      await page.click('#disconnect-in-tiktok');
      await page.waitForURL((url) =>
        url.href.startsWith(`${tt?.url ?? '?'}/emulator/connected-apps`),
      );
      const started = performance.now();
      await page.click('#remove-access');
      assert.match(
        (await page.textContent('#result')) ?? '',
        /Access removed\. TikTok told the app \(HTTP 200\)/,
      );
      await page.click('#back'); // back to /profile: the session is gone, so it offers the login
      await page.waitForURL(`${appUrl}/profile`);
      await page.waitForSelector('#headline');
      const elapsed = performance.now() - started;
      assert.equal(await page.textContent('#headline'), 'You are not logged in');
      assert.equal(await page.isVisible('#login'), true);
      assert.deepEqual(await tokenKeys(), [], 'tokens gone from Redis');
      assert.equal(tt?.webhookDeliveries[0]?.status, 'delivered');
      assert.equal(logger.events('session ended: TikTok authorization removed').length, 1);
      process.stdout.write(
        `      removal click → logged-out page in the browser: ${elapsed.toFixed(0)} ms\n`,
      );

      // A new login after the removal works and stays.
      await page.getByRole('link', { name: 'Log in with TikTok' }).click();
      await page.click('#approve');
      await page.waitForURL(`${appUrl}/profile`);
      await page.reload();
      assert.equal(await page.textContent('#open-id'), 'emulator-open-id-1');
    });

    it("npm start points the emulator's webhook URL at the app", async () => {
      const running = await startExample(
        readConfig({
          PORT: '0',
          HOST: '127.0.0.1',
          EMULATOR_PORT: '0',
          TIKTOK_LOG_LEVEL: 'silent',
        }),
        { logger: new CaptureLogger(), print: () => undefined },
      );
      try {
        assert.equal(running.emulator?.webhookUrl, `${running.url}${WEBHOOK_PATH}`);
      } finally {
        await running.close();
      }
    });
  });
});
