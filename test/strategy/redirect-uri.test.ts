import assert from 'node:assert/strict';
import type passportModule from 'passport';
import { TikTokStrategy } from '../../lib';
import { startTikTokEmulator, type TikTokEmulator } from '../../lib/testing';
import { realNow } from '../support/clock';
import {
  CALLBACK_URL,
  consent,
  emulatorOptions,
  startLogin,
  useLoginFixture,
} from '../support/login';
import { countingServer, type CountingServer } from '../support/net';
import { StrategyHarness, outcomeOf } from '../support/strategy-harness';

describe('TikTokStrategy', () => {
  describe('the redirect URI (RFC 9700 §2.1, §4.1) and a single AS (§4.4)', () => {
    describe('registered exactly at the emulator', () => {
      const fx = useLoginFixture();

      it('is byte-identical at authorize and at the code exchange, and is the configured one', async () => {
        const agent = fx.browser();
        const authorizeUrl = await startLogin(agent);
        assert.equal(authorizeUrl.searchParams.get('redirect_uri'), CALLBACK_URL);
        assert.equal((await agent.get(await consent(authorizeUrl))).status, 302);
        const [authorize] = fx.tt.requests.filter((r) => r.endpoint === 'authorize');
        const [exchange] = fx.tt.requests.filter((r) => r.grantType === 'authorization_code');
        assert.equal(authorize?.query.redirect_uri, CALLBACK_URL);
        assert.equal(exchange?.form?.redirect_uri, CALLBACK_URL);
      });

      it('never comes from the request: Host and X-Forwarded-* headers change nothing', async () => {
        const res = await fx
          .browser()
          .get('/auth/tiktok')
          .set('Host', 'evil.example')
          .set('X-Forwarded-Host', 'evil.example')
          .set('X-Forwarded-Proto', 'https')
          .set('Forwarded', 'host=evil.example;proto=https');
        assert.equal(res.status, 302);
        const location = new URL(String(res.headers.location));
        assert.equal(location.origin, new URL(fx.tt.url).origin);
        assert.equal(location.searchParams.get('redirect_uri'), CALLBACK_URL);
        assert.ok(!String(res.headers.location).includes('evil.example'));
      });
    });

    describe('per-request options cannot move the flow to another server', () => {
      let tt: TikTokEmulator;
      let elsewhere: CountingServer;
      let harness: StrategyHarness;

      before(async () => {
        tt = await startTikTokEmulator({
          autoApprove: true,
          clock: realNow,
          redirectUris: [CALLBACK_URL],
        });
        elsewhere = await countingServer();
        const evil = `${elsewhere.url}/v2/oauth/token/`;
        // What a confused app might pass per request (passport-oauth2 honours callbackURL here).
        const hostile: passportModule.AuthenticateOptions & Record<string, unknown> = {
          scope: 'user.info.basic',
          tokenURL: evil,
          authorizationURL: evil,
          userInfoURL: evil,
        };
        harness = new StrategyHarness(new TikTokStrategy(emulatorOptions(tt)), hostile);
      });
      after(async () => {
        await harness.close();
        await elsewhere.close();
        await tt.close();
      });

      it('the browser goes to the configured TikTok, the code only to its token endpoint', async () => {
        const agent = harness.browser();
        const start = outcomeOf(await agent.get('/auth/tiktok'));
        assert.equal(start.outcome, 'redirect');
        const authorizeUrl = new URL(start.location ?? '');
        assert.equal(authorizeUrl.origin, new URL(tt.url).origin);
        assert.equal(authorizeUrl.searchParams.get('redirect_uri'), CALLBACK_URL);
        const done = outcomeOf(await agent.get(await consent(authorizeUrl)));
        assert.equal(done.outcome, 'success');
        assert.equal(tt.count('token', { grantType: 'authorization_code' }), 1);
        assert.equal(tt.count('userinfo'), 1);
        assert.equal(elsewhere.hits, 0, 'nothing was sent anywhere else');
      });

      it('a per-request callbackURL (passport-oauth2 honours it) fails the start: nothing sent anywhere', async () => {
        const moved = new StrategyHarness(new TikTokStrategy(emulatorOptions(tt)), {
          callbackURL: `${elsewhere.url}/callback`,
        } as passportModule.AuthenticateOptions);
        try {
          const before = tt.requests.length;
          const start = outcomeOf(await moved.browser().get('/auth/tiktok'));
          assert.equal(start.outcome, 'error');
          assert.equal(tt.requests.length, before, 'nobody sent to TikTok');
          assert.equal(elsewhere.hits, 0);
        } finally {
          await moved.close();
        }
      });
    });
  });
});
