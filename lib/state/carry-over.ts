import { PENDING_LOGINS_KEY, readPendingLogins, type PendingLogin } from './pending-logins';
import { sessionOf, writeSessionValue, type SessionLike } from './session';
import { writeLoginStamp, type TikTokLoginStamp } from '../webhooks/login-stamp';
import { restoreAppCookieMaxAge } from './session-cookie';

/** passport's session key (`passport`), where `req.login()` writes the user. */
const DEFAULT_PASSPORT_KEY = 'passport';

/**
 * passport ≥ 0.6 regenerates the session in `req.login()` (the session-fixation defence), which
 * would also drop the pending logins of this browser's other tabs. This wraps the session's
 * `regenerate()` once, for this request, so that exactly those entries — and the login stamp
 * (who logged in, when: what ends the session after a TikTok webhook removes the user's
 * authorization) — reach the new session; every other pre-login key stays behind.
 *
 * Every remaining entry is bound to `stamp.openId`, the TikTok account that just logged in: it may
 * then only complete as that account. A pending login planted before the login (an attacker's, in
 * a session cookie they planted) could otherwise switch the logged-in session to the attacker's
 * account.
 *
 * The binding and the stamp are written when passport saves its user into the new session, the
 * last step of `req.login()`, i.e. only once a user is logged in to it. Until then the new
 * session holds the other tabs' entries as the pre-login session held them, so a login that
 * fails after the regeneration (the app's `serializeUser` failing, the store failing to destroy
 * the old session) leaves a new session with nobody logged in, no stamp, and the other tabs'
 * logins intact. With `session: false`, `assignProperty` (`passport.authorize()`) or a custom
 * callback that does not call `req.login()`, nothing is written: the session keeps its stamp (its
 * own user's, or none) and its pending logins stay unbound. A `regenerate()` that keeps the
 * session object (cookie-session's shim) is watched the same way: that session is bound at
 * passport's save of its user. Without a `regenerate()` (a session middleware other than
 * express-session), both are written to the current session at once.
 *
 * When passport's save of the new session fails (`req.login()` fails: a 503 with
 * tiktokSessionGuard), nobody logged in: the new session loses passport's user and the login
 * stamp, and gets the pending logins back as the pre-login session held them. express-session
 * still saves it at the end of the response (it is a new session), so without this the browser
 * would be logged in behind the error page once the store answers again.
 */
export function keepOtherTabsAcrossLogin(
  req: object,
  session: SessionLike,
  stamp: TikTokLoginStamp,
): void {
  const before = readPendingLogins(session);
  const login: LoginCarry = {
    req,
    before,
    bind: (target) => {
      if (before.length > 0) {
        writeSessionValue(
          target,
          PENDING_LOGINS_KEY,
          before.map((entry) => ({ ...entry, openId: stamp.openId })),
        );
      }
      writeLoginStamp(target, stamp);
      // Someone is logged in to it: the app's own cookie lifetime is back. NOTE: here, not at
      // the callback's success: with session: false, passport.authorize() or a custom callback
      // that logs nobody in, a session holding only pending logins keeps its short lifetime.
      restoreAppCookieMaxAge(target);
    },
  };
  if (typeof Reflect.get(session, 'regenerate') !== 'function') {
    login.bind(session);
    return;
  }
  carryAtRegeneration(login, session);
}

/** One login's carry-over: what the pre-login session held, and what binds it to the account. */
interface LoginCarry {
  readonly req: object;
  /** The other tabs' pending logins as the pre-login session held them. */
  readonly before: readonly PendingLogin[];
  /** Writes the bound entries and the login stamp into a session. */
  readonly bind: (target: SessionLike) => void;
}

/**
 * Wraps `session.regenerate()` once: the session that replaces it gets the other tabs' entries as
 * they were, and its save of passport's user writes the binding and the stamp (or undoes the
 * login if that save fails). The new session's own `regenerate()` is wrapped the same way until
 * that save: an app that regenerates the session itself before `req.login()` (a custom callback
 * written for passport < 0.6) would otherwise leave the other tabs' logins in a session that
 * passport's own regeneration then drops.
 * Returns what removes the wrapper (the session's own method, or tiktokSessionGuard's, is back).
 */
function carryAtRegeneration(login: LoginCarry, session: SessionLike): () => void {
  const regenerate: unknown = Reflect.get(session, 'regenerate');
  if (typeof regenerate !== 'function') return () => undefined;
  const own = Object.getOwnPropertyDescriptor(session, 'regenerate');
  let wrapped = true;
  const unwrap = (): void => {
    if (!wrapped) return;
    wrapped = false;
    restoreMethod(session, 'regenerate', own, regenerate);
  };
  const once = (callback: (err?: unknown) => void): void => {
    // One-shot: later regenerations (logout) use the session's own method again.
    unwrap();
    Reflect.apply(regenerate, session, [
      (err?: unknown): void => {
        const fresh = sessionOf(login.req);
        // NOTE: also when the regeneration failed: express-session replaces the session even
        // when its store could not destroy the old one, and passport then fails the login.
        if (fresh !== undefined && fresh !== session && login.before.length > 0) {
          writeSessionValue(fresh, PENDING_LOGINS_KEY, login.before);
        }
        // NOTE: also a session regenerated in place (cookie-session's regenerate() shim, which
        // keeps the object and all its keys): passport's save of its user binds it all the same.
        if (fresh !== undefined && (err === undefined || err === null)) {
          onLoginSave(login, fresh, carryAtRegeneration(login, fresh));
        }
        callback(err);
      },
    ]);
  };
  defineHidden(session, 'regenerate', once);
  return unwrap;
}

/**
 * Watches the saves of `session` until one saves passport's user (the end of `req.login()`):
 * that one puts the session's own `save` back, calls `done` (the login is done: a logout in the
 * same request is not carried), writes the binding and the stamp, and undoes the login when the
 * save fails, before its caller hears of it. Saves before it (an app's own, between its
 * regeneration and `req.login()`) pass through.
 */
function onLoginSave(login: LoginCarry, session: SessionLike, done: () => void): void {
  const own = Object.getOwnPropertyDescriptor(session, 'save');
  const save: unknown = Reflect.get(session, 'save');
  // Never taken: a SessionLike has a save() (sessionOf() returns no other session).
  if (typeof save !== 'function') return;
  defineHidden(session, 'save', (callback: (err?: unknown) => void): void => {
    const loggedIn = hasUser(login.req, session);
    if (loggedIn) {
      restoreMethod(session, 'save', own, save);
      done();
      login.bind(session);
    }
    Reflect.apply(save, session, [
      (err?: unknown): void => {
        if (loggedIn && err !== undefined && err !== null) undoLogin(login, session);
        callback(err);
      },
    ]);
  });
}

/**
 * A login whose save failed: the session loses passport's user and the stamp, and gets the other
 * tabs' entries back as the pre-login session held them (unbound, unless an earlier login of this
 * browser bound them).
 */
function undoLogin(login: LoginCarry, session: SessionLike): void {
  logOutOf(login.req, session);
  writeSessionValue(
    session,
    PENDING_LOGINS_KEY,
    login.before.length > 0 ? login.before : undefined,
  );
  writeLoginStamp(session, undefined);
}

/**
 * Puts a wrapped method back: its own property as it was, else a hidden own property holding the
 * inherited method.
 * NOTE: not deleted. Deleting a property that is not the object's last one turns it into a
 * dictionary-mode object, and passport has added its key after the wrapper: the logged-in
 * session would then be serialised on every save, and read by the app's code for the rest of
 * the response, through V8's slow path.
 */
function restoreMethod(
  session: SessionLike,
  name: string,
  own: PropertyDescriptor | undefined,
  inherited: unknown,
): void {
  if (own === undefined) defineHidden(session, name, inherited);
  else Object.defineProperty(session, name, own);
}

/** An own method of the session, not enumerable: the session is serialised to the store as JSON. */
function defineHidden(session: SessionLike, name: string, value: unknown): void {
  Object.defineProperty(session, name, {
    value,
    configurable: true,
    writable: true,
    enumerable: false,
  });
}

/** passport's session key: its session manager's `_key`, else `passport`. */
function passportKey(req: object): string {
  const manager: unknown = Reflect.get(req, '_sessionManager');
  const key: unknown =
    typeof manager === 'object' && manager !== null ? Reflect.get(manager, '_key') : undefined;
  return typeof key === 'string' && key !== '' ? key : DEFAULT_PASSPORT_KEY;
}

/** Whether passport's `req.login()` wrote a user into `session`. */
export function hasUser(req: object, session: SessionLike): boolean {
  const entry: unknown = session[passportKey(req)];
  return typeof entry === 'object' && entry !== null && Reflect.get(entry, 'user') !== undefined;
}

/** Removes the user passport's `req.login()` wrote, as passport's own `logOut()` does. */
function logOutOf(req: object, session: SessionLike): void {
  const name = passportKey(req);
  const entry: unknown = session[name];
  if (typeof entry !== 'object' || entry === null) return;
  Reflect.deleteProperty(entry, 'user');
  if (Object.keys(entry).length === 0) writeSessionValue(session, name, undefined);
}
