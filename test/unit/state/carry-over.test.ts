import assert from 'node:assert/strict';
import { keepOtherTabsAcrossLogin } from '../../../lib/state/carry-over';
import { PENDING_LOGINS_KEY } from '../../../lib/state/pending-logins';

/** A session like express-session's: regenerate() replaces req.session with a fresh object. */
class FakeSession {
  regenerations = 0;
  constructor(private readonly req: { session?: FakeSession }) {}
  save(callback: (err?: unknown) => void): void {
    callback();
  }
  regenerate(callback: (err?: unknown) => void): void {
    this.regenerations += 1;
    this.req.session = new FakeSession(this.req);
    callback();
  }
}

const pending = [{ state: 'tab-a', createdAt: Date.now(), scopes: ['user.info.basic'] }];

describe('keepOtherTabsAcrossLogin', () => {
  it("copies only the other tabs' pending logins into the regenerated session", () => {
    const req: { session?: FakeSession } = {};
    const old = new FakeSession(req);
    req.session = old;
    Reflect.set(old, PENDING_LOGINS_KEY, pending);
    Reflect.set(old, 'other', 'pre-login value');
    keepOtherTabsAcrossLogin(req, old);
    let error: unknown = 'not called';
    old.regenerate((err) => (error = err));
    assert.equal(error, undefined);
    const fresh = req.session;
    assert.ok(fresh !== undefined && fresh !== old);
    assert.deepEqual(Reflect.get(fresh, PENDING_LOGINS_KEY), pending);
    assert.equal(Reflect.get(fresh, 'other'), undefined);
    assert.equal(old.regenerations, 1);
  });

  it('is one-shot: the next regenerate() is the original method again', () => {
    const req: { session?: FakeSession } = {};
    const old = new FakeSession(req);
    req.session = old;
    Reflect.set(old, PENDING_LOGINS_KEY, pending);
    keepOtherTabsAcrossLogin(req, old);
    assert.equal(Object.hasOwn(old, 'regenerate'), true);
    old.regenerate(() => undefined);
    assert.equal(Object.hasOwn(old, 'regenerate'), false);
  });

  it('does nothing without other pending logins', () => {
    const req: { session?: FakeSession } = {};
    const old = new FakeSession(req);
    keepOtherTabsAcrossLogin(req, old);
    assert.equal(Object.hasOwn(old, 'regenerate'), false);
  });
});
