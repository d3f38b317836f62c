import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { readConfig } from '../../example/config';
import { startExample, type RunningExample } from '../../example/start';
import { CaptureLogger } from '../support/capture-logger';
import { launchChromium, requireChromium } from '../support/chromium';

/**
 * `npm run screenshots` sets this to docs/images: the pages README shows are then saved as they
 * render here, so the pictures never go stale. Unset (`npm test`), nothing is written.
 */
const SCREENSHOTS = process.env.EXAMPLE_SCREENSHOTS;

async function screenshot(page: Page, name: string): Promise<void> {
  if (SCREENSHOTS === undefined || SCREENSHOTS === '') return;
  const dir = resolve(__dirname, '../..', SCREENSHOTS);
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

describe('example app: startExample', () => {
  describe('in a real browser (chromium): the TikTok consent step', function () {
    let browser: Browser | undefined;
    let running: RunningExample | undefined;
    let page: Page;

    before(async function () {
      // NOTE: starting chromium and the example on a loaded CI machine once took more than
      // mocha's 20 s (a fresh-clone run; never reproduced alone, ~1 s there): the tests' own
      // steps keep their 5 s Playwright timeout.
      this.timeout(60_000);
      requireChromium(this);
      // `npm start` on 127.0.0.1 and ephemeral ports: the emulator shows its consent page.
      running = await startExample(
        readConfig({
          PORT: '0',
          HOST: '127.0.0.1',
          EMULATOR_PORT: '0',
          TIKTOK_LOG_LEVEL: 'silent',
        }),
        { logger: new CaptureLogger(), print: () => undefined },
      );
      browser = await launchChromium();
    });
    after(async () => {
      await browser?.close();
      await running?.close();
    });
    beforeEach(async () => {
      assert.ok(browser !== undefined);
      page = await (await browser.newContext({ viewport: { width: 800, height: 600 } })).newPage();
      page.setDefaultTimeout(5000); // a failing step fails fast, with Playwright's own message
    });
    afterEach(() => page.context().close());

    /** Home → "Log in with TikTok" → the emulator's consent page. */
    async function toConsent(): Promise<void> {
      assert.ok(running?.emulator !== undefined);
      await page.goto(running.url);
      await screenshot(page, 'home');
      await page.getByRole('link', { name: 'Log in with TikTok' }).click();
      await page.waitForURL((url) =>
        url.href.startsWith(running?.emulator?.endpoints.authorizationURL ?? '?'),
      );
      assert.equal(await page.textContent('h1'), 'TikTok emulator');
      await screenshot(page, 'consent');
    }

    /** The URL of the next callback the browser follows (to replay it). */
    function nextCallbackUrl(): Promise<string> {
      return new Promise((done) => {
        page.on('request', (req) => {
          if (new URL(req.url()).pathname === '/auth/tiktok/callback') done(req.url());
        });
      });
    }

    it('Log in with TikTok → Approve → the profile shows the display name', async () => {
      await toConsent();
      await page.click('#approve');
      await page.waitForURL(`${running?.url ?? ''}/profile`);
      assert.equal(await page.textContent('#display-name'), 'Emulator User');
      assert.equal(await page.textContent('#open-id'), 'emulator-open-id-1');
      assert.deepEqual(await page.locator('#scopes li').allTextContents(), ['user.info.basic']);
      assert.equal(await page.textContent('#token-expiry-relative'), 'in 24 hours');
      await screenshot(page, 'profile');
    });

    it('every page has a favicon the browser can load', async () => {
      assert.ok(running !== undefined);
      await page.goto(running.url);
      const href = await page.getAttribute('link[rel="icon"]', 'href');
      assert.equal(href, '/favicon.svg');
      const icon = await page.request.get(new URL(href, running.url).href);
      assert.equal(icon.status(), 200);
      assert.equal(icon.headers()['content-type'], 'image/svg+xml; charset=utf-8');
    });

    it('the expired link of a finished login, while logged in: "still logged in", then home', async () => {
      const callback = nextCallbackUrl();
      await toConsent();
      await page.click('#approve');
      await page.waitForURL((url) => url.pathname === '/profile');
      await page.goto(await callback);
      await page.waitForURL((url) => url.pathname === '/login-failed');
      assert.equal(
        await page.textContent('#headline'),
        'This login link has expired — you are still logged in',
      );
      await page.click('#home');
      await page.waitForURL(`${running?.url ?? ''}/`);
      assert.equal(await page.textContent('#display-name'), 'Emulator User');
    });

    it('Log in with TikTok → Deny → the "cancelled" page with a correlation ID', async () => {
      await toConsent();
      await page.click('#deny');
      await page.waitForURL((url) => url.pathname === '/login-failed');
      assert.equal(await page.textContent('#headline'), 'You cancelled the TikTok login');
      assert.match((await page.textContent('#correlation-id')) ?? '', /^tiktok-\d+-[0-9a-f]{8}$/);
    });

    it('Log out → confirmed at home; /profile explains and logs you back in to /profile', async () => {
      await toConsent();
      await page.click('#approve');
      await page.waitForURL((url) => url.pathname === '/profile');
      await page.click('#logout');
      await page.waitForURL(`${running?.url ?? ''}/?done=logged-out`);
      assert.equal(await page.textContent('#confirmation'), 'You are logged out.');
      assert.equal(await page.isVisible('#login'), true);
      await page.goto(`${running?.url ?? ''}/profile`);
      assert.equal(await page.textContent('#headline'), 'You are not logged in');
      await page.click('#login');
      await page.waitForURL((url) =>
        url.href.startsWith(running?.emulator?.endpoints.authorizationURL ?? '?'),
      );
      await page.click('#approve');
      await page.waitForURL(`${running?.url ?? ''}/profile`);
    });

    it('Disconnect TikTok → revoked at TikTok, logged out', async () => {
      await toConsent();
      await page.click('#approve');
      await page.waitForURL((url) => url.pathname === '/profile');
      const revokes = running?.emulator?.count('revoke') ?? -1;
      await page.click('#disconnect');
      await page.waitForURL(`${running?.url ?? ''}/?done=disconnected`);
      assert.equal(running?.emulator?.count('revoke'), revokes + 1);
      assert.match((await page.textContent('#confirmation')) ?? '', /^TikTok is disconnected: /);
      assert.equal(await page.isVisible('#login'), true);
    });
  });
});
