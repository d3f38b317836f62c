import { PENDING_LOGINS_KEY, readPendingLogins } from './pending-logins';
import { sessionOf, writeSessionValue, type SessionLike } from './session';
import { writeLoginStamp, type TikTokLoginStamp } from '../webhooks/login-stamp';

/**
 * passport ≥ 0.6 regenerates the session in `req.login()` (the session-fixation defence), which
 * would also drop the pending logins of this browser's other tabs. This wraps the session's
 * `regenerate()` once, for this request, so that exactly those entries — and the login stamp
 * (who logged in, when: what ends the session after a TikTok webhook removes the user's
 * authorization) — are copied into the new session; every other pre-login key stays behind.
 * Without a `regenerate()`, both are written to the current session.
 *
 * Every remaining entry is bound to `stamp.openId`, the TikTok account that just logged in: it may
 * then only complete as that account. A pending login planted before the login (an attacker's, in
 * a session cookie they planted) could otherwise switch the logged-in session to the attacker's
 * account.
 */
export function keepOtherTabsAcrossLogin(
  req: object,
  session: SessionLike,
  stamp: TikTokLoginStamp,
): void {
  const remaining = readPendingLogins(session).map((login) => ({ ...login, openId: stamp.openId }));
  if (remaining.length > 0) writeSessionValue(session, PENDING_LOGINS_KEY, remaining);
  writeLoginStamp(session, stamp);
  const regenerate: unknown = Reflect.get(session, 'regenerate');
  if (typeof regenerate !== 'function') return;
  const once = (callback: (err?: unknown) => void): void => {
    // One-shot: later regenerations (logout) use the session's own method again.
    Reflect.deleteProperty(session, 'regenerate');
    Reflect.apply(regenerate, session, [
      (err?: unknown): void => {
        const fresh = sessionOf(req);
        if ((err === undefined || err === null) && fresh !== undefined && fresh !== session) {
          if (remaining.length > 0) writeSessionValue(fresh, PENDING_LOGINS_KEY, remaining);
          if (stamp !== undefined) writeLoginStamp(fresh, stamp);
        }
        callback(err);
      },
    ]);
  };
  Reflect.set(session, 'regenerate', once);
}
