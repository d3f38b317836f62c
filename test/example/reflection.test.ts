import assert from 'node:assert/strict';
import { MAX_LOGGED_PATH } from '../../example/request-log';
import { useExampleApp } from '../support/example-app';

// Issue #12 item 9: the failure page showed any `correlationId` from its URL as the support
// reference, and the request logger wrote paths of any length.
describe('example app: createApp', () => {
  describe('nothing from the URL posing as ours', () => {
    const fx = useExampleApp();

    it('/login-failed shows a support reference only in the correlation-ID format', async () => {
      const forged = await fx
        .browser()
        .get('/login-failed?error=RATE_LIMIT&correlationId=CALL-SUPPORT-AT-evil.example');
      assert.equal(forged.status, 200);
      assert.ok(!forged.text.includes('CALL-SUPPORT'), 'the forged reference is not shown');
      assert.ok(!forged.text.includes('id="correlation-id"'));
      assert.ok(forged.text.includes('<code id="code">RATE_LIMIT</code>'), 'the failure still is');

      const real = await fx
        .browser()
        .get('/login-failed?error=RATE_LIMIT&correlationId=tiktok-1764500000000-0a1b2c3d');
      assert.match(
        real.text,
        /<code id="correlation-id">tiktok-1764500000000-0a1b2c3d<\/code>/,
        'a real reference still is',
      );
    });

    it(`the request log line caps the path at ${MAX_LOGGED_PATH} characters`, async () => {
      const long = `/${'a'.repeat(10_000)}`;
      const res = await fx.browser().get(long);
      assert.equal(res.status, 404);
      const line = fx.logger.lines.find(
        (l) => l.message === 'request' && String(l.meta?.path).startsWith('/aaaa'),
      );
      assert.ok(line !== undefined, fx.logger.text().slice(0, 500));
      assert.equal(line.meta?.path, `/${'a'.repeat(MAX_LOGGED_PATH - 1)}…`);
      const short = await fx.browser().get('/nope/short');
      assert.equal(short.status, 404);
      assert.ok(
        fx.logger.lines.some((l) => l.meta?.path === '/nope/short'),
        'short paths as is',
      );
    });
  });
});
