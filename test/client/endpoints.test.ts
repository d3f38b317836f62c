import assert from 'node:assert/strict';
import {
  TIKTOK_AUTHORIZATION_URL,
  TIKTOK_REVOKE_URL,
  TIKTOK_TOKEN_URL,
  TIKTOK_USER_INFO_URL,
} from '../../lib';
import { fieldsForScopes, normalizeScopes } from '../../lib/client/endpoints';

describe('client/endpoints', () => {
  it("TikTok's endpoint URLs, exact strings with their trailing slash", () => {
    assert.equal(TIKTOK_AUTHORIZATION_URL, 'https://www.tiktok.com/v2/auth/authorize/');
    assert.equal(TIKTOK_TOKEN_URL, 'https://open.tiktokapis.com/v2/oauth/token/');
    assert.equal(TIKTOK_REVOKE_URL, 'https://open.tiktokapis.com/v2/oauth/revoke/');
    assert.equal(TIKTOK_USER_INFO_URL, 'https://open.tiktokapis.com/v2/user/info/');
  });

  describe('fieldsForScopes', () => {
    it('basic: open_id first, then the basic fields', () => {
      assert.deepEqual(fieldsForScopes(['user.info.basic']), [
        'open_id',
        'union_id',
        'avatar_url',
        'avatar_url_100',
        'avatar_large_url',
        'display_name',
      ]);
    });

    it('adds profile and stats fields only for those scopes', () => {
      assert.deepEqual(fieldsForScopes(['user.info.profile']), [
        'open_id',
        'bio_description',
        'profile_deep_link',
        'is_verified',
        'username',
      ]);
      assert.deepEqual(fieldsForScopes(['user.info.stats']).slice(1), [
        'follower_count',
        'following_count',
        'likes_count',
        'video_count',
      ]);
      assert.equal(
        fieldsForScopes(['user.info.basic', 'user.info.profile', 'user.info.stats']).length,
        14,
      );
    });

    it('open_id alone for no or unknown scopes (prototype names included)', () => {
      assert.deepEqual(fieldsForScopes([]), ['open_id']);
      assert.deepEqual(fieldsForScopes(['video.list', '__proto__', 'constructor']), ['open_id']);
    });
  });

  describe('normalizeScopes', () => {
    it('splits on commas and whitespace, trims, deduplicates, keeps order', () => {
      assert.deepEqual(normalizeScopes('user.info.basic,user.info.profile'), [
        'user.info.basic',
        'user.info.profile',
      ]);
      assert.deepEqual(normalizeScopes('user.info.basic user.info.profile'), [
        'user.info.basic',
        'user.info.profile',
      ]);
      assert.deepEqual(normalizeScopes([' a ,b', 'b', 'c  d']), ['a', 'b', 'c', 'd']);
      assert.deepEqual(normalizeScopes(undefined), []);
      assert.deepEqual(normalizeScopes(',, '), []);
    });

    it('returns a fresh array for a cached string: changing it changes nothing later', () => {
      const first = normalizeScopes('user.info.basic,user.info.stats');
      first.push('mutated');
      first[0] = 'changed';
      assert.deepEqual(normalizeScopes('user.info.basic,user.info.stats'), [
        'user.info.basic',
        'user.info.stats',
      ]);
      const long = `${'x'.repeat(2000)},y`;
      assert.deepEqual(normalizeScopes(long), ['x'.repeat(2000), 'y']);
    });

    it('an array normalises like its elements joined by commas, and is never aliased', () => {
      const input = ['user.info.basic', ' user.info.stats ', 'user.info.basic'];
      const first = normalizeScopes(input);
      assert.deepEqual(first, ['user.info.basic', 'user.info.stats']);
      first.push('mutated');
      assert.deepEqual(normalizeScopes(input), ['user.info.basic', 'user.info.stats']);
      assert.deepEqual(input, ['user.info.basic', ' user.info.stats ', 'user.info.basic']);
      assert.deepEqual(normalizeScopes(['a b', '', 'c,,d']), ['a', 'b', 'c', 'd']);
      assert.deepEqual(normalizeScopes([]), []);
    });
  });
});
