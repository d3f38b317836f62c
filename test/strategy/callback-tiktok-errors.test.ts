// `error=` in a callback with a valid state: what the browser gets and what the log says. Anyone
// can send these with a state of their own, so none answers 5xx or logs at error.
import assert from 'node:assert/strict';
import { CaptureLogger } from '../support/capture-logger';
import { assertErrorJson, startLogin, useLoginFixture } from '../support/login';

describe('TikTokStrategy', () => {
  describe('callback: TikTok errors sent back with the browser', () => {
    const logger = new CaptureLogger();
    const f = useLoginFixture({ strategy: { logger } });
    beforeEach(() => logger.lines.splice(0));

    async function callbackWith(error: string): Promise<void> {
      const browser = f.browser();
      const state = (await startLogin(browser)).searchParams.get('state') ?? '';
      const res = await browser
        .get(`/auth/tiktok/callback?state=${state}&error=${error}&error_description=x`)
        .set('Accept', 'application/json');
      assertErrorJson(res, 400, 'VALIDATION_ERROR');
    }

    const CASES: [string, string][] = [
      ['invalid_client', ' configuration error'],
      ['unauthorized_client', ' configuration error'],
      ['server_error', ' server error'],
      ['temporarily_unavailable', ' server error'],
      ['made_up_thing', 'n error it does not document'],
      ['internal_error', 'n error it does not document'],
    ];
    for (const [error, what] of CASES) {
      it(`${error}: 400, and one warn line naming a${what}`, async () => {
        await callbackWith(error);
        const lines = logger.lines.filter((l) => l.message.includes('redirected back'));
        assert.deepEqual(
          lines.map((l) => [l.level, l.message, l.meta?.tiktokError]),
          [['warn', `[TikTokOAuth] login - TikTok redirected back with a${what}`, error]],
        );
        assert.equal(
          logger.lines.some((l) => l.level === 'error'),
          false,
          logger.text(),
        );
      });
    }
  });
});
