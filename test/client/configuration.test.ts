import assert from 'node:assert/strict';
import { TikTokClient, TikTokStrategy } from '../../lib';
import { authorize, useEmulator } from '../support/emulator';

const CREDENTIALS = {
  clientKey: 'key',
  clientSecret: 'secret',
  redirectUri: 'https://app.example/cb',
} as const;
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

    describe("TikTok's own URLs without their trailing slash: refused when the client is made", () => {
      for (const [option, url] of [
        ['tokenURL', 'https://open.tiktokapis.com/v2/oauth/token'],
        ['revokeURL', 'https://open.tiktokapis.com/v2/oauth/revoke'],
        ['userInfoURL', 'https://open.tiktokapis.com/v2/user/info'],
        ['authorizationURL', 'https://www.tiktok.com/v2/auth/authorize'],
      ] as const) {
        it(`${option} ${url} → a TypeError naming the option and the fix`, () => {
          assert.throws(
            () => new TikTokClient({ ...CREDENTIALS, [option]: url }),
            (err: Error) =>
              err instanceof TypeError &&
              err.message ===
                `TikTokClient option ${option} must end with a slash on ${new URL(url).hostname}: TikTok answers 404 "Unsupported path" without it (e.g. ${url}/)`,
          );
          assert.doesNotThrow(() => new TikTokClient({ ...CREDENTIALS, [option]: `${url}/` }));
        });
      }

      it('the strategy refuses them too; other hosts (a proxy, the emulator) are not checked', () => {
        assert.throws(
          () =>
            new TikTokStrategy({
              ...CREDENTIALS,
              callbackURL: 'https://app.example/cb',
              tokenURL: 'https://open.tiktokapis.com/v2/oauth/token',
            }),
          /TikTokStrategy option tokenURL must end with a slash/,
        );
        assert.doesNotThrow(
          () => new TikTokClient({ ...CREDENTIALS, tokenURL: 'https://proxy.example/token' }),
        );
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
        // The failure line carries the same advice: the page a browser gets does not.
        const [failure] = h.logger.events('failure');
        assert.equal(failure?.meta?.detail, err.message, h.logger.text());
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
