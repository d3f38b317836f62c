import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { readConfig } from '../../example/config';
import { startExample, type RunningExample } from '../../example/start';
import { CaptureLogger } from '../support/capture-logger';

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it). */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

describe('example app in a real browser (chromium): the TikTok consent step', function () {
  let browser: Browser | undefined;
  let running: RunningExample | undefined;
  let page: Page;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      if (process.env.CI === 'true') {
        throw new Error(`${CHROMIUM} is missing: CI must install Debian's chromium (.ci/run does)`);
      }
      console.warn(`    skipped: ${CHROMIUM} not found (apt-get install chromium)`);
      this.skip();
    }
    // `npm start` on 127.0.0.1 and ephemeral ports: the emulator shows its consent page.
    running = await startExample(
      readConfig({ PORT: '0', HOST: '127.0.0.1', EMULATOR_PORT: '0', TIKTOK_LOG_LEVEL: 'silent' }),
      { logger: new CaptureLogger(), print: () => undefined },
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await running?.close();
  });
  beforeEach(async () => {
    assert.ok(browser !== undefined);
    page = await (await browser.newContext()).newPage();
    page.setDefaultTimeout(5000); // a failing step fails fast, with Playwright's own message
  });
  afterEach(() => page.context().close());

  /** Home → "Log in with TikTok" → the emulator's consent page. */
  async function toConsent(): Promise<void> {
    assert.ok(running?.emulator !== undefined);
    await page.goto(running.url);
    await page.getByRole('link', { name: 'Log in with TikTok' }).click();
    await page.waitForURL((url) =>
      url.href.startsWith(running?.emulator?.endpoints.authorizationURL ?? '?'),
    );
    assert.equal(await page.textContent('h1'), 'TikTok emulator');
  }

  it('Log in with TikTok → Approve → the profile shows the display name', async () => {
    await toConsent();
    await page.click('#approve');
    await page.waitForURL(`${running?.url ?? ''}/profile`);
    assert.equal(await page.textContent('#display-name'), 'Emulator User');
    assert.equal(await page.textContent('#open-id'), 'emulator-open-id-1');
    assert.deepEqual(await page.locator('#scopes li').allTextContents(), ['user.info.basic']);
  });

  it('Log in with TikTok → Deny → the "cancelled" page with a correlation ID', async () => {
    await toConsent();
    await page.click('#deny');
    await page.waitForURL((url) => url.pathname === '/login-failed');
    assert.equal(await page.textContent('#headline'), 'You cancelled the TikTok login');
    assert.match((await page.textContent('#correlation-id')) ?? '', /^tiktok-\d+-[0-9a-f]{8}$/);
  });

  it('Log out → back home with the login button, /profile gone', async () => {
    await toConsent();
    await page.click('#approve');
    await page.waitForURL((url) => url.pathname === '/profile');
    await page.click('#logout');
    await page.waitForURL(`${running?.url ?? ''}/`);
    assert.equal(await page.isVisible('#login'), true);
    await page.goto(`${running?.url ?? ''}/profile`);
    assert.equal(new URL(page.url()).pathname, '/');
  });

  it('Disconnect TikTok → revoked at TikTok, logged out', async () => {
    await toConsent();
    await page.click('#approve');
    await page.waitForURL((url) => url.pathname === '/profile');
    const revokes = running?.emulator?.count('revoke') ?? -1;
    await page.click('#disconnect');
    await page.waitForURL(`${running?.url ?? ''}/`);
    assert.equal(running?.emulator?.count('revoke'), revokes + 1);
    assert.equal(await page.isVisible('#login'), true);
  });
});
