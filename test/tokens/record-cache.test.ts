import assert from 'node:assert/strict';
import { TokenRecordCache } from '../../lib/tokens/record-cache';
import { makeTokens } from '../support/token-fixtures';

describe('TokenRecordCache', () => {
  let now = 1_000_000;
  const clock = (): number => now;
  beforeEach(() => {
    now = 1_000_000;
  });

  it('serves a copy of the tokens for exactly the same version and data', () => {
    const cache = new TokenRecordCache({}, clock);
    const tokens = makeTokens('u1', { expires_at: now + 3600_000 });
    cache.set('k:u1', 'v1', 'ciphertext-1', tokens);
    const hit = cache.get('k:u1', 'v1', 'ciphertext-1');
    assert.deepEqual(hit, tokens);
    assert.notEqual(hit, tokens, 'not the caller-owned object');
    hit.access_token = 'changed by a caller';
    assert.equal(cache.get('k:u1', 'v1', 'ciphertext-1')?.access_token, tokens.access_token);
  });

  it('misses on another version, other data (an altered record) or another key', () => {
    const cache = new TokenRecordCache({}, clock);
    cache.set('k:u1', 'v1', 'ciphertext-1', makeTokens('u1', { expires_at: now + 3600_000 }));
    assert.equal(cache.get('k:u1', 'v2', 'ciphertext-1'), undefined);
    assert.equal(cache.get('k:u1', 'v1', 'ciphertext-1x'), undefined);
    assert.equal(cache.get('k:u2', 'v1', 'ciphertext-1'), undefined);
  });

  it('holds an entry for ttlMs at most, and never past the access token expiry', () => {
    const cache = new TokenRecordCache({ ttlMs: 5000 }, clock);
    cache.set('k:a', 'v', 'd', makeTokens('a', { expires_at: now + 3600_000 }));
    cache.set('k:b', 'v', 'd', makeTokens('b', { expires_at: now + 1000 }));
    cache.set('k:c', 'v', 'd', makeTokens('c', { expires_at: now - 1 }));
    assert.equal(cache.size, 2, 'an expired token is not kept at all');
    now += 999;
    assert.ok(cache.get('k:b', 'v', 'd'));
    now += 1;
    assert.equal(cache.get('k:b', 'v', 'd'), undefined);
    assert.ok(cache.get('k:a', 'v', 'd'));
    now += 4000;
    assert.equal(cache.get('k:a', 'v', 'd'), undefined);
    assert.equal(cache.size, 0, 'expired entries are dropped when met');
  });

  it('drops the expired entries at its head when another record is decoded (no decrypted token lingers)', () => {
    const cache = new TokenRecordCache({ ttlMs: 1000 }, clock);
    cache.set('k:a', 'v', 'd', makeTokens('a', { expires_at: now + 3600_000 }));
    cache.set('k:b', 'v', 'd', makeTokens('b', { expires_at: now + 3600_000 }));
    now += 500;
    cache.set('k:c', 'v', 'd', makeTokens('c', { expires_at: now + 3600_000 }));
    now += 600; // a and b expired (1000 ms), c has 400 ms left
    cache.set('k:d', 'v', 'd', makeTokens('d', { expires_at: now + 3600_000 }));
    assert.equal(cache.size, 2, 'a and b went without being read again');
    assert.ok(cache.get('k:c', 'v', 'd'));
    assert.ok(cache.get('k:d', 'v', 'd'));
  });

  it('a set() with a mark taken before a forget() keeps nothing (a read racing a write or delete)', () => {
    const cache = new TokenRecordCache({}, clock);
    const tokens = makeTokens('u1', { expires_at: now + 3600_000 });
    const mark = cache.mark();
    cache.forget('k:u2'); // this process wrote or deleted a record while the read was in flight
    cache.set('k:u1', 'v1', 'd', tokens, mark);
    assert.equal(cache.size, 0);
    cache.set('k:u1', 'v1', 'd', tokens, cache.mark());
    assert.equal(cache.size, 1);
    cache.drop('k:u1');
    assert.equal(cache.size, 0, 'drop(): the record was found gone or unreadable');
  });

  it('keeps at most maxEntries, dropping the oldest', () => {
    const cache = new TokenRecordCache({ maxEntries: 2 }, clock);
    for (const id of ['a', 'b', 'c']) {
      cache.set(`k:${id}`, 'v', 'd', makeTokens(id, { expires_at: now + 3600_000 }));
    }
    assert.equal(cache.size, 2);
    assert.equal(cache.get('k:a', 'v', 'd'), undefined);
    assert.ok(cache.get('k:b', 'v', 'd'));
    assert.ok(cache.get('k:c', 'v', 'd'));
  });

  it('forget drops an entry', () => {
    const cache = new TokenRecordCache({}, clock);
    cache.set('k:a', 'v', 'd', makeTokens('a', { expires_at: now + 3600_000 }));
    cache.forget('k:a');
    assert.equal(cache.get('k:a', 'v', 'd'), undefined);
    assert.equal(cache.size, 0);
  });

  it('refuses options that are not positive integers, naming them', () => {
    assert.throws(() => new TokenRecordCache({ maxEntries: 0 }), /recordCache.maxEntries must be/);
    assert.throws(() => new TokenRecordCache({ ttlMs: 1.5 }), /recordCache.ttlMs must be/);
    assert.throws(
      () => new TokenRecordCache({ ttlMs: '30000' as unknown as number }),
      /recordCache.ttlMs must be/,
    );
  });
});
