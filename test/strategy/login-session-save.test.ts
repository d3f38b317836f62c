import assert from 'node:assert/strict';
import session from 'express-session';
import { MemoryTokenStore } from '../../lib';
import { field } from '../support/json';
import { assertErrorJson, consent, startLogin, useLoginFixture } from '../support/login';

/**
 * A MemoryStore whose next save of a logged-in session (one holding passport's key) fails, as a
 * session store that fails once (a Redis command that times out, a failover) does: passport's
 * `req.login()` save. Later saves work.
 */
class FailingLoginSaveStore extends session.MemoryStore {
  armed = false;
  failures = 0;

  override set(sid: string, data: session.SessionData, callback?: (err?: unknown) => void): void {
    if (this.armed && 'passport' in data) {
      this.armed = false;
      this.failures += 1;
      callback?.(new Error('the session store failed'));
      return;
    }
    super.set(sid, data, callback);
  }
}

describe('TikTokStrategy', () => {
  describe('callback: the session save of req.login() failing', () => {
    const store = new FailingLoginSaveStore();
    const tokenStore = new MemoryTokenStore();
    const fixture = useLoginFixture({ store, strategy: { tokenStore } });
    beforeEach(() => {
      store.armed = false;
      store.failures = 0;
    });

    it('answers 503 and leaves the browser logged out, not logged in behind the 503', async () => {
      const browser = fixture.browser();
      const callback = await consent(await startLogin(browser));
      store.armed = true;
      const res = await browser.get(callback).set('Accept', 'application/json');
      assert.equal(store.failures, 1);
      assertErrorJson(res, 503, 'SERVICE_UNAVAILABLE');
      // The tokens TikTok issued were saved before: nothing is lost.
      assert.ok((await tokenStore.get('emulator-open-id-1')) !== undefined);
      // Before: express-session saved the regenerated session (passport's user in it) at the
      // end of the 503 response, and the browser, following its cookie, was logged in.
      const me = await browser.get('/me');
      assert.equal(field(me.body, 'user'), null);
      assert.equal(field(me.body, 'session', 'passport', 'user'), undefined);
      assert.equal(field(me.body, 'session', 'tiktokLogin'), undefined);
      // The replayed callback is a consumed state; a new login works.
      assertErrorJson(
        await browser.get(callback).set('Accept', 'application/json'),
        400,
        'INVALID_STATE',
      );
      const again = await browser
        .get(await consent(await startLogin(browser)))
        .set('Accept', 'application/json');
      assert.equal(again.status, 302);
      assert.notEqual(field((await browser.get('/me')).body, 'user'), null);
    });

    it("keeps the other tabs' logins unbound, as no one logged in", async () => {
      const browser = fixture.browser();
      const first = await consent(await startLogin(browser));
      const otherTab = await startLogin(browser);
      store.armed = true;
      assertErrorJson(
        await browser.get(first).set('Accept', 'application/json'),
        503,
        'SERVICE_UNAVAILABLE',
      );
      const pending = field((await browser.get('/me')).body, 'session', 'tiktok:pending');
      assert.ok(Array.isArray(pending) && pending.length === 1);
      assert.equal(field(pending[0], 'openId'), undefined);
      const res = await browser.get(await consent(otherTab)).set('Accept', 'application/json');
      assert.equal(res.status, 302);
      assert.equal(field((await browser.get('/me')).body, 'user', 'id'), 'emulator-open-id-1');
    });
  });
});
