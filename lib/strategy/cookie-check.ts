import type { Request } from 'express';
import type { SessionLike } from '../state/session';

/**
 * Why the session cookie of a login being started will not come back with TikTok's redirect to
 * the callback, when the start request already shows it; `undefined` when nothing is known to be
 * wrong. Without its cookie the callback finds no pending login and fails with `INVALID_STATE`,
 * whose log line can only list the likely causes: this names the one that applies, at the start.
 *
 * Only express-session's `req.session.cookie` settings that break every login are checked:
 * `sameSite: 'strict'` (not sent with a navigation from tiktok.com) and `secure: true` on a
 * request Express does not see as https (express-session then does not set the cookie at all).
 */
export function sessionCookieProblem(req: Request, session: SessionLike): string | undefined {
  const cookie: unknown = session.cookie;
  if (typeof cookie !== 'object' || cookie === null) return undefined;
  const sameSite: unknown = Reflect.get(cookie, 'sameSite');
  if (sameSite === true || (typeof sameSite === 'string' && sameSite.toLowerCase() === 'strict')) {
    return "the session cookie is SameSite=Strict (express-session cookie.sameSite): browsers do not send it with TikTok's redirect to the callback (a navigation from another site), so every callback fails with INVALID_STATE. Use sameSite: 'lax'";
  }
  if (Reflect.get(cookie, 'secure') !== true || req.secure) return undefined;
  const forwarded = req.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  if (forwarded === 'https') {
    return "the session cookie is Secure (express-session cookie.secure: true) and the request reached the proxy over https, but Express does not trust the proxy (req.secure is false), so express-session does not set the cookie and every callback fails with INVALID_STATE. Set app.set('trust proxy', 1) (the number of proxies in front of the app), unless express-session's own proxy option is true";
  }
  return "the session cookie is Secure (express-session cookie.secure: true) but this request came over http: express-session does not set a Secure cookie over http, so every callback fails with INVALID_STATE. Serve the app over https, or make the cookie Secure only where it is (cookie.secure: process.env.NODE_ENV === 'production')";
}
