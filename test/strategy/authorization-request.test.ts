import assert from 'node:assert/strict';
import { TikTokStrategy } from '../../lib';
import { codeChallengeForVerifier } from '../../lib/pkce';
import { field } from '../support/json';
import { CaptureLogger } from '../support/capture-logger';
import { outcomeOf, startIn, useStrategyHarnesses } from '../support/strategy-harness';

const BASE = {
  clientKey: 'ck-123',
  clientSecret: 'cs-456',
  callbackURL: 'https://app.example/auth/tiktok/callback',
};

describe('TikTokStrategy', () => {
  describe('login start', () => {
    const harness = useStrategyHarnesses();

    it('redirects to the exact TikTok URL: client_key, comma scopes, hex challenge', async () => {
      const h = harness(
        new TikTokStrategy({ ...BASE, scope: ['user.info.basic', 'user.info.profile'] }),
      );
      const { url, state, verifier } = await startIn(h.browser());
      assert.ok(typeof verifier === 'string' && /^[A-Za-z0-9_-]{43,128}$/.test(verifier));
      assert.match(state, /^[0-9a-f]{64}$/);
      assert.equal(
        url.href,
        'https://www.tiktok.com/v2/auth/authorize/?client_key=ck-123' +
          '&scope=user.info.basic%2Cuser.info.profile&response_type=code' +
          '&redirect_uri=https%3A%2F%2Fapp.example%2Fauth%2Ftiktok%2Fcallback' +
          `&state=${state}&code_challenge=${codeChallengeForVerifier(verifier)}&code_challenge_method=S256`,
      );
      assert.ok(!url.href.includes('cs-456'), 'never the secret');
    });

    it('disableAutoAuth adds disable_auto_auth=1; pkce: false drops the challenge', async () => {
      const h = harness(new TikTokStrategy({ ...BASE, disableAutoAuth: true, pkce: false }));
      const { url, state, verifier } = await startIn(h.browser());
      assert.equal(verifier, undefined);
      assert.equal(
        url.href,
        'https://www.tiktok.com/v2/auth/authorize/?client_key=ck-123&scope=user.info.basic' +
          '&response_type=code&redirect_uri=https%3A%2F%2Fapp.example%2Fauth%2Ftiktok%2Fcallback' +
          `&state=${state}&disable_auto_auth=1`,
      );
    });

    it("per-request scope: passport.authenticate('tiktok', { scope })", async () => {
      const h = harness(new TikTokStrategy(BASE), { scope: 'user.info.basic,user.info.stats' });
      const { url } = await startIn(h.browser());
      assert.equal(url.searchParams.get('scope'), 'user.info.basic,user.info.stats');
    });

    it('the authorizationURL option points elsewhere (e.g. the emulator)', async () => {
      const h = harness(
        new TikTokStrategy({ ...BASE, authorizationURL: 'http://127.0.0.1:9/v2/auth/authorize/' }),
      );
      const { url } = await startIn(h.browser());
      assert.equal(url.origin + url.pathname, 'http://127.0.0.1:9/v2/auth/authorize/');
    });

    it('a passport.authenticate() scope without user.info.basic → CONFIGURATION_ERROR naming the fix, no redirect (every login would end in SCOPE_NOT_AUTHORIZED)', async () => {
      const h = harness(new TikTokStrategy(BASE), { scope: 'user.info.profile' });
      const result = outcomeOf(await h.browser().get('/auth/tiktok'));
      assert.equal(result.outcome, 'error');
      assert.equal(field(result.error, 'code'), 'CONFIGURATION_ERROR');
      assert.match(
        String(field(result.error, 'message')),
        /^passport.authenticate\(\)'s scope option must include user\.info\.basic \(got 'user\.info\.profile'\).*scope: \['user\.info\.basic', 'user\.info\.profile'\]/,
      );
      // With skipUserProfile, such a scope logs in with the open_id alone: started as usual.
      const skip = harness(new TikTokStrategy({ ...BASE, skipUserProfile: true }), {
        scope: 'user.info.profile',
      });
      assert.equal(outcomeOf(await skip.browser().get('/auth/tiktok')).outcome, 'redirect');
    });

    it('each start gets a fresh state and verifier', async () => {
      const h = harness(new TikTokStrategy(BASE));
      const agent = h.browser();
      const a = await startIn(agent);
      const b = await startIn(agent);
      assert.notEqual(a.state, b.state);
      assert.notEqual(a.verifier, b.verifier);
    });

    it('a passport.authenticate() scope that is not strings → CONFIGURATION_ERROR naming it, no crash', async () => {
      const h = harness(new TikTokStrategy(BASE), { scope: [undefined] as never });
      const result = outcomeOf(await h.browser().get('/auth/tiktok'));
      assert.equal(result.outcome, 'error');
      assert.equal(field(result.error, 'code'), 'CONFIGURATION_ERROR');
      assert.match(
        String(field(result.error, 'message')),
        /^passport.authenticate\(\)'s scope option must be a string or an array of strings/,
      );
    });

    it('without a session middleware → error SERVICE_UNAVAILABLE (503), no redirect', async () => {
      const h = harness(new TikTokStrategy(BASE));
      const result = outcomeOf(await h.browser().get('/bare/auth/tiktok'));
      assert.equal(result.outcome, 'error');
      assert.equal(field(result.error, 'code'), 'SERVICE_UNAVAILABLE');
      assert.match(String(field(result.error, 'message')), /express-session/);
    });

    it('without a session middleware the log line says what to do (detail), not only the code', async () => {
      const logger = new CaptureLogger();
      const h = harness(new TikTokStrategy({ ...BASE, logger }));
      await h.browser().get('/bare/auth/tiktok');
      const [line] = logger.lines.filter((l) => l.message === '[TikTokOAuth] login - error');
      assert.equal(line?.meta?.errorCode, 'SERVICE_UNAVAILABLE', logger.text());
      assert.match(String(line.meta.detail), /^Login needs a session: use express-session/);
    });

    it('PUT on the start route → error METHOD_NOT_ALLOWED (GET and POST start a login)', async () => {
      const h = harness(new TikTokStrategy(BASE));
      const agent = h.browser();
      const res = await agent.put('/auth/tiktok');
      const result = outcomeOf(res);
      assert.equal(result.outcome, 'error');
      assert.equal(field(result.error, 'code'), 'METHOD_NOT_ALLOWED');
      assert.equal(res.headers.allow, 'GET, POST');
      assert.equal(outcomeOf(await agent.post('/auth/tiktok')).outcome, 'redirect');
    });
  });
});
