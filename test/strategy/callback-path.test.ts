import assert from 'node:assert/strict';
import { CaptureLogger } from '../support/capture-logger';
import { field } from '../support/json';
import {
  consent,
  EXPRESS_VERSIONS,
  startLogin,
  useLoginFixture,
  type Agent,
} from '../support/login';

/** A consented login: the callback path TikTok sends the browser back to (code + state). */
async function consentedCallback(agent: Agent): Promise<string> {
  const callback = await consent(await startLogin(agent));
  const url = new URL(callback, 'http://app.test');
  assert.equal(url.pathname, '/auth/tiktok/callback');
  assert.ok(url.searchParams.has('code') && url.searchParams.has('state'));
  return callback;
}

describe('TikTokStrategy', () => {
  describe('callback', () => {
    for (const version of EXPRESS_VERSIONS) {
      describe(`only the callback URL's path completes a login (${version})`, () => {
        const logger = new CaptureLogger();
        const fx = useLoginFixture({ express: version, strategy: { logger } });

        for (const method of ['get', 'post'] as const) {
          it(`${method.toUpperCase()} /auth/tiktok?code=<real>&state=<real> → 400, no token call, state kept`, async () => {
            const agent = fx.browser();
            const callback = await consentedCallback(agent);
            const query = callback.slice(callback.indexOf('?'));
            const res = await agent[method](`/auth/tiktok${query}`);
            const failure = logger.lines.at(-1);
            assert.equal(res.status, 400, res.text);
            assert.equal(res.headers.location, undefined, 'not sent to TikTok again');
            assert.equal(fx.tt.count('token'), 0);
            assert.equal(field((await agent.get('/me')).body, 'user'), null);
            assert.equal(failure?.message, '[TikTokOAuth] login - failure');
            assert.equal(failure.meta?.errorCode, 'VALIDATION_ERROR');
            assert.equal(
              failure.meta.reason,
              'callback parameters outside the callbackURL path /auth/tiktok/callback',
            );
            // The pending login was left alone: the real callback still completes it.
            const done = await agent.get(callback);
            assert.equal(done.status, 302, done.text);
            assert.equal(fx.tt.count('token'), 1);
            assert.equal(field((await agent.get('/me')).body, 'user', 'id'), 'emulator-open-id-1');
          });
        }

        it('error=access_denied off the callback path → 400, the pending login is not consumed', async () => {
          const agent = fx.browser();
          const callback = await consentedCallback(agent);
          const state = new URL(callback, 'http://app.test').searchParams.get('state') ?? '';
          const res = await agent.get(`/auth/tiktok?error=access_denied&state=${state}`);
          assert.equal(res.status, 400);
          assert.equal((await agent.get(callback)).status, 302);
        });

        it('the start route without callback parameters still starts a login', async () => {
          const res = await fx.browser().get('/auth/tiktok?returnTo=/account');
          assert.equal(res.status, 302);
          assert.equal(new URL(String(res.headers.location)).origin, new URL(fx.tt.url).origin);
        });
      });
    }
  });
});
