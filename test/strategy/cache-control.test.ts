// Every answer of a login route carries a state, a session cookie or a login's outcome: each says
// `Cache-Control: no-store`, so that no cache (a CDN told to cache redirects) hands one browser's
// state or session cookie to the next.
import assert from 'node:assert/strict';
import { login, startLogin, useLoginFixture } from '../support/login';

describe('TikTokStrategy', () => {
  describe('Cache-Control of the login routes', () => {
    const f = useLoginFixture();

    it('the start: its redirect to TikTok (with the state, and the session cookie)', async () => {
      const res = await f.browser().get('/auth/tiktok');
      assert.equal(res.status, 302);
      assert.ok(res.headers['set-cookie'] !== undefined);
      assert.equal(res.headers['cache-control'], 'no-store');
    });

    it('the callback: its success (tiktokReturnTo), with the new session cookie', async () => {
      const res = await login(f.browser());
      assert.equal(res.status, 302, res.text);
      assert.ok(res.headers['set-cookie'] !== undefined);
      assert.equal(res.headers['cache-control'], 'no-store');
    });

    it("the callback: a failure with failureRedirect (passport's redirect)", async () => {
      const browser = f.browser();
      const state = (await startLogin(browser, '/auth/tiktok-redirect')).searchParams.get('state');
      const res = await browser.get(
        `/auth/tiktok/callback-redirect?state=${state ?? ''}&error=access_denied`,
      );
      assert.equal(res.status, 302);
      assert.equal(res.headers.location, '/login');
      assert.equal(res.headers['cache-control'], 'no-store');
    });
  });
});
