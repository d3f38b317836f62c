import { PENDING_LOGINS_KEY, readPendingLogins } from './pending-logins';
import { sessionOf, writeSessionValue, type SessionLike } from './session';
import { writeLoginStamp, type TikTokLoginStamp } from '../webhooks/login-stamp';

/** passport's session key (`passport`), where `req.login()` writes the user. */
const DEFAULT_PASSPORT_KEY = 'passport';

/**
 * passport ≥ 0.6 regenerates the session in `req.login()` (the session-fixation defence), which
 * would also drop the pending logins of this browser's other tabs. This wraps the session's
 * `regenerate()` once, for this request, so that exactly those entries — and the login stamp
 * (who logged in, when: what ends the session after a TikTok webhook removes the user's
 * authorization) — are copied into the new session; every other pre-login key stays behind.
 *
 * Every remaining entry is bound to `stamp.openId`, the TikTok account that just logged in: it may
 * then only complete as that account. A pending login planted before the login (an attacker's, in
 * a session cookie they planted) could otherwise switch the logged-in session to the attacker's
 * account.
 *
 * Nothing is written until passport regenerates the session, i.e. until a user is logged in to
 * it: with `session: false`, `assignProperty` (`passport.authorize()`) or a custom callback that
 * does not call `req.login()`, nobody logs in, so the session keeps its stamp (its own user's, or
 * none) and its pending logins stay unbound. At the regeneration both are also written to the
 * pre-login session, which passport merges into the new one with `keepSessionInfo: true`.
 * Without a `regenerate()` (a session middleware other than express-session), both are written
 * to the current session at once.
 *
 * When passport's save of the new session fails (`req.login()` fails: a 503 with
 * tiktokSessionGuard), nobody logged in: the new session loses passport's user and the login
 * stamp, and gets the pending logins back as they were (unbound). express-session still saves
 * it at the end of the response (it is a new session), so without this the browser would be
 * logged in behind the error page once the store answers again.
 */
export function keepOtherTabsAcrossLogin(
  req: object,
  session: SessionLike,
  stamp: TikTokLoginStamp,
): void {
  const before = readPendingLogins(session);
  const remaining = before.map((login) => ({ ...login, openId: stamp.openId }));
  const carry = (target: SessionLike): void => {
    if (remaining.length > 0) writeSessionValue(target, PENDING_LOGINS_KEY, remaining);
    writeLoginStamp(target, stamp);
  };
  const regenerate: unknown = Reflect.get(session, 'regenerate');
  if (typeof regenerate !== 'function') {
    carry(session);
    return;
  }
  const once = (callback: (err?: unknown) => void): void => {
    // One-shot: later regenerations (logout) use the session's own method again.
    Reflect.deleteProperty(session, 'regenerate');
    // The pre-login session too: `keepSessionInfo: true` merges it over the new one.
    carry(session);
    Reflect.apply(regenerate, session, [
      (err?: unknown): void => {
        const fresh = sessionOf(req);
        if ((err === undefined || err === null) && fresh !== undefined && fresh !== session) {
          carry(fresh);
          onFailedSave(fresh, () => {
            logOutOf(req, fresh);
            writeSessionValue(fresh, PENDING_LOGINS_KEY, before.length > 0 ? before : undefined);
            writeLoginStamp(fresh, undefined);
          });
        }
        callback(err);
      },
    ]);
  };
  Reflect.set(session, 'regenerate', once);
}

/**
 * Runs `undo` when the next `save()` of `session` (passport's, in `req.login()`) fails, before
 * its caller hears of it. One-shot: the session's own `save` (or the one of tiktokSessionGuard,
 * an own property) is put back at that call.
 */
function onFailedSave(session: SessionLike, undo: () => void): void {
  const own = Object.getOwnPropertyDescriptor(session, 'save');
  const save: unknown = Reflect.get(session, 'save');
  if (typeof save !== 'function') return;
  Object.defineProperty(session, 'save', {
    value: (callback: (err?: unknown) => void): void => {
      if (own === undefined) Reflect.deleteProperty(session, 'save');
      else Object.defineProperty(session, 'save', own);
      Reflect.apply(save, session, [
        (err?: unknown): void => {
          if (err !== undefined && err !== null) undo();
          callback(err);
        },
      ]);
    },
    configurable: true,
    writable: true,
    // Not enumerable: the session is serialised to the store as JSON.
    enumerable: false,
  });
}

/** Removes the user passport's `req.login()` wrote, as passport's own `logOut()` does. */
function logOutOf(req: object, session: SessionLike): void {
  const manager: unknown = Reflect.get(req, '_sessionManager');
  const key: unknown =
    typeof manager === 'object' && manager !== null ? Reflect.get(manager, '_key') : undefined;
  const name = typeof key === 'string' && key !== '' ? key : DEFAULT_PASSPORT_KEY;
  const entry: unknown = session[name];
  if (typeof entry !== 'object' || entry === null) return;
  Reflect.deleteProperty(entry, 'user');
  if (Object.keys(entry).length === 0) writeSessionValue(session, name, undefined);
}
