import { LOGIN_FAILURE_KEY } from './login-failure';
import { PENDING_LOGINS_KEY } from './pending-logins';
import { readSessionValue, writeSessionValue, type SessionLike } from './session';

/** The session key keeping the app's own cookie `maxAge` while the session's is shortened. */
export const APP_COOKIE_MAX_AGE_KEY = 'tiktok:cookieMaxAge';

// What a session holds when it exists only for logins: nothing of the app's, no user.
const LOGIN_ONLY_KEYS = new Set([
  'cookie',
  PENDING_LOGINS_KEY,
  LOGIN_FAILURE_KEY,
  APP_COOKIE_MAX_AGE_KEY,
]);

/** express-session's `req.session.cookie` (a `maxAge` setter and `originalMaxAge`), if any. */
function cookieOf(session: SessionLike): { maxAge: unknown; originalMaxAge: unknown } | undefined {
  const cookie = session.cookie;
  if (typeof cookie !== 'object' || cookie === null) return undefined;
  return 'maxAge' in cookie && 'originalMaxAge' in cookie ? cookie : undefined;
}

function isMaxAge(value: unknown): value is number | null {
  return value === null || (typeof value === 'number' && Number.isFinite(value) && value > 0);
}

/**
 * The app's `maxAge` as kept under {@link APP_COOKIE_MAX_AGE_KEY}: `false` for none (a cookie that
 * ends with the browser session). NOTE: not `null`, which stores that drop keys holding `null`
 * (DynamoDB mappers) lose: the shortened lifetime would then be taken for the app's own.
 * `null`, kept by sessions saved before, still reads as none.
 */
function readAppMaxAge(session: SessionLike): number | null | undefined {
  const kept = readSessionValue(session, APP_COOKIE_MAX_AGE_KEY);
  if (kept === false) return null;
  return isMaxAge(kept) ? kept : undefined;
}

/**
 * How much longer than its pending logins (`stateTtlMs`) the cookie of a session holding only
 * them lives: 15 hours.
 * NOTE: express-session sends the cookie's `Expires` only (no `Max-Age`), and the browser judges
 * it by its own clock: a cookie expiring when its pending logins do is dropped at once by a
 * browser whose clock is more than `stateTtlMs` fast, and every login from it fails with
 * INVALID_STATE. The margin covers a clock off by a time zone (a clock kept in local time but
 * read as UTC, as dual-boot machines do, is off by the zone's offset: at most 14 hours, UTC+14)
 * plus an hour. It stays far below the usual session lifetimes (days), so a bot hitting the
 * login start still leaves store entries that live hours, not the app's `cookie.maxAge`. The
 * pending logins themselves keep their own `stateTtlMs`, checked on the server's clock.
 */
export const CLOCK_SKEW_MARGIN_MS = 15 * 60 * 60 * 1000;

/**
 * A session that holds nothing but this package's login keys — pending logins (a login started
 * without a user, typically by a browser with no cookie yet), the record of a failed login (a
 * callback without a session cookie on a `failureRedirect` route, typically a bot's) — expires
 * soon: its cookie, and so its store entry (connect-redis and express-session's MemoryStore take
 * their TTL from the cookie), gets a `maxAge` of `ttlMs` plus {@link CLOCK_SKEW_MARGIN_MS} from
 * now, or the app's own `maxAge` when that is shorter. The app's own `maxAge` is kept in the session and put back by
 * {@link restoreAppCookieMaxAge} when passport saves a user into the session. A session with a user or any data of the
 * app's keeps its cookie as it is. Sessions without express-session's cookie are left alone.
 */
export function expireLoginOnlySession(session: SessionLike, ttlMs: number): void {
  const cookie = cookieOf(session);
  if (cookie === undefined) return;
  if (Object.keys(session).some((key) => !LOGIN_ONLY_KEYS.has(key))) return;
  let appMaxAge = readAppMaxAge(session);
  // A second login start in the same session: the app's value is already kept.
  if (appMaxAge === undefined) {
    appMaxAge = isMaxAge(cookie.originalMaxAge) ? cookie.originalMaxAge : null;
    writeSessionValue(session, APP_COOKIE_MAX_AGE_KEY, appMaxAge ?? false);
  }
  const lifetime = ttlMs + CLOCK_SKEW_MARGIN_MS;
  // Reflect.set: a cookie whose maxAge cannot be set (a getter only) is left as it is.
  Reflect.set(
    cookie,
    'maxAge',
    typeof appMaxAge === 'number' ? Math.min(appMaxAge, lifetime) : lifetime,
  );
}

/** Puts the app's own cookie `maxAge` back (a login succeeded), if it was shortened. */
export function restoreAppCookieMaxAge(session: SessionLike): void {
  if (readSessionValue(session, APP_COOKIE_MAX_AGE_KEY) === undefined) return;
  const appMaxAge = readAppMaxAge(session);
  writeSessionValue(session, APP_COOKIE_MAX_AGE_KEY, undefined);
  const cookie = cookieOf(session);
  if (cookie !== undefined && appMaxAge !== undefined) Reflect.set(cookie, 'maxAge', appMaxAge);
}
