import assert from 'node:assert/strict';
import request from 'supertest';
import { MemoryTokenStore } from '../../lib';
import { field } from '../support/json';
import {
  assertErrorJson,
  consent,
  sessionCookie,
  startLogin,
  useLoginFixture,
} from '../support/login';

const VICTIM = 'emulator-open-id-1';
const ATTACKER = 'emulator-open-id-2';

describe('TikTokStrategy', () => {
  describe('callback', () => {
    describe('session fixation (a planted session cookie)', () => {
      const fx = useLoginFixture();

      it("the attacker's session id is worthless once the victim has logged in with it", async () => {
        const server = fx.app.server;
        // The attacker gets a session id of their own…
        const own = await request(server).get('/auth/tiktok');
        const planted = sessionCookie(own);
        assert.ok(planted !== undefined);
        const cookie = `connect.sid=${planted}`;
        // …and plants it in the victim's browser, who then logs in with it.
        const start = await request(server).get('/auth/tiktok').set('Cookie', cookie);
        assert.equal(start.status, 302);
        const callback = await request(server)
          .get(await consent(new URL(String(start.headers.location))))
          .set('Cookie', cookie);
        assert.equal(callback.status, 302);
        const issued = sessionCookie(callback);
        assert.ok(issued !== undefined && issued !== planted, 'a new session id at login');
        const victim = await request(server).get('/me').set('Cookie', `connect.sid=${issued}`);
        assert.equal(field(victim.body, 'user', 'id'), 'emulator-open-id-1');
        const attacker = await request(server).get('/me').set('Cookie', cookie);
        assert.equal(field(attacker.body, 'user'), null, 'the planted id is not logged in');
        assert.notEqual(field(attacker.body, 'sessionID'), field(victim.body, 'sessionID'));
      });
    });

    describe('login swap through a pending login carried across the login', () => {
      const tokenStore = new MemoryTokenStore();
      const fx = useLoginFixture({ emulator: { users: [{}, {}] }, strategy: { tokenStore } });

      it("the attacker's planted pending login cannot switch the victim's session to the attacker", async () => {
        const server = fx.app.server;
        // The attacker starts a login in cookie F, approves as their own TikTok account and keeps
        // the callback URL instead of following it…
        const own = await request(server).get('/auth/tiktok');
        const planted = sessionCookie(own);
        assert.ok(planted !== undefined);
        const cookie = `connect.sid=${planted}`;
        fx.tt.setConsent({ decision: 'approve', openId: ATTACKER });
        const attackersCallback = await consent(new URL(String(own.headers.location)));
        fx.tt.setConsent();
        // …plants F in the victim's browser, who logs in as the victim (the session id rotates; the
        // attacker's pending login is carried over as one of "the other tabs").
        const start = await request(server).get('/auth/tiktok').set('Cookie', cookie);
        const victimLogin = await request(server)
          .get(await consent(new URL(String(start.headers.location))))
          .set('Cookie', cookie);
        assert.equal(victimLogin.status, 302);
        const issued = sessionCookie(victimLogin);
        assert.ok(issued !== undefined && issued !== planted);
        const victimCookie = `connect.sid=${issued}`;
        // The victim is then sent to the attacker's callback URL.
        const swap = await request(server)
          .get(attackersCallback)
          .set('Cookie', victimCookie)
          .set('Accept', 'application/json');
        const error = assertErrorJson(swap, 400, 'INVALID_STATE');
        assert.match(error.message, /different TikTok account/);
        const me = await request(server).get('/me').set('Cookie', victimCookie);
        assert.equal(field(me.body, 'user', 'id'), VICTIM, 'the session keeps its user');
        // The attacker's code was exchanged (only that tells the account), but its tokens were
        // neither saved nor used.
        assert.equal(fx.tt.count('token'), 2);
        assert.equal(fx.tt.count('userinfo'), 1);
        assert.equal(await tokenStore.get(ATTACKER), undefined);
        assert.notEqual(await tokenStore.get(VICTIM), undefined);
      });

      it('two tabs of one user: the tab carried across the first login completes as that user', async () => {
        const agent = fx.browser();
        const tabA = await startLogin(agent);
        const tabB = await startLogin(agent);
        assert.equal((await agent.get(await consent(tabA))).status, 302);
        const finishB = await agent.get(await consent(tabB));
        assert.equal(finishB.status, 302, finishB.text);
        assert.equal(field((await agent.get('/me')).body, 'user', 'id'), VICTIM);
      });

      it('a login started after signing in may switch accounts (nothing was carried over)', async () => {
        const agent = fx.browser();
        assert.equal((await agent.get(await consent(await startLogin(agent)))).status, 302);
        fx.tt.setConsent({ decision: 'approve', openId: ATTACKER });
        const second = await agent.get(await consent(await startLogin(agent)));
        assert.equal(second.status, 302, second.text);
        assert.equal(field((await agent.get('/me')).body, 'user', 'id'), ATTACKER);
      });
    });
  });
});
