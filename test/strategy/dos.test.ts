import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CaptureLogger } from '../support/capture-logger';
import { MemoryClaimStore } from '../../lib';
import { field } from '../support/json';
import { startLogin, useLoginFixture } from '../support/login';

describe('TikTokStrategy', () => {
  describe('resource exhaustion through the login routes', () => {
    const claimStore = new MemoryClaimStore({ maxEntries: 100 });
    const fx = useLoginFixture({ strategy: { claimStore } });

    it('300 callbacks with made-up states: no TikTok call, no claim, the session does not grow', async () => {
      const agent = fx.browser();
      await startLogin(agent);
      for (let i = 0; i < 300; i++) {
        const state = randomBytes(32).toString('hex');
        const res = await agent.get(`/auth/tiktok/callback?code=c${i}&state=${state}`);
        assert.equal(res.status, 400);
      }
      assert.equal(fx.tt.count('token'), 0);
      assert.equal(claimStore.size, 0, 'claims are only taken for a state this session issued');
      const pending = field((await agent.get('/me')).body, 'session', 'tiktok:pending');
      assert.ok(Array.isArray(pending) && pending.length === 1);
    });

    it('50 login starts in one session keep 5 pending logins (and one session)', async () => {
      const agent = fx.browser();
      for (let i = 0; i < 50; i++) await startLogin(agent);
      const me = await agent.get('/me');
      const pending = field(me.body, 'session', 'tiktok:pending');
      assert.ok(Array.isArray(pending));
      assert.equal(pending.length, 5);
      assert.ok(JSON.stringify(pending).length < 5 * 400, 'each pending login is small');
    });

    it('claims stay bounded under a flood of real callbacks (maxEntries)', async () => {
      for (let i = 0; i < 120; i++) {
        const agent = fx.browser();
        const authorize = await startLogin(agent);
        const state = authorize.searchParams.get('state') ?? '';
        // A valid state with a code TikTok refuses: the state is claimed, then the exchange fails.
        const res = await agent.get(`/auth/tiktok/callback?code=bogus${i}&state=${state}`);
        assert.equal(res.status, 401);
      }
      assert.ok(claimStore.size <= 100, `${claimStore.size} claims held`);
    });
  });
  // A callback's `code` and `state` feed the login's log scrubber. A state that is a word of the
  // failure line ("tiktokoauth") made it compile the escaped-form regex of every secret, the
  // attacker's code included: ~0.15 ms of blocked event loop per character, and for a code of
  // several KiB a SyntaxError whose message spelled out the client secret, sent by Express's
  // default handler (outside production) as a 500 page.
  describe('a huge code with a state that is a word of the log line', () => {
    const logger = new CaptureLogger();
    const fx = useLoginFixture({ strategy: { logger } });

    it('is a 400 without the client secret, quickly, for codes up to the URL limit', async () => {
      const secret = fx.tt.clientSecret;
      for (const length of [2000, 7000, 14000]) {
        const code = randomBytes(length).toString('base64url').slice(0, length);
        const started = Date.now();
        const res = await fx
          .browser()
          .get(`/auth/tiktok/callback?state=tiktokoauth&code=${code}`)
          .set('Accept', 'text/html');
        const ms = Date.now() - started;
        assert.equal(res.status, 400, `code of ${length}: ${res.text.slice(0, 200)}`);
        assert.ok(!res.text.includes('Invalid regular expression'));
        const spelled = Array.from(secret)
          .map((c) => `(?:${c}|`)
          .join('');
        assert.ok(!res.text.includes(spelled.slice(0, 40)), 'no client secret, even spelled out');
        // Generous, for a loaded CI machine: the old scrubber spent ~300 ms on a 2 000-character
        // code and threw for the longer ones (the status check above catches that).
        assert.ok(ms < 1000, `code of ${length}: ${ms} ms`);
      }
      assert.ok(logger.lines.some((l) => l.message.endsWith('login - failure')));
    });
  });
});
