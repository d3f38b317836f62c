import type { Request } from 'express';
import type { SessionLike } from '../state/session';

/** A session cookie setting that keeps the cookie from coming back to the callback. */
export interface SessionCookieProblem {
  /** What is wrong and how to fix it, for the log line. */
  readonly detail: string;
  /**
   * A guess from the settings that the start's response confirms or not: true when it holds
   * only if that response sets no cookie (express-session's `proxy: true` sets it anyway).
   */
  readonly unlessSet: boolean;
}

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
export function sessionCookieProblem(
  req: Request,
  session: SessionLike,
): SessionCookieProblem | undefined {
  const cookie: unknown = session.cookie;
  if (typeof cookie !== 'object' || cookie === null) return undefined;
  const sameSite: unknown = Reflect.get(cookie, 'sameSite');
  if (sameSite === true || (typeof sameSite === 'string' && sameSite.toLowerCase() === 'strict')) {
    return { unlessSet: false, detail: SAME_SITE_STRICT };
  }
  if (Reflect.get(cookie, 'secure') !== true || req.secure) return undefined;
  const forwarded = req.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  return { unlessSet: true, detail: forwarded === 'https' ? UNTRUSTED_PROXY : SECURE_OVER_HTTP };
}

const SAME_SITE_STRICT =
  "the session cookie is SameSite=Strict (express-session cookie.sameSite): browsers do not send it with TikTok's redirect to the callback (a navigation from another site), so every callback fails with INVALID_STATE. Use sameSite: 'lax'";

const UNTRUSTED_PROXY =
  "the session cookie is Secure (express-session cookie.secure: true) and the request reached the proxy over https, but Express does not trust the proxy (req.secure is false), so express-session did not set the cookie and every callback fails with INVALID_STATE. Set app.set('trust proxy', 1) (the number of proxies in front of the app)";

const SECURE_OVER_HTTP =
  "the session cookie is Secure (express-session cookie.secure: true) but this request came over http: express-session did not set a Secure cookie over http, so every callback fails with INVALID_STATE. Serve the app over https, or make the cookie Secure only where it is (cookie.secure: process.env.NODE_ENV === 'production')";
