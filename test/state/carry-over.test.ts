import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { keepOtherTabsAcrossLogin } from '../../lib/state/carry-over';
import { PENDING_LOGINS_KEY } from '../../lib/state/pending-logins';

/** A session like express-session's: regenerate() replaces req.session with a fresh object. */
class FakeSession {
  [key: string]: unknown;
  regenerations = 0;
  constructor(private readonly req: { session?: FakeSession }) {}
  save(callback: (err?: unknown) => void): void {
    callback();
  }
  /** What regenerate() calls back with; like express-session, it replaces the session anyway. */
  failRegenerate: Error | undefined;
  regenerate(callback: (err?: unknown) => void): void {
    this.regenerations += 1;
    this.req.session = new FakeSession(this.req);
    callback(this.failRegenerate);
  }
}

/** A session whose methods are own properties (cookie-session's, with the app's shims). */
interface FakeSessionLike {
  save: (callback: (err?: unknown) => void) => void;
  regenerate: (callback: (err?: unknown) => void) => void;
}

/** The function a session's method resolves to (own or inherited), compared by identity. */
function methodOf(target: object, name: 'regenerate' | 'save'): unknown {
  return Reflect.get(target, name);
}

/** A login with no other tab's pending login: the session passport's `regenerate()` made. */
function regeneratedAfterLogin(): FakeSession {
  const req: { session?: FakeSession } = {};
  const old = new FakeSession(req);
  req.session = old;
  keepOtherTabsAcrossLogin(req, old, { openId: 'open-id-1', at: 1 });
  old.regenerate(() => undefined);
  const fresh = req.session;
  assert.ok(fresh !== undefined && fresh !== old);
  return fresh;
}

/** The end of passport's `req.login()`: the user written into the new session, which is saved. */
function saveLogin(fresh: FakeSession, callback: (err?: unknown) => void = () => undefined): void {
  Reflect.set(fresh, 'passport', { user: 'user-1' });
  fresh.save(callback);
}

const pending = [{ state: 'tab-a', createdAt: Date.now(), scopes: ['user.info.basic'] }];

describe('keepOtherTabsAcrossLogin', () => {
  it("copies only the other tabs' pending logins into the regenerated session", () => {
    const req: { session?: FakeSession } = {};
    const old = new FakeSession(req);
    req.session = old;
    Reflect.set(old, PENDING_LOGINS_KEY, pending);
    Reflect.set(old, 'other', 'pre-login value');
    keepOtherTabsAcrossLogin(req, old, { openId: 'open-id-1', at: 1 });
    let error: unknown = 'not called';
    old.regenerate((err) => (error = err));
    assert.equal(error, undefined);
    const fresh = req.session;
    assert.ok(fresh !== undefined && fresh !== old);
    // Until passport saves its user, the entries are as they were: the login may still fail.
    assert.deepEqual(Reflect.get(fresh, PENDING_LOGINS_KEY), pending);
    assert.equal(Reflect.get(fresh, 'tiktokLogin'), undefined);
    saveLogin(fresh);
    assert.deepEqual(
      Reflect.get(fresh, PENDING_LOGINS_KEY),
      pending.map((login) => ({ ...login, openId: 'open-id-1' })),
    );
    assert.deepEqual(Reflect.get(fresh, 'tiktokLogin'), { openId: 'open-id-1', at: 1 });
    assert.equal(Reflect.get(fresh, 'other'), undefined);
    assert.equal(old.regenerations, 1);
  });

  it('is one-shot: the next regenerate() is the original method again', () => {
    const req: { session?: FakeSession } = {};
    const old = new FakeSession(req);
    req.session = old;
    Reflect.set(old, PENDING_LOGINS_KEY, pending);
    keepOtherTabsAcrossLogin(req, old, { openId: 'open-id-1', at: 1 });
    assert.equal(Object.hasOwn(old, 'regenerate'), true);
    old.regenerate(() => undefined);
    assert.equal(methodOf(old, 'regenerate'), methodOf(FakeSession.prototype, 'regenerate'));
    assert.equal(Object.keys(old).includes('regenerate'), false);
  });

  it('leaves the logged-in session with fast properties: no wrapper deleted after passport wrote its key', () => {
    // V8's own check: a deleted property that is not the last one turns the object into a
    // dictionary, which every later save serialises and every read looks up the slow way.
    v8.setFlagsFromString('--allow-natives-syntax');
    const hasFastProperties = vm.runInThisContext('(o) => %HasFastProperties(o)') as (
      o: object,
    ) => boolean;
    // passport's req.login(): regenerate, write the user, save.
    const fresh = regeneratedAfterLogin();
    saveLogin(fresh);
    assert.deepEqual(Reflect.get(fresh, 'tiktokLogin'), { openId: 'open-id-1', at: 1 });
    assert.equal(hasFastProperties(fresh), true);
  });

  it('binds the carried entries to the account that logged in, replacing an older binding', () => {
    const req: { session?: FakeSession } = {};
    const old = new FakeSession(req);
    req.session = old;
    Reflect.set(old, PENDING_LOGINS_KEY, [
      { ...pending[0], openId: 'open-id-0' },
      { state: 'tab-b', createdAt: pending[0]?.createdAt, scopes: [] },
    ]);
    keepOtherTabsAcrossLogin(req, old, { openId: 'open-id-2', at: 1 });
    old.regenerate(() => undefined);
    const fresh = req.session;
    assert.ok(fresh !== undefined && fresh !== old);
    saveLogin(fresh);
    assert.deepEqual(Reflect.get(fresh, PENDING_LOGINS_KEY), [
      { ...pending[0], openId: 'open-id-2' },
      { state: 'tab-b', createdAt: pending[0]?.createdAt, scopes: [], openId: 'open-id-2' },
    ]);
  });

  /** A session stamped for open-id-0 with `pending`, handed to a login of open-id-1. */
  function loginOfAnotherAccount(): { req: { session?: FakeSession }; old: FakeSession } {
    const req: { session?: FakeSession } = {};
    const old = new FakeSession(req);
    req.session = old;
    Reflect.set(old, PENDING_LOGINS_KEY, pending);
    Reflect.set(old, 'tiktokLogin', { openId: 'open-id-0', at: 0 });
    keepOtherTabsAcrossLogin(req, old, { openId: 'open-id-1', at: 1 });
    return { req, old };
  }

  it('writes nothing until the session is regenerated (session: false, assignProperty)', () => {
    const { old } = loginOfAnotherAccount();
    assert.deepEqual(Reflect.get(old, PENDING_LOGINS_KEY), pending);
    assert.deepEqual(Reflect.get(old, 'tiktokLogin'), { openId: 'open-id-0', at: 0 });
  });

  it("leaves the pre-login session as it was; what passport's keepSessionInfo merges from it is bound at the save", () => {
    const { req, old } = loginOfAnotherAccount();
    old.regenerate(() => undefined);
    assert.deepEqual(Reflect.get(old, 'tiktokLogin'), { openId: 'open-id-0', at: 0 });
    assert.deepEqual(Reflect.get(old, PENDING_LOGINS_KEY), pending);
    const fresh = req.session;
    assert.ok(fresh !== undefined && fresh !== old);
    // passport's merge (utils-merge): every enumerable key of the old session, over the new one.
    for (const key of Object.keys(old)) Reflect.set(fresh, key, Reflect.get(old, key));
    saveLogin(fresh);
    assert.deepEqual(Reflect.get(fresh, 'tiktokLogin'), { openId: 'open-id-1', at: 1 });
    assert.deepEqual(Reflect.get(fresh, PENDING_LOGINS_KEY), [
      { ...pending[0], openId: 'open-id-1' },
    ]);
  });

  it("a login failing after the regeneration (serializeUser): the new session holds the other tabs' entries unbound, and no stamp", () => {
    const { req, old } = loginOfAnotherAccount();
    old.regenerate(() => undefined);
    const fresh = req.session;
    assert.ok(fresh !== undefined && fresh !== old);
    // passport's serializeUser failed: no user is written, the session is not saved by passport;
    // express-session saves it at the end of the response.
    fresh.save(() => undefined);
    assert.deepEqual(Reflect.get(fresh, PENDING_LOGINS_KEY), pending);
    assert.equal(Reflect.get(fresh, 'tiktokLogin'), undefined);
  });

  it("a regeneration whose store failed: the replacement session still holds the other tabs' entries, unbound", () => {
    const req: { session?: FakeSession } = {};
    const old = new FakeSession(req);
    req.session = old;
    Reflect.set(old, PENDING_LOGINS_KEY, pending);
    old.failRegenerate = new Error('destroy failed');
    keepOtherTabsAcrossLogin(req, old, { openId: 'open-id-1', at: 1 });
    let error: unknown;
    old.regenerate((err) => (error = err));
    assert.equal(error, old.failRegenerate);
    const fresh = req.session;
    assert.ok(fresh !== undefined && fresh !== old);
    assert.deepEqual(Reflect.get(fresh, PENDING_LOGINS_KEY), pending);
    assert.equal(Reflect.get(fresh, 'tiktokLogin'), undefined);
    // Not watched: nobody logs in to it in this request.
    assert.equal(Object.hasOwn(fresh, 'save'), false);
  });

  /**
   * cookie-session with the regenerate() shim of docs/strategy.md: regenerate() calls back at
   * once and keeps the session object, so `req.session` is the same object afterwards.
   */
  function regeneratingInPlace(): { session: Record<string, unknown> & FakeSessionLike } {
    const session: Record<string, unknown> & FakeSessionLike = {
      save: (callback) => callback(),
      regenerate: (callback) => callback(),
    };
    Reflect.set(session, PENDING_LOGINS_KEY, pending);
    Reflect.set(session, 'tiktokLogin', { openId: 'open-id-0', at: 0 });
    Reflect.set(session, 'passport', { user: 'user-0' });
    keepOtherTabsAcrossLogin({ session }, session, { openId: 'open-id-1', at: 1 });
    return { session };
  }

  it("a regenerate() that keeps the session object: passport's save of its user binds and stamps it", () => {
    const { session } = regeneratingInPlace();
    session.regenerate(() => undefined);
    Reflect.set(session, 'passport', { user: 'user-1' });
    session.save(() => undefined);
    assert.deepEqual(Reflect.get(session, 'tiktokLogin'), { openId: 'open-id-1', at: 1 });
    assert.deepEqual(Reflect.get(session, PENDING_LOGINS_KEY), [
      { ...pending[0], openId: 'open-id-1' },
    ]);
    // The shims are back as the app set them: own, enumerable (cookie-session drops functions).
    assert.deepEqual(
      Object.keys(session).filter((key) => key === 'regenerate' || key === 'save'),
      ['save', 'regenerate'],
    );
  });

  it('a regenerate() that keeps the session object, then serializeUser failing: the session keeps its user, stamp and entries', () => {
    const { session } = regeneratingInPlace();
    session.regenerate(() => undefined);
    // passport's serializeUser failed: no user written, no save by passport.
    assert.deepEqual(Reflect.get(session, 'tiktokLogin'), { openId: 'open-id-0', at: 0 });
    assert.deepEqual(Reflect.get(session, PENDING_LOGINS_KEY), pending);
  });

  it('binds the entries in place when the session cannot regenerate', () => {
    const session = { save: (callback: () => void) => callback() };
    Reflect.set(session, PENDING_LOGINS_KEY, pending);
    keepOtherTabsAcrossLogin({ session }, session, { openId: 'open-id-1', at: 1 });
    assert.deepEqual(Reflect.get(session, PENDING_LOGINS_KEY), [
      { ...pending[0], openId: 'open-id-1' },
    ]);
  });

  it('without other pending logins carries only the login stamp into the regenerated session', () => {
    const fresh = regeneratedAfterLogin();
    saveLogin(fresh);
    assert.equal(Reflect.get(fresh, PENDING_LOGINS_KEY), undefined);
    assert.deepEqual(Reflect.get(fresh, 'tiktokLogin'), { openId: 'open-id-1', at: 1 });
  });

  it("an app's own regenerate() before req.login()'s: the stamp and the other tabs' logins reach the session the user is saved in", () => {
    const req: { session?: FakeSession } = {};
    const old = new FakeSession(req);
    req.session = old;
    Reflect.set(old, PENDING_LOGINS_KEY, pending);
    keepOtherTabsAcrossLogin(req, old, { openId: 'open-id-1', at: 1 });
    // A custom callback written for passport < 0.6: regenerate, then req.login() (which
    // regenerates again, then saves the user).
    old.regenerate(() => undefined);
    const first = req.session;
    assert.ok(first !== undefined && first !== old);
    first.regenerate(() => undefined);
    const fresh = req.session;
    assert.ok(fresh !== undefined && fresh !== first);
    Reflect.set(fresh, 'passport', { user: 'user-1' });
    fresh.save(() => undefined);
    assert.deepEqual(Reflect.get(fresh, 'tiktokLogin'), { openId: 'open-id-1', at: 1 });
    assert.deepEqual(
      Reflect.get(fresh, PENDING_LOGINS_KEY),
      pending.map((login) => ({ ...login, openId: 'open-id-1' })),
    );
    // The login is done: a logout's regeneration in the same request carries nothing.
    assert.equal(methodOf(fresh, 'regenerate'), methodOf(FakeSession.prototype, 'regenerate'));
    assert.equal(methodOf(fresh, 'save'), methodOf(FakeSession.prototype, 'save'));
    assert.deepEqual(
      Object.keys(fresh).filter((key) => key === 'regenerate' || key === 'save'),
      [],
    );
    fresh.regenerate(() => undefined);
    const afterLogout = req.session;
    assert.ok(afterLogout !== undefined && afterLogout !== fresh);
    assert.equal(Reflect.get(afterLogout, 'tiktokLogin'), undefined);
  });
});
