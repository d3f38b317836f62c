import { PENDING_LOGINS_KEY, readPendingLogins } from './pending-logins';
import { sessionOf, writeSessionValue, type SessionLike } from './session';

/**
 * passport ≥ 0.6 regenerates the session in `req.login()` (the session-fixation defence), which
 * would also drop the pending logins of this browser's other tabs. This wraps the session's
 * `regenerate()` once, for this request, so that exactly those entries are copied into the new
 * session; every other pre-login key stays behind. Without a `regenerate()`, nothing changes.
 */
export function keepOtherTabsAcrossLogin(req: object, session: SessionLike): void {
  const remaining = readPendingLogins(session);
  const regenerate: unknown = Reflect.get(session, 'regenerate');
  if (remaining.length === 0 || typeof regenerate !== 'function') return;
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
