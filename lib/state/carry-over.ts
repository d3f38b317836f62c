import { PENDING_LOGINS_KEY, readPendingLogins } from './pending-logins';
import { sessionOf, writeSessionValue, type SessionLike } from './session';

/**
 * passport ≥ 0.6 regenerates the session in `req.login()` (the session-fixation defence), which
 * would also drop the pending logins of this browser's other tabs. This wraps the session's
 * `regenerate()` once, for this request, so that exactly those entries are copied into the new
 * session; every other pre-login key stays behind.
 *
 * Every remaining entry is bound to `openId`, the TikTok account that just logged in (also when
 * the session has no `regenerate()`): it may then only complete as that account. A pending login
 * planted before the login (an attacker's, in a session cookie they planted) can otherwise switch
 * the logged-in session to the attacker's account.
 */
export function keepOtherTabsAcrossLogin(req: object, session: SessionLike, openId: string): void {
  const remaining = readPendingLogins(session).map((login) => ({ ...login, openId }));
  if (remaining.length === 0) return;
  writeSessionValue(session, PENDING_LOGINS_KEY, remaining);
  const regenerate: unknown = Reflect.get(session, 'regenerate');
  if (typeof regenerate !== 'function') return;
  const once = (callback: (err?: unknown) => void): void => {
    // One-shot: later regenerations (logout) use the session's own method again.
    Reflect.deleteProperty(session, 'regenerate');
    Reflect.apply(regenerate, session, [
      (err?: unknown): void => {
        const fresh = sessionOf(req);
        if ((err === undefined || err === null) && fresh !== undefined && fresh !== session) {
          writeSessionValue(fresh, PENDING_LOGINS_KEY, remaining);
        }
        callback(err);
      },
    ]);
  };
  Reflect.set(session, 'regenerate', once);
}
