import { PENDING_LOGINS_KEY, readPendingLogins } from './pending-logins';
import { sessionOf, writeSessionValue, type SessionLike } from './session';
import { writeLoginStamp, type TikTokLoginStamp } from '../webhooks/login-stamp';

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
 */
export function keepOtherTabsAcrossLogin(
  req: object,
  session: SessionLike,
  stamp: TikTokLoginStamp,
): void {
  const remaining = readPendingLogins(session).map((login) => ({ ...login, openId: stamp.openId }));
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
        }
        callback(err);
      },
    ]);
  };
  Reflect.set(session, 'regenerate', once);
}
