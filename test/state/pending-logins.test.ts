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
