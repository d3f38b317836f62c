import assert from 'node:assert/strict';
import request, { type Response as TestResponse } from 'supertest';
import { field } from '../support/json';
import { consent, login, startLogin, useLoginFixture } from '../support/login';

/** Resolves after `ms`. */
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('TikTokStrategy', () => {
  describe('a tab whose callback fails while another request replaced the session', () => {
    const f = useLoginFixture();

    /**
     * Sends `callback` (TikTok answers its code exchange 400 ms late, with invalid_grant), and
     * runs `meanwhile` once the callback has consumed its state and waits for TikTok.
     */
    async function failingWhile(
      agent: ReturnType<typeof f.browser>,
      callback: string,
      meanwhile: () => Promise<unknown>,
    ): Promise<TestResponse> {
      f.tt.inject('token', { delayMs: 400, tiktokError: { error: 'invalid_grant' }, times: 1 });
      const failing = agent
        .get(callback)
        .set('Accept', 'application/json')
        .then((res) => res);
      await sleep(150);
      await meanwhile();
      return failing;
    }

    it("another tab's login completing meanwhile stays: the failed tab does not send the old session back", async () => {
      const agent = f.browser();
      const tabA = await consent(await startLogin(agent));
      const tabB = await consent(await startLogin(agent));
      const failed = await failingWhile(agent, tabA, async () => {
        const res = await agent.get(tabB).set('Accept', 'application/json');
        assert.equal(res.status, 302, res.text);
      });
      assert.equal(failed.status, 401);
      assert.equal(failed.headers['set-cookie'], undefined, 'no cookie of the replaced session');
      const me = await agent.get('/me');
      assert.notEqual(field(me.body, 'user'), null, "tab B's login holds");
    });

    it("a logout made meanwhile holds after the other tab's callback fails with an error", async () => {
      const agent = f.browser();
      assert.equal((await login(agent)).status, 302);
      assert.notEqual(field((await agent.get('/me')).body, 'user'), null);
      const tab = await consent(await startLogin(agent, '/auth/tiktok-redirect'));
      const failed = await failingWhile(agent, tab, async () => {
        await agent.post('/logout').expect((res) => assert.ok(res.status < 400, res.text));
      });
      assert.equal(failed.status, 401);
      const me = await agent.get('/me');
      assert.equal(field(me.body, 'user'), null, 'still logged out');
    });

    it("a failureRedirect callback sent with the session cookie another tab's login replaced: no new cookie, that login holds", async () => {
      const agent = f.browser();
      // Tab A starts on the failureRedirect route; its request will carry this first cookie.
      const startA = await agent.get('/auth/tiktok-redirect').expect(302);
      const oldCookie = String(startA.headers['set-cookie']?.[0]).split(';')[0] ?? '';
      assert.match(oldCookie, /=s%3A/);
      const tabA = await consent(new URL(String(startA.headers.location)));
      // Tab B logs in: passport regenerates the session, the store drops the old one.
      assert.equal((await login(agent)).status, 302);
      // Tab A's callback was sent before B's cookie arrived: it carries the old one.
      const failed = await request(f.app.server).get(tabA).set('Cookie', oldCookie);
      assert.equal(failed.status, 302);
      assert.equal(failed.headers.location, '/login');
      assert.equal(failed.headers['set-cookie'], undefined, "no cookie to replace B's");
      assert.notEqual(field((await agent.get('/me')).body, 'user'), null, "tab B's login holds");
      // A browser that sent no session cookie still gets its failure recorded (control).
      const fresh = f.browser();
      const startC = await fresh.get('/auth/tiktok-redirect').expect(302);
      const tabC = await consent(new URL(String(startC.headers.location)));
      const other = await request(f.app.server).get(tabC).set('Cookie', 'analytics=1');
      assert.equal(other.status, 302);
      assert.notEqual(other.headers['set-cookie'], undefined, 'recorded in a new session');
    });

    it('a failure with the session unchanged meanwhile keeps its session (control)', async () => {
      const agent = f.browser();
      const tab = await consent(await startLogin(agent));
      const before = field((await agent.get('/me')).body, 'sessionID');
      const failed = await failingWhile(agent, tab, () => Promise.resolve());
      assert.equal(failed.status, 401);
      assert.equal(field((await agent.get('/me')).body, 'sessionID'), before);
    });
  });
});
