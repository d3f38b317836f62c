import assert from 'node:assert/strict';
import { startTikTokEmulator, type TikTokEmulator } from '../../lib/testing';
import {
  assertOAuthError,
  assertUserInfoError,
  postForm,
  refreshTokens,
  userInfo,
} from './helpers';

describe('emulator: revoke', () => {
  let tt: TikTokEmulator;

  before(async () => {
    tt = await startTikTokEmulator();
  });
  after(() => tt.close());
  beforeEach(() => tt.reset());

  function revoke(token: string, secret = tt.clientSecret): Promise<Response> {
    return postForm(tt.endpoints.revokeURL, {
      client_key: tt.clientKey,
      client_secret: secret,
      token,
    });
  }

  it('revokes the grant: {} then the access and refresh tokens stop working', async () => {
    const tokens = tt.issueTokens('emulator-open-id-1');
    const response = await revoke(tokens.access_token);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {});
    await assertUserInfoError(
      await userInfo(tt, tokens.access_token, 'open_id'),
      401,
      'access_token_invalid',
    );
    await assertOAuthError(await refreshTokens(tt, tokens.refresh_token), 'invalid_grant');
  });

  it("disconnects the app from the user: the user's other grants end too, other users' stay", async () => {
    // https://developers.tiktok.com/docs/en/oauth-revoke-a-user-access-token: revoking
    // disconnects the app from the user's TikTok account.
    const first = tt.issueTokens('emulator-open-id-1');
    const second = tt.issueTokens('emulator-open-id-1');
    const other = tt.addUser({ openId: 'emulator-open-id-other' });
    const otherTokens = tt.issueTokens(other.openId);
    assert.equal((await revoke(first.access_token)).status, 200);
    await assertUserInfoError(
      await userInfo(tt, second.access_token, 'open_id'),
      401,
      'access_token_invalid',
    );
    await assertOAuthError(await refreshTokens(tt, second.refresh_token), 'invalid_grant');
    assert.equal((await userInfo(tt, otherTokens.access_token, 'open_id')).status, 200);
  });

  it('refuses an already revoked, an unknown and an expired token with invalid_request (as docs/client.md documents)', async () => {
    const tokens = tt.issueTokens('emulator-open-id-1');
    assert.equal((await revoke(tokens.access_token)).status, 200);
    const description = 'Access token is invalid or expired.';
    await assertOAuthError(await revoke(tokens.access_token), 'invalid_request', description);
    await assertOAuthError(await revoke('act.unknown'), 'invalid_request', description);
    const expired = tt.issueTokens('emulator-open-id-1');
    tt.expireAccessToken(expired.access_token);
    await assertOAuthError(await revoke(expired.access_token), 'invalid_request', description);
  });

  it('authenticates the client and requires the token', async () => {
    const tokens = tt.issueTokens('emulator-open-id-1');
    await assertOAuthError(await revoke(tokens.access_token, 'wrong'), 'invalid_client');
    await assertOAuthError(await revoke(''), 'invalid_request', 'Parameter token is required.');
    assert.equal((await userInfo(tt, tokens.access_token, 'open_id')).status, 200);
  });
});
