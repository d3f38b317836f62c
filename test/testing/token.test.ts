import assert from 'node:assert/strict';
import { startTikTokEmulator, type TikTokEmulator } from '../../lib/testing';
import {
  BASE64URL_CHALLENGE,
  assertOAuthError,
  authorizeCode,
  exchangeCode,
  jsonObject,
  postForm,
  refreshTokens,
  stringProp,
  userInfo,
  REDIRECT_URI,
} from './helpers';

describe('emulator: token', () => {
  let tt: TikTokEmulator;
  let now = Date.UTC(2025, 0, 1);

  before(async () => {
    tt = await startTikTokEmulator({ clock: () => now, redirectUris: [REDIRECT_URI] });
  });
  after(() => tt.close());
  beforeEach(() => {
    tt.reset();
    now = Date.UTC(2025, 0, 1);
  });

  describe('authorization_code', () => {
    it('exchanges a code with the hex PKCE verifier for a flat token body', async () => {
      const code = await authorizeCode(tt, { scope: 'user.info.basic,user.info.profile' });
      const response = await exchangeCode(tt, code);
      assert.equal(response.status, 200);
      const body = await jsonObject(response);
      assert.deepEqual(Object.keys(body).sort(), [
        'access_token',
        'expires_in',
        'open_id',
        'refresh_expires_in',
        'refresh_token',
        'scope',
        'token_type',
      ]);
      assert.match(stringProp(body, 'access_token'), /^act\.[0-9a-f]{64}$/);
      assert.match(stringProp(body, 'refresh_token'), /^rft\.[0-9a-f]{64}$/);
      assert.equal(body.open_id, 'emulator-open-id-1');
      assert.equal(body.scope, 'user.info.basic,user.info.profile');
      assert.equal(body.expires_in, 86_400);
      assert.equal(body.refresh_expires_in, 31_536_000);
      assert.equal(body.token_type, 'Bearer');
    });

    it('fails a base64url (RFC 7636) challenge at the exchange', async () => {
      const code = await authorizeCode(tt, { code_challenge: BASE64URL_CHALLENGE });
      await assertOAuthError(
        await exchangeCode(tt, code),
        'invalid_request',
        'Code verifier or code challenge is invalid.',
      );
    });

    it('fails a missing or malformed verifier', async () => {
      const code = await authorizeCode(tt);
      await assertOAuthError(
        await exchangeCode(tt, code, { code_verifier: '' }),
        'invalid_request',
      );
      const other = await authorizeCode(tt);
      const short = await exchangeCode(tt, other, { code_verifier: 'abc' });
      await assertOAuthError(short, 'invalid_request');
    });

    it('rejects a JSON body', async () => {
      const response = await fetch(tt.endpoints.tokenURL, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_key: tt.clientKey, client_secret: tt.clientSecret }),
      });
      await assertOAuthError(
        response,
        'invalid_request',
        'Content-Type must be application/x-www-form-urlencoded.',
      );
    });

    it('answers a wrong secret with invalid_client and HTTP 200', async () => {
      const code = await authorizeCode(tt);
      await assertOAuthError(
        await exchangeCode(tt, code, { client_secret: 'wrong' }),
        'invalid_client',
        undefined,
        200,
      );
    });

    it('ignores Basic authentication: credentials belong in the body', async () => {
      const basic = Buffer.from(`${tt.clientKey}:${tt.clientSecret}`).toString('base64');
      const response = await fetch(tt.endpoints.tokenURL, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}` },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
      await assertOAuthError(response, 'invalid_request', 'Client secret is missed in request.');
    });

    it('a form without client_secret → invalid_request, as TikTok answers it; a wrong one → invalid_client', async () => {
      await assertOAuthError(
        await postForm(tt.endpoints.tokenURL, {
          client_key: tt.clientKey,
          grant_type: 'client_credentials',
        }),
        'invalid_request',
        'Client secret is missed in request.',
      );
      await assertOAuthError(
        await postForm(tt.endpoints.tokenURL, {
          client_key: tt.clientKey,
          client_secret: 'not-the-secret',
          grant_type: 'client_credentials',
        }),
        'invalid_client',
        'Client key or client secret is invalid.',
      );
    });

    it('refuses to reuse a code', async () => {
      const code = await authorizeCode(tt);
      assert.equal((await exchangeCode(tt, code)).status, 200);
      await assertOAuthError(
        await exchangeCode(tt, code),
        'invalid_grant',
        'Authorization code is invalid or has been used.',
      );
    });

    it('consumes a code even when the first exchange fails', async () => {
      const code = await authorizeCode(tt);
      await assertOAuthError(
        await exchangeCode(tt, code, { code_verifier: 'x' }),
        'invalid_request',
      );
      await assertOAuthError(await exchangeCode(tt, code), 'invalid_grant');
    });

    it('refuses an expired code', async () => {
      const code = await authorizeCode(tt);
      now += 300_000;
      await assertOAuthError(
        await exchangeCode(tt, code),
        'invalid_grant',
        'Authorization code is expired.',
      );
    });

    it('refuses a redirect_uri that differs from the authorize one', async () => {
      const code = await authorizeCode(tt);
      const response = await exchangeCode(tt, code, {
        redirect_uri: 'http://127.0.0.1:3000/auth/tiktok/callback/',
      });
      await assertOAuthError(response, 'invalid_request');
    });
  });

  describe('refresh_token', () => {
    it('rotates: new tokens work, the old refresh token is rejected', async () => {
      const first = tt.issueTokens('emulator-open-id-1', ['user.info.basic']);
      const response = await refreshTokens(tt, first.refresh_token);
      assert.equal(response.status, 200);
      const second = await jsonObject(response);
      const newRefresh = stringProp(second, 'refresh_token');
      assert.notEqual(newRefresh, first.refresh_token);
      assert.notEqual(second.access_token, first.access_token);
      assert.equal(second.scope, 'user.info.basic');
      await assertOAuthError(await refreshTokens(tt, first.refresh_token), 'invalid_grant');
      assert.equal((await refreshTokens(tt, newRefresh)).status, 200);
      const info = await userInfo(tt, stringProp(second, 'access_token'), 'open_id');
      assert.equal(info.status, 200);
    });

    it('refuses an expired refresh token', async () => {
      const tokens = tt.issueTokens('emulator-open-id-1', ['user.info.basic'], {
        refreshTtlSec: 10,
      });
      now += 10_000;
      await assertOAuthError(
        await refreshTokens(tt, tokens.refresh_token),
        'invalid_grant',
        'Refresh token is expired.',
      );
    });

    it("grants every scope of TikTok's scope reference, and refuses others", () => {
      const scopes = ['user.info.basic', 'artist.certification.read', 'portability.all.single'];
      assert.equal(tt.issueTokens('emulator-open-id-1', scopes).scope, scopes.join(','));
      assert.throws(() => tt.issueTokens('emulator-open-id-1', ['user.email']), /unknown scope/);
    });

    it("a refresh keeps the grant's lifetimes: refresh_expires_in counts down to the login's expiry", async () => {
      const first = tt.issueTokens('emulator-open-id-1', ['user.info.basic'], {
        accessTtlSec: 600,
        refreshTtlSec: 100,
      });
      now += 40_000;
      const second = await jsonObject(await refreshTokens(tt, first.refresh_token));
      assert.deepEqual([second.expires_in, second.refresh_expires_in], [600, 60]);
      now += 30_500;
      const third = await jsonObject(await refreshTokens(tt, stringProp(second, 'refresh_token')));
      // 29.5 s left: whole seconds, rounded up.
      assert.deepEqual([third.expires_in, third.refresh_expires_in], [600, 30]);
      now += 29_500;
      await assertOAuthError(
        await refreshTokens(tt, stringProp(third, 'refresh_token')),
        'invalid_grant',
        'Refresh token is expired.',
      );
    });

    it('refuses a refresh token expired with expireRefreshToken', async () => {
      const tokens = tt.issueTokens('emulator-open-id-1');
      tt.expireRefreshToken(tokens.refresh_token);
      await assertOAuthError(await refreshTokens(tt, tokens.refresh_token), 'invalid_grant');
      assert.equal(tt.count('token', { grantType: 'refresh_token' }), 1);
    });
  });

  describe('other grants', () => {
    it('issues a client token for client_credentials', async () => {
      const response = await postForm(tt.endpoints.tokenURL, {
        client_key: tt.clientKey,
        client_secret: tt.clientSecret,
        grant_type: 'client_credentials',
      });
      const body = await jsonObject(response);
      assert.match(stringProp(body, 'access_token'), /^clt\.[0-9a-f]{64}$/);
      assert.deepEqual(
        { ...body, access_token: 'x' },
        {
          access_token: 'x',
          expires_in: 7200,
          token_type: 'Bearer',
        },
      );
    });

    it('answers unsupported_grant_type and requires grant_type', async () => {
      const credentials = { client_key: tt.clientKey, client_secret: tt.clientSecret };
      await assertOAuthError(
        await postForm(tt.endpoints.tokenURL, { ...credentials, grant_type: 'password' }),
        'unsupported_grant_type',
      );
      await assertOAuthError(await postForm(tt.endpoints.tokenURL, credentials), 'invalid_request');
    });

    it('refuses repeated parameters', async () => {
      const body = `client_key=${tt.clientKey}&client_key=${tt.clientKey}&client_secret=${tt.clientSecret}&grant_type=client_credentials`;
      const response = await fetch(tt.endpoints.tokenURL, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      await assertOAuthError(
        response,
        'invalid_request',
        'Parameter client_key must appear only once.',
      );
    });
  });

  describe("oauthErrorStatus: 'documented'", () => {
    it('answers invalid_client with 401 and invalid_grant with 400', async () => {
      const documented = await startTikTokEmulator({ oauthErrorStatus: 'documented' });
      try {
        const wrong = await postForm(documented.endpoints.tokenURL, {
          client_key: documented.clientKey,
          client_secret: 'wrong',
          grant_type: 'client_credentials',
        });
        await assertOAuthError(wrong, 'invalid_client', undefined, 401);
        await assertOAuthError(
          await refreshTokens(documented, 'rft.unknown'),
          'invalid_grant',
          undefined,
          400,
        );
      } finally {
        await documented.close();
      }
    });

    it('gives an injected tiktokError the status a real one gets, unless the fault sets one', async () => {
      const documented = await startTikTokEmulator({ oauthErrorStatus: 'documented' });
      try {
        documented.inject('token', { tiktokError: { error: 'invalid_grant' } });
        documented.inject('token', { tiktokError: { error: 'rate_limit_exceeded' } });
        documented.inject('token', { tiktokError: { error: 'invalid_grant', status: 200 } });
        documented.inject('revoke', { tiktokError: { error: 'invalid_client' } });
        const refresh = (): Promise<Response> => refreshTokens(documented, 'rft.unknown');
        await assertOAuthError(await refresh(), 'invalid_grant', undefined, 400);
        await assertOAuthError(await refresh(), 'rate_limit_exceeded', undefined, 429);
        await assertOAuthError(await refresh(), 'invalid_grant', undefined, 200);
        const revoke = await postForm(documented.endpoints.revokeURL, {
          client_key: documented.clientKey,
          client_secret: documented.clientSecret,
          token: 'act.unknown',
        });
        await assertOAuthError(revoke, 'invalid_client', undefined, 401);
      } finally {
        await documented.close();
      }
    });
  });

  it('answers an injected tiktokError with HTTP 200 by default, as TikTok does', async () => {
    tt.inject('token', { tiktokError: { error: 'invalid_client' } });
    await assertOAuthError(
      await refreshTokens(tt, 'rft.unknown'),
      'invalid_client',
      undefined,
      200,
    );
  });
});
