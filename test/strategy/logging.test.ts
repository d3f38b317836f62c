import assert from 'node:assert/strict';
import { CaptureLogger } from '../support/capture-logger';
import { login, useLoginFixture } from '../support/login';

/** A CaptureLogger at `info`: `debug` is off, as with the default logger's default level. */
class InfoLogger extends CaptureLogger {
  isLevelEnabled(level: string): boolean {
    return level !== 'debug';
  }
}

describe('TikTokStrategy', () => {
  describe('log lines of a successful login', () => {
    describe('with debug on', () => {
      const logger = new CaptureLogger();
      const fx = useLoginFixture({ strategy: { logger } });

      it('writes the redirect and the success, with the granted scopes', async () => {
        await login(fx.browser());
        assert.equal(logger.events('redirect').length, 1);
        const [success] = logger.events('success').filter((l) => l.message.includes('login'));
        assert.ok(success, logger.text());
        assert.equal(success.level, 'debug');
        assert.equal(typeof success.meta?.correlationId, 'string');
        assert.equal(typeof success.meta?.durationMs, 'number');
        assert.equal(success.meta?.grantedScopes, 'user.info.basic');
      });
    });

    describe('at info', () => {
      const logger = new InfoLogger();
      const fx = useLoginFixture({ strategy: { logger } });

      it('writes nothing: no line is built for a level that is off', async () => {
        await login(fx.browser());
        assert.deepEqual(logger.lines, []);
      });
    });
  });
});
