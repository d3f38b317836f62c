import assert from 'node:assert/strict';
import * as pkg from '../../lib';
import * as tokens from '../../lib/tokens';

describe('tokens', () => {
  it('lib/tokens exports exactly the manager, the two stores and their two errors (types aside)', () => {
    assert.deepEqual(Object.keys(tokens).sort(), [
      'MemoryTokenStore',
      'RedisCommandTimeoutError',
      'RedisTokenStore',
      'TikTokTokenManager',
      'UnreadableTokenRecordError',
    ]);
  });

  it('the package re-exports them unchanged (the public API)', () => {
    assert.equal(pkg.TikTokTokenManager, tokens.TikTokTokenManager);
    assert.equal(pkg.MemoryTokenStore, tokens.MemoryTokenStore);
    assert.equal(pkg.RedisTokenStore, tokens.RedisTokenStore);
    assert.equal(pkg.UnreadableTokenRecordError, tokens.UnreadableTokenRecordError);
    assert.equal(pkg.RedisCommandTimeoutError, tokens.RedisCommandTimeoutError);
  });
});
