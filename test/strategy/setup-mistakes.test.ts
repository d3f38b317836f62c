// The mistakes of a first setup that used to leave the developer guessing: a verify that can
// never finish the login (a JavaScript shape TypeScript refuses), one that forgot its `return`,
// and session cookie settings with which no callback can succeed. Each must be named, with its
// fix, in the log line.
import assert from 'node:assert/strict';
import { TikTokStrategy, type TikTokVerifyFunction } from '../../lib';
import { CaptureLogger } from '../support/capture-logger';
import { assertErrorJson, consent, login, startLogin, useLoginFixture } from '../support/login';

const COOKIE_EVENT = 'session cookie will not come back';

/** A verify as a JavaScript app writes it: TypeScript refuses these shapes, JavaScript does not. */
function javaScriptVerify(fn: (...args: never[]) => unknown): TikTokVerifyFunction {
  return fn as unknown as TikTokVerifyFunction;
}

function detailOf(logger: CaptureLogger, event: string): string {
  const line = logger.events(event)[0];
  assert.ok(line !== undefined, `no "${event}" line in:\n${logger.text()}`);
  return String(line.meta?.detail);
}

describe('TikTokStrategy', () => {
  describe('setup mistakes', () => {
    describe('a plain verify that returns the user and declares no done', () => {
      const logger = new CaptureLogger();
      const verify = javaScriptVerify(
        (_accessToken: string, _refreshToken: string, profile: { id: string }) => ({
          id: profile.id,
        }),
      );
      const f = useLoginFixture({ verify, strategy: { logger } });

      it('answers 500 CONFIGURATION_ERROR at once (it used to hang) and the log says to make it async', async () => {
        const res = await login(f.browser());
        assertErrorJson(res, 500, 'CONFIGURATION_ERROR');
        const detail = detailOf(logger, 'error');
        assert.match(
          detail,
          /make it async \(async \(accessToken, refreshToken, profile\) => user\)/,
        );
        assert.match(detail, /call done\(null, user\)/);
        assert.equal(logger.text().includes(f.tt.clientSecret), false);
      });
    });

    describe('a verify that never calls done', () => {
      const logger = new CaptureLogger();
      const verify: TikTokVerifyFunction = (_accessToken, _refreshToken, _profile, _done) => {
        // forgot done
      };
      const f = useLoginFixture({ verify, strategy: { logger, loginDeadlineMs: 400 } });

      it('logs a warning after loginDeadlineMs naming done, while the request still waits', async () => {
        const detail = await stalledCallback(f, logger, 'verify has not finished');
        assert.match(detail, /calls done\(null, user\)/);
      });
    });

    /** Waits (at most 2 s) for the first `event` line; the callback request still waits. */
    async function stalledCallback(
      f: ReturnType<typeof useLoginFixture>,
      logger: CaptureLogger,
      event: string,
    ): Promise<string> {
      const browser = f.browser();
      const callback = await consent(await startLogin(browser));
      const pending = browser
        .get(callback)
        .timeout(2500)
        .then(
          () => 'answered',
          () => 'still waiting',
        );
      const until = Date.now() + 2000;
      while (logger.events(event).length === 0 && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      assert.equal(logger.events(event).length, 1, logger.text());
      assert.equal(await pending, 'still waiting');
      return detailOf(logger, event);
    }

    describe('a userProfile() override that never calls done', () => {
      class SilentProfileStrategy extends TikTokStrategy {
        override userProfile(_accessToken: string, _done: (err?: unknown) => void): void {
          // forgot done
        }
      }
      const logger = new CaptureLogger();
      const f = useLoginFixture({
        strategyClass: SilentProfileStrategy,
        strategy: { logger, loginDeadlineMs: 400 },
      });

      it('logs a warning after loginDeadlineMs naming done, while the request still waits', async () => {
        const detail = await stalledCallback(f, logger, 'userProfile has not finished');
        assert.match(detail, /calls done\(null, profile\) or done\(err\)/);
        assert.equal(logger.events('verify has not finished').length, 0);
      });
    });

    describe('a skipUserProfile function that never answers', () => {
      const logger = new CaptureLogger();
      const f = useLoginFixture({
        strategy: {
          logger,
          loginDeadlineMs: 400,
          skipUserProfile: (
            _accessToken: string,
            _done: (err: unknown, skip?: boolean) => void,
          ) => {
            // forgot done
          },
        },
      });

      it('logs a warning after loginDeadlineMs naming done, while the request still waits', async () => {
        const detail = await stalledCallback(f, logger, 'skipUserProfile has not finished');
        assert.match(detail, /calls done\(null, skip\) or done\(err\)/);
      });
    });

    describe('hooks that answer in time', () => {
      const logger = new CaptureLogger();
      const f = useLoginFixture({
        strategy: {
          logger,
          loginDeadlineMs: 300,
          skipUserProfile: async () => {
            await new Promise((resolve) => setTimeout(resolve, 50));
            return false;
          },
        },
      });

      it('log no stall, then or after the deadline (the timer is cleared)', async () => {
        const res = await login(f.browser());
        assert.equal(res.status, 302, res.text);
        await new Promise((resolve) => setTimeout(resolve, 450));
        assert.doesNotMatch(logger.text(), /has not finished/);
      });
    });

    describe('passport.session() not mounted', () => {
      const logger = new CaptureLogger();
      const f = useLoginFixture({ passportSession: false, strategy: { logger } });
      const EVENT = 'the session has a user that passport did not restore';

      it('the next login start says so, once, naming passport.session()', async () => {
        const browser = f.browser();
        const res = await login(browser);
        assert.equal(res.status, 302, res.text);
        assert.equal(logger.events(EVENT).length, 0, 'nobody was logged in yet');
        await startLogin(browser);
        await startLogin(browser);
        assert.equal(logger.events(EVENT).length, 1, logger.text());
        assert.match(detailOf(logger, EVENT), /app\.use\(passport\.session\(\)\)/);
      });
    });

    describe('passport.session() mounted', () => {
      const logger = new CaptureLogger();
      const f = useLoginFixture({ strategy: { logger } });

      it('a logged-in user starting another login: nothing logged', async () => {
        const browser = f.browser();
        assert.equal((await login(browser)).status, 302);
        await startLogin(browser);
        assert.equal(
          logger.events('the session has a user that passport did not restore').length,
          0,
        );
      });
    });

    describe('a verify reading done from a rest parameter, returning a timer', () => {
      // passport-oauth2 logs this in: done is called later, whatever verify returns.
      const verify = javaScriptVerify((...args: never[]) => {
        const done = args[3] as unknown as (err: null, user: object) => void;
        return setTimeout(() => done(null, { id: 'rest' }), 5);
      });
      const f = useLoginFixture({ verify });

      it('logs in (not refused as a verify that returns the user)', async () => {
        const res = await login(f.browser());
        assert.equal(res.status, 302, res.text);
      });
    });

    describe('an async verify without return', () => {
      const logger = new CaptureLogger();
      const verify = javaScriptVerify(
        async (_accessToken: string, _refreshToken: string, _profile: unknown) => {
          await Promise.resolve(); // the user is saved, but not returned
        },
      );
      const f = useLoginFixture({ verify, strategy: { logger } });

      it('still refuses the login, with a log reason pointing at the missing return', async () => {
        const res = await login(f.browser());
        assertErrorJson(res, 403, 'ACCESS_DENIED');
        const reason = String(logger.events('failure')[0]?.meta?.reason);
        assert.match(reason, /promise resolved to undefined/);
        assert.match(reason, /a missing `return`\?/);
      });
    });

    describe('cookie.secure: true over http', () => {
      const logger = new CaptureLogger();
      const f = useLoginFixture({ cookie: { secure: true }, strategy: { logger } });
      beforeEach(() => logger.lines.splice(0));

      it('warns at the start that the callback will fail, naming cookie.secure and the fix', async () => {
        await startLogin(f.browser());
        const detail = detailOf(logger, COOKIE_EVENT);
        assert.match(detail, /cookie\.secure: true\) but this request came over http/);
        assert.match(detail, /NODE_ENV === 'production'/);
      });

      it('behind an https proxy without trust proxy, names trust proxy', async () => {
        await startLogin(f.browser().set('X-Forwarded-Proto', 'https'));
        assert.match(detailOf(logger, COOKIE_EVENT), /app\.set\('trust proxy', 1\)/);
      });
    });

    describe("cookie.secure: true behind an https proxy, express-session's own proxy: true", () => {
      const logger = new CaptureLogger();
      const f = useLoginFixture({
        cookie: { secure: true },
        sessionProxy: true,
        strategy: { logger },
      });

      it('sets the cookie, so nothing is warned (the settings alone would say otherwise)', async () => {
        const res = await f.browser().get('/auth/tiktok').set('X-Forwarded-Proto', 'https');
        assert.equal(res.status, 302);
        assert.ok(res.headers['set-cookie'] !== undefined, 'express-session set the cookie');
        assert.deepEqual(logger.events(COOKIE_EVENT), []);
      });
    });

    describe("sameSite: 'strict'", () => {
      const logger = new CaptureLogger();
      const f = useLoginFixture({ cookie: { sameSite: 'strict' }, strategy: { logger } });

      it("warns at the start that browsers will not send the cookie back, naming 'lax'", async () => {
        await startLogin(f.browser());
        assert.match(detailOf(logger, COOKIE_EVENT), /SameSite=Strict.*Use sameSite: 'lax'/);
      });
    });

    describe('a login started on another host than callbackURL', () => {
      const logger = new CaptureLogger();
      const f = useLoginFixture({ strategy: { logger } });
      beforeEach(() => logger.lines.splice(0));

      it('www of the callback host (app.test): warns at the start, naming both hosts and the fix', async () => {
        await startLogin(f.browser().set('Host', 'www.app.test'));
        const detail = detailOf(logger, COOKIE_EVENT);
        assert.match(
          detail,
          /^the login started on www\.app\.test, but callbackURL is on app\.test/,
        );
        assert.match(detail, /Open the app on app\.test/);
      });

      it('an unrelated host (a proxy upstream, the test server): no warning', async () => {
        await startLogin(f.browser().set('Host', 'app-upstream:8080'));
        await startLogin(f.browser());
        assert.deepEqual(logger.events(COOKIE_EVENT), []);
      });
    });

    describe("sameSite: 'lax' over http, cookie not Secure", () => {
      const logger = new CaptureLogger();
      const f = useLoginFixture({ strategy: { logger } });

      it('logs in without the warning', async () => {
        const res = await login(f.browser());
        assert.equal(res.status, 302);
        assert.deepEqual(logger.events(COOKIE_EVENT), []);
      });
    });
  });
});
