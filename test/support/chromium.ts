import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/**
 * Debian's chromium (`apt-get install chromium`; .ci/run installs it). `CHROMIUM_PATH` points
 * the browser tests at another binary (or at a missing one, to check that `npm run test:unit`
 * needs none).
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Skips the calling suite when chromium is missing locally; under `CI=true` a missing chromium
 * fails it (CI installs it, so a skip would hide a broken setup).
 */
export function requireChromium(ctx: Mocha.Context): void {
  if (existsSync(CHROMIUM)) return;
  if (process.env.CI === 'true') {
    throw new Error(`${CHROMIUM} is missing: CI must install Debian's chromium (.ci/run does)`);
  }
  console.warn(`    skipped: ${CHROMIUM} not found (apt-get install chromium)`);
  ctx.skip();
}

/** Headless chromium with nothing in the background that could reach the network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}
