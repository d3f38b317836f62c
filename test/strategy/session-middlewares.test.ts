import assert from 'node:assert/strict';
import cookieSession from 'cookie-session';
import type { RequestHandler } from 'express';
import request from 'supertest';
import { CaptureLogger } from '../support/capture-logger';
import { field } from '../support/json';
import { assertErrorJson, consent, login, startLogin, useLoginFixture } from '../support/login';

/** cookie-session as apps mount it: the whole session in a signed cookie, no server store. */
function cookieSessions(): RequestHandler {
  return cookieSession({ name: 'session', keys: ['test-cookie-session-key'], sameSite: 'lax' });
}

/** The shim apps add after cookie-session for passport >= 0.6: each method calls back at once. */
function shim(methods: readonly ('save' | 'regenerate')[]): RequestHandler {
  return (req, _res, next) => {
    const session: unknown = req.session;
    if (typeof session === 'object' && session !== null) {
      for (const name of methods) {
        if (typeof Reflect.get(session, name) !== 'function') {
          Reflect.set(session, name, (callback: () => void) => callback());
        }
      }
    }
    next();
  };
}

describe('TikTokStrategy', () => {
  describe('session middlewares other than express-session', () => {
    describe('cookie-session without save() or regenerate()', () => {
      const logger = new CaptureLogger();
      const fixture = useLoginFixture({
        sessionMiddleware: [cookieSessions()],
        strategy: { logger },
      });

      it('refuses the start with 500 CONFIGURATION_ERROR naming both methods (it was a retryable 503 "store unreachable")', async () => {
        const res = await fixture.browser().get('/auth/tiktok').set('Accept', 'application/json');
        const error = assertErrorJson(res, 500, 'CONFIGURATION_ERROR');
        assert.equal(error.retryable, false);
        const [line] = logger.events('error');
        assert.ok(line !== undefined);
        assert.equal(line.meta?.errorCode, 'CONFIGURATION_ERROR');
        const detail = String(line.meta?.detail);
        assert.match(detail, /req\.session\.save\(\) and req\.session\.regenerate\(\) missing/);
        assert.match(detail, /cookie-session/);
        assert.match(detail, /docs\/troubleshooting\.md/);
      });
    });

    describe('cookie-session with a save() shim only', () => {
      const logger = new CaptureLogger();
      const fixture = useLoginFixture({
        sessionMiddleware: [cookieSessions(), shim(['save'])],
        strategy: { logger },
      });

      it('answers the callback 500 CONFIGURATION_ERROR naming regenerate() (it never answered)', async () => {
        const browser = fixture.browser();
        const callback = await consent(await startLogin(browser));
        const res = await browser
          .get(callback)
          .set('Accept', 'application/json')
          .timeout({ response: 10_000 });
        assertErrorJson(res, 500, 'CONFIGURATION_ERROR');
        const line = logger
          .events('error')
          .find((l) => l.meta?.errorCode === 'CONFIGURATION_ERROR');
        assert.ok(line !== undefined);
        assert.match(String(line.meta?.detail), /^req\.session\.regenerate\(\) missing/);
        assert.equal(logger.events('exception after the outcome').length, 0);
        // Nobody is logged in.
        assert.equal(field((await browser.get('/me')).body, 'user'), null);
      });
    });

    describe('cookie-session with save() and regenerate() shims', () => {
      const fixture = useLoginFixture({
        sessionMiddleware: [cookieSessions(), shim(['save', 'regenerate'])],
      });

      it("logs in; the state is single-use; the other tab's login completes; logout works", async () => {
        const browser = fixture.browser();
        const start = await browser.get('/auth/tiktok');
        // The cookie as it was before the callback: a copy stays valid (cookie-session).
        const header: unknown = start.headers['set-cookie'];
        const before = (Array.isArray(header) ? header.map(String) : [])
          .map((c) => c.split(';')[0])
          .join('; ');
        assert.match(before, /session=/);
        const tabA = await consent(new URL(String(start.headers.location)));
        const tabB = await consent(await startLogin(browser, '/auth/tiktok?returnTo=/b'));
        const a = await browser.get(tabA).set('Accept', 'application/json');
        assert.equal(a.status, 302);
        assert.equal(field((await browser.get('/me')).body, 'user', 'id'), 'emulator-open-id-1');
        assertErrorJson(
          await browser.get(tabA).set('Accept', 'application/json'),
          400,
          'INVALID_STATE',
        );
        // The old cookie still holds tabA's pending login: the claim store refuses it.
        const replay = await request(fixture.app.server)
          .get(tabA)
          .set('Cookie', before)
          .set('Accept', 'application/json');
        assertErrorJson(replay, 400, 'INVALID_STATE');
        const b = await browser.get(tabB).set('Accept', 'application/json');
        assert.equal(b.status, 302);
        assert.equal(b.headers.location, '/b');
        assert.equal((await browser.post('/logout')).status, 200);
        assert.equal(field((await browser.get('/me')).body, 'user'), null);
        assert.equal((await login(browser)).status, 302);
      });
    });
  });
});
