import assert from 'node:assert/strict';
import { authorize, useEmulator } from '../support/emulator';
import { rejection } from '../support/assertions';
import { countingServer, type CountingServer } from '../support/net';

// docs/errors.md (CONFIGURATION_ERROR): 3xx and 404 "Unsupported path" are configuration mistakes.
describe('TikTokClient', () => {
  describe('misconfigured endpoints', () => {
    const h = useEmulator();

    describe('a redirect from TikTok', () => {
      let target: CountingServer;
      before(async () => {
        target = await countingServer();
      });
      after(async () => {
        await target.close();
      });

      it('302 on the token endpoint → CONFIGURATION_ERROR, not followed, not retried', async () => {
        const client = h.client();
        const { refresh_token } = h.tt.issueTokens(h.tt.users[0]!.openId);
        h.tt.inject('token', { redirect: `${target.url}/v2/oauth/token/`, times: Infinity });
        const err = await rejection(client.refreshAccessToken(refresh_token));
        assert.equal(err.code, 'CONFIGURATION_ERROR');
        assert.equal(err.statusCode, 500);
        assert.equal(err.retryable, false);
        assert.equal(err.upstreamStatus, 302);
        assert.match(
          err.message,
          /redirect \(HTTP 302\), which is never followed\. Check the tokenURL option/,
        );
        assert.equal(h.tt.count('token'), 1);
        assert.equal(target.hits, 0);
      });

      it('302 on user info (which carries the Bearer token) → not followed either', async () => {
        const client = h.client();
        const { access_token } = h.tt.issueTokens(h.tt.users[0]!.openId);
        h.tt.inject('userinfo', { redirect: `${target.url}/steal`, times: Infinity });
        const err = await rejection(client.getUserInfo(access_token));
        assert.equal(err.code, 'CONFIGURATION_ERROR');
        assert.match(err.message, /Check the userInfoURL option/);
        assert.equal(target.hits, 0);
      });
    });

    describe('404 "Unsupported path(Janus)": the trailing slash was forgotten', () => {
      it('tokenURL without the slash → a configuration message about the trailing slash', async () => {
        const client = h.client({ tokenURL: h.tt.endpoints.tokenURL.replace(/\/$/, '') });
        const { refresh_token } = h.tt.issueTokens(h.tt.users[0]!.openId);
        const err = await rejection(client.refreshAccessToken(refresh_token));
        assert.equal(err.code, 'CONFIGURATION_ERROR');
        assert.equal(err.upstreamStatus, 404);
        assert.equal(
          err.message,
          'Token refresh failed: TikTok answered 404 "Unsupported path": the tokenURL URL is wrong. ' +
            "TikTok's endpoints end with a slash, e.g. https://open.tiktokapis.com/v2/oauth/token/.",
        );
        assert.equal(h.tt.count('other'), 1);
        assert.equal(h.tt.requests[0]!.path, '/v2/oauth/token');
      });

      it('revokeURL without the slash → names revokeURL', async () => {
        const client = h.client({ revokeURL: h.tt.endpoints.revokeURL.replace(/\/$/, '') });
        const { access_token } = h.tt.issueTokens(h.tt.users[0]!.openId);
        const err = await rejection(client.revokeAccess(access_token));
        assert.equal(err.code, 'CONFIGURATION_ERROR');
        assert.match(
          err.message,
          /the revokeURL URL is wrong\. TikTok's endpoints end with a slash/,
        );
        assert.equal(h.tt.count('other'), 1);
      });

      it('the exchange does not burn the code on a wrong URL: it can be retried with the right one', async () => {
        const bad = h.client({ tokenURL: h.tt.endpoints.tokenURL.replace(/\/$/, '') });
        const { code, codeVerifier } = await authorize(bad);
        const err = await rejection(bad.exchangeCodeForTokens(code, { codeVerifier }));
        assert.equal(err.code, 'CONFIGURATION_ERROR');
        const tokens = await h.client().exchangeCodeForTokens(code, { codeVerifier });
        assert.equal(tokens.open_id, h.tt.users[0]!.openId);
      });
    });
  });
});
