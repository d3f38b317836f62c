import assert from 'node:assert/strict';
import * as api from '../../lib';

// The public runtime API (docs/api, `npm run docs`). Adding an export is a decision: update this
// list in the same change. Removing or renaming one needs a deprecation path.
const EXPORTS = [
  'ERROR_CODE_INFO',
  'MemoryClaimStore',
  'MemoryRemovalList',
  'MemoryTokenStore',
  'RedisClaimStore',
  'RedisCommandTimeoutError',
  'RedisRemovalList',
  'RedisTokenStore',
  'Strategy',
  'TIKTOK_AUTHORIZATION_URL',
  'TIKTOK_REMOVAL_REASONS',
  'TIKTOK_REVOKE_URL',
  'TIKTOK_TOKEN_URL',
  'TIKTOK_USER_INFO_URL',
  'TikTokAPIError',
  'TikTokClient',
  'TikTokErrorCode',
  'TikTokStrategy',
  'TikTokTokenManager',
  'UnreadableTokenRecordError',
  'acceptCorrelationId',
  'createTikTokMetrics',
  'generateCorrelationId',
  'getTikTokLoginFailure',
  'isAuthorizationRemoved',
  'isTikTokAPIError',
  'parseProfile',
  'refreshRedisClusterTopology',
  'safeReturnTo',
  'tiktokErrorHandler',
  'tiktokReturnTo',
  'tiktokSessionGuard',
  'tiktokSessionRevocation',
  'tiktokWebhook',
  'verifyTikTokWebhook',
  'watchRedisClusterTopology',
];

describe('package: exports', () => {
  it('lib/index.ts exports exactly the pinned runtime names', () => {
    assert.deepEqual(Object.keys(api).sort(), [...EXPORTS].sort());
  });

  it('Strategy and TikTokStrategy are the same class', () => {
    assert.equal(api.Strategy, api.TikTokStrategy);
  });
});
