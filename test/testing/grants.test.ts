import assert from 'node:assert/strict';
import { GrantStore } from '../../lib/testing/grants';

describe('emulator: grants', () => {
  it('forgets access tokens that expired or were revoked, and keeps the live ones', () => {
    let now = 1_000_000;
    const store = new GrantStore({
      clock: () => now,
      codeTtlMs: 600_000,
      accessTokenTtlSec: 60,
      refreshTokenTtlSec: 3600,
      clientTokenTtlSec: 60,
    });
    const first = store.issueGrant('old-user', ['user.info.basic']);
    for (let i = 0; i < 9_998; i++) store.issueGrant(`user-${i % 7}`, ['user.info.basic']);
    const revoked = store.issueGrant('revoked-user', ['user.info.basic']);
    assert.equal(store.revokeUser('revoked-user'), 1);
    now += 61_000; // every token above has expired
    const live = store.issueGrant('new-user', ['user.info.basic']);
    assert.equal(store.accessTokenCount, 1, 'the 10 000 dead tokens are gone');
    assert.deepEqual(store.findAccess(live.access_token), {
      openId: 'new-user',
      scopes: ['user.info.basic'],
    });
    assert.equal(store.findAccess(first.access_token), undefined);
    assert.equal(store.findAccess(revoked.access_token), undefined);
    // The refresh tokens of expired access tokens still work (they live longer).
    const rotated = store.refresh(first.refresh_token);
    assert.ok(typeof rotated === 'object' && rotated.open_id === 'old-user');
  });

  it('waits for the live tokens to double before sweeping again (minting stays cheap)', () => {
    const store = new GrantStore({
      clock: () => 0,
      codeTtlMs: 600_000,
      accessTokenTtlSec: 60,
      refreshTokenTtlSec: 3600,
      clientTokenTtlSec: 60,
    });
    for (let i = 0; i < 25_000; i++) store.issueGrant('u', ['user.info.basic']);
    assert.equal(store.accessTokenCount, 25_000, 'live tokens are never dropped');
  });
});
