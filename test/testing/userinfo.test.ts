import assert from 'node:assert/strict';
import { startTikTokEmulator, type TikTokEmulator } from '../../lib/testing';
import { assertUserInfoError, get, jsonObject, userInfo } from './helpers';

describe('emulator: userinfo', () => {
  let tt: TikTokEmulator;
  let now = Date.now();

  before(async () => {
    tt = await startTikTokEmulator({
      clock: () => now,
      users: [{}, { openId: 'no-union', unionId: '', username: 'solo', isVerified: true }],
    });
  });
  after(() => tt.close());
  beforeEach(() => tt.reset());

  it('answers the requested fields in the envelope', async () => {
    const { access_token } = tt.issueTokens('emulator-open-id-1', [
      'user.info.basic',
      'user.info.profile',
      'user.info.stats',
    ]);
    const response = await userInfo(
      tt,
      access_token,
      'open_id,union_id,display_name,username,is_verified,follower_count',
    );
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      data: {
        user: {
          open_id: 'emulator-open-id-1',
          union_id: 'emulator-union-id-1',
          display_name: 'Emulator User',
          username: 'emulator_user',
          is_verified: false,
          follower_count: 1234,
        },
      },
      error: { code: 'ok', message: '', log_id: response.headers.get('x-tt-logid') },
    });
  });

  it('answers every field of a custom user', async () => {
    const custom = tt.addUser({
      openId: 'custom',
      unionId: 'u-custom',
      displayName: 'Custom',
      username: 'custom_user',
      avatarUrl: 'https://cdn.example/a.jpeg',
      avatarUrl100: 'https://cdn.example/a100.jpeg',
      avatarLargeUrl: 'https://cdn.example/large.jpeg',
      bioDescription: 'bio',
      isVerified: true,
      followerCount: 1,
      followingCount: 2,
      likesCount: 3,
      videoCount: 4,
      profileDeepLink: 'https://vm.tiktok.com/x/',
    });
    const { access_token } = tt.issueTokens(custom.openId, [
      'user.info.basic',
      'user.info.profile',
      'user.info.stats',
    ]);
    const fields =
      'open_id,union_id,avatar_url,avatar_url_100,avatar_large_url,display_name,bio_description,' +
      'profile_deep_link,is_verified,username,follower_count,following_count,likes_count,video_count';
    const body = await jsonObject(await userInfo(tt, access_token, fields));
    assert.deepEqual(body.data, {
      user: {
        open_id: 'custom',
        union_id: 'u-custom',
        avatar_url: 'https://cdn.example/a.jpeg',
        avatar_url_100: 'https://cdn.example/a100.jpeg',
        avatar_large_url: 'https://cdn.example/large.jpeg',
        display_name: 'Custom',
        bio_description: 'bio',
        profile_deep_link: 'https://vm.tiktok.com/x/',
        is_verified: true,
        username: 'custom_user',
        follower_count: 1,
        following_count: 2,
        likes_count: 3,
        video_count: 4,
      },
    });
  });

  it('returns open_id only when asked for it', async () => {
    const { access_token } = tt.issueTokens('emulator-open-id-1');
    const body = await jsonObject(await userInfo(tt, access_token, 'display_name,avatar_url'));
    assert.deepEqual(body.data, {
      user: {
        display_name: 'Emulator User',
        avatar_url: `${tt.url}/emulator/avatar/emulator-open-id-1.svg`,
      },
    });
  });

  it('omits union_id for a user without one', async () => {
    const { access_token } = tt.issueTokens('no-union');
    const body = await jsonObject(await userInfo(tt, access_token, 'open_id,union_id'));
    assert.deepEqual(body.data, { user: { open_id: 'no-union' } });
  });

  it('refuses fields that need a scope the token lacks with 400 scope_permission_missed', async () => {
    const { access_token } = tt.issueTokens('emulator-open-id-1', ['user.info.basic']);
    const response = await userInfo(tt, access_token, 'open_id,username,follower_count');
    const logId = response.headers.get('x-tt-logid');
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), {
      data: {},
      error: {
        code: 'scope_permission_missed',
        message:
          'Some fields need additional scopes: username, follower_count (user.info.profile, user.info.stats).',
        log_id: logId,
      },
    });
  });

  it('refuses a token without the endpoint scope (user.info.basic) with 401 scope_not_authorized', async () => {
    const { access_token } = tt.issueTokens('emulator-open-id-1', ['video.list']);
    await assertUserInfoError(
      await userInfo(tt, access_token, 'open_id'),
      401,
      'scope_not_authorized',
    );
  });

  it('refuses unknown fields and a missing fields parameter with 400 invalid_params', async () => {
    const { access_token } = tt.issueTokens('emulator-open-id-1');
    await assertUserInfoError(
      await userInfo(tt, access_token, 'open_id,email'),
      400,
      'invalid_params',
    );
    const noFields = await get(tt.endpoints.userInfoURL, {
      authorization: `Bearer ${access_token}`,
    });
    await assertUserInfoError(noFields, 400, 'invalid_params');
  });

  it('refuses a missing, unknown, expired or client token with 401 access_token_invalid', async () => {
    await assertUserInfoError(
      await get(`${tt.endpoints.userInfoURL}?fields=open_id`),
      401,
      'access_token_invalid',
    );
    await assertUserInfoError(
      await userInfo(tt, 'act.nope', 'open_id'),
      401,
      'access_token_invalid',
    );
    const { access_token } = tt.issueTokens('emulator-open-id-1');
    tt.expireAccessToken(access_token);
    await assertUserInfoError(
      await userInfo(tt, access_token, 'open_id'),
      401,
      'access_token_invalid',
    );
    const short = tt.issueTokens('emulator-open-id-1', ['user.info.basic'], { accessTtlSec: 1 });
    now += 1000; // its lifetime has passed
    await assertUserInfoError(
      await userInfo(tt, short.access_token, 'open_id'),
      401,
      'access_token_invalid',
    );
  });

  it('refuses another method with 405', async () => {
    const response = await fetch(tt.endpoints.userInfoURL, { method: 'POST' });
    assert.equal(response.headers.get('allow'), 'GET');
    await assertUserInfoError(response, 405, 'invalid_params');
  });
});
