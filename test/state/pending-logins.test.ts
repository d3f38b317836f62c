import assert from 'node:assert/strict';
import {
  addPendingLogin,
  findPendingLogin,
  PENDING_LOGINS_KEY,
  readPendingLogins,
  removePendingLogin,
  type PendingLogin,
} from '../../lib/state/pending-logins';
import type { SessionLike } from '../../lib/state/session';

class FakeSession implements SessionLike {
  [key: string]: unknown;
  save(callback: (err?: unknown) => void): void {
    callback();
  }
}

const login = (state: string, createdAt: number): PendingLogin => ({
  state,
  createdAt,
  scopes: ['user.info.basic'],
  codeVerifier: `verifier-${state}`,
});
const LIMITS = { max: 3, ttlMs: 1000, now: 10_000 };

describe('state/pending-logins', () => {
  it('adds entries under tiktok:pending, keeping the newest `max`', () => {
    const session = new FakeSession();
    for (const s of ['a', 'b', 'c', 'd']) addPendingLogin(session, login(s, 10_000), LIMITS);
    assert.deepEqual(
      readPendingLogins(session).map((p) => p.state),
      ['b', 'c', 'd'],
    );
    assert.ok(Array.isArray(Reflect.get(session, PENDING_LOGINS_KEY)));
  });

  it("reads entries without scopes (the strategy's own) and drops those whose scopes are not strings", () => {
    const session = new FakeSession();
    Reflect.set(session, PENDING_LOGINS_KEY, [
      { state: 'own', createdAt: 1 },
      { state: 'asked', createdAt: 1, scopes: ['user.info.stats'] },
      { state: 'bad', createdAt: 1, scopes: [1] },
      { state: 'worse', createdAt: 1, scopes: 'user.info.basic' },
    ]);
    assert.deepEqual(readPendingLogins(session), [
      { state: 'own', createdAt: 1 },
      { state: 'asked', createdAt: 1, scopes: ['user.info.stats'] },
    ]);
  });

  it('drops expired entries when adding', () => {
    const session = new FakeSession();
    addPendingLogin(session, login('old', 8_000), LIMITS);
    addPendingLogin(session, login('new', 10_000), LIMITS);
    assert.deepEqual(
      readPendingLogins(session).map((p) => p.state),
      ['new'],
    );
  });

  it('finds by state; unknown and expired are told apart', () => {
    const session = new FakeSession();
    addPendingLogin(session, login('a'.repeat(64), 9_500), LIMITS);
    const found = findPendingLogin(session, 'a'.repeat(64), LIMITS);
    assert.ok(found.found);
    assert.equal(found.login.codeVerifier, `verifier-${'a'.repeat(64)}`);
    assert.deepEqual(findPendingLogin(session, 'b'.repeat(64), LIMITS), {
      found: false,
      reason: 'unknown',
    });
    assert.deepEqual(findPendingLogin(session, 'a'.repeat(63), LIMITS), {
      found: false,
      reason: 'unknown',
    });
    assert.deepEqual(findPendingLogin(session, 'a'.repeat(64), { ttlMs: 400, now: 10_000 }), {
      found: false,
      reason: 'expired',
    });
  });

  it('removes one entry and leaves the others; the key goes when empty', () => {
    const session = new FakeSession();
    addPendingLogin(session, login('a', 10_000), LIMITS);
    addPendingLogin(session, login('b', 10_000), LIMITS);
    removePendingLogin(session, 'a', LIMITS);
    assert.deepEqual(
      readPendingLogins(session).map((p) => p.state),
      ['b'],
    );
    removePendingLogin(session, 'b', LIMITS);
    assert.equal(Reflect.has(session, PENDING_LOGINS_KEY), false);
  });

  it('two strategies (callback paths) in one session: each prunes and finds only its own entries', () => {
    const session = new FakeSession();
    const at = (state: string, path: string, createdAt = 10_000): PendingLogin => ({
      ...login(state, createdAt),
      path,
    });
    addPendingLogin(session, at('user-1', '/auth/tiktok/callback', 9_500), LIMITS);
    addPendingLogin(session, at('user-2', '/auth/tiktok/callback'), LIMITS);
    // The admin strategy: one pending login at most, a TTL of 100 ms. The user's stay.
    const admin = { max: 1, ttlMs: 100, now: 10_000 };
    addPendingLogin(session, at('admin-1', '/admin/tiktok/callback'), admin);
    addPendingLogin(session, at('admin-2', '/admin/tiktok/callback'), admin);
    assert.deepEqual(
      readPendingLogins(session).map((p) => p.state),
      ['user-1', 'user-2', 'admin-2'],
    );
    // A user state at the admin callback is not the admin's to consume.
    const user = { ...LIMITS, path: '/auth/tiktok/callback' };
    const adminPath = { ttlMs: 100, now: 10_000, path: '/admin/tiktok/callback' };
    assert.deepEqual(findPendingLogin(session, 'user-1', adminPath), {
      found: false,
      reason: 'another strategy',
    });
    const found = findPendingLogin(session, 'user-1', user);
    assert.ok(found.found);
    assert.deepEqual(
      found.rest.map((p) => p.state),
      ['user-2', 'admin-2'],
    );
    // The admin's lookup keeps the user's entries whatever its own TTL.
    const adminFound = findPendingLogin(session, 'admin-2', adminPath);
    assert.ok(adminFound.found);
    assert.deepEqual(
      adminFound.rest.map((p) => p.state),
      ['user-1', 'user-2'],
    );
    // An entry written before the path was kept (no path) is any strategy's.
    const old = new FakeSession();
    addPendingLogin(old, login('legacy', 10_000), LIMITS);
    assert.ok(findPendingLogin(old, 'legacy', adminPath).found);
  });

  it('ignores malformed stored data (it came back from a store)', () => {
    const session = new FakeSession();
    Reflect.set(session, PENDING_LOGINS_KEY, [
      null,
      'x',
      { state: 1, createdAt: 1, scopes: [] },
      { state: 's', createdAt: '1', scopes: [] },
      { state: 's', createdAt: 1, scopes: [1] },
      { state: 'ok', createdAt: 9_999, scopes: ['user.info.basic'], returnTo: '/r', extra: true },
    ]);
    assert.deepEqual(readPendingLogins(session), [
      { state: 'ok', createdAt: 9_999, scopes: ['user.info.basic'], returnTo: '/r' },
    ]);
    Reflect.set(session, PENDING_LOGINS_KEY, { not: 'an array' });
    assert.deepEqual(readPendingLogins(session), []);
  });
});
