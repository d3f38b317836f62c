import assert from 'node:assert/strict';
import { parseProfile, type TikTokUserInfo } from '../lib';

describe('parseProfile', () => {
  const FULL: TikTokUserInfo = {
    open_id: 'open-1',
    union_id: 'union-1',
    avatar_url: 'https://p.example/a.jpeg',
    avatar_url_100: 'https://p.example/a100.jpeg',
    avatar_large_url: 'https://p.example/alarge.jpeg',
    display_name: 'Ada',
    bio_description: 'bio',
    profile_deep_link: 'https://www.tiktok.com/@ada',
    is_verified: true,
    username: 'ada',
    follower_count: 1,
    following_count: 2,
    likes_count: 3,
    video_count: 4,
  };

  it('maps every field of a full user', () => {
    assert.deepEqual(parseProfile(FULL, '{"raw":true}'), {
      provider: 'tiktok',
      id: 'open-1',
      unionId: 'union-1',
      username: 'ada',
      displayName: 'Ada',
      profileUrl: 'https://www.tiktok.com/@ada',
      photos: [{ value: 'https://p.example/alarge.jpeg' }],
      _raw: '{"raw":true}',
      _json: FULL,
    });
  });

  it('builds a minimal profile from open_id alone (basic scope, no union_id)', () => {
    const user = { open_id: 'open-2' };
    const profile = parseProfile(user);
    assert.deepEqual(profile, {
      provider: 'tiktok',
      id: 'open-2',
      displayName: 'open-2',
      photos: [],
      _raw: '{"open_id":"open-2"}',
      _json: user,
    });
    for (const key of ['unionId', 'username', 'profileUrl']) {
      assert.equal(Object.prototype.hasOwnProperty.call(profile, key), false, key);
    }
  });

  it('_raw: the user as JSON, made at its first read, an own enumerable property that can be set', () => {
    const user: TikTokUserInfo = { open_id: 'open-3', display_name: 'Ada' };
    const profile = parseProfile(user);
    assert.ok(Object.keys(profile).includes('_raw'));
    assert.equal(profile._raw, '{"open_id":"open-3","display_name":"Ada"}');
    const copy: unknown = JSON.parse(JSON.stringify(profile));
    assert.equal(Reflect.get(Object(copy), '_raw'), profile._raw);
    assert.equal({ ...profile }._raw, profile._raw);
    profile._raw = 'replaced';
    assert.equal(profile._raw, 'replaced');
    assert.equal(parseProfile(user, '{"given":1}')._raw, '{"given":1}');
  });

  it('falls back on username for displayName', () => {
    assert.equal(parseProfile({ open_id: 'o', username: 'ada' }).displayName, 'ada');
  });

  it('prefers the large avatar, then the 100 px one, then avatar_url', () => {
    const photo = (u: TikTokUserInfo): string | undefined => parseProfile(u).photos[0]?.value;
    assert.equal(photo({ open_id: 'o', avatar_url: 'a', avatar_url_100: 'b' }), 'b');
    assert.equal(photo({ open_id: 'o', avatar_url: 'a' }), 'a');
    assert.equal(photo({ open_id: 'o', avatar_large_url: 'c', avatar_url: 'a' }), 'c');
  });
});
