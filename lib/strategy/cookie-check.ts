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
 * Only what breaks every login is checked: express-session's `req.session.cookie` settings
 * `sameSite: 'strict'` (not sent with a navigation from tiktok.com) and `secure: true` on a
 * request Express does not see as https (express-session then does not set the cookie at all),
 * and a login started on another host than `callbackURL`'s ({@link otherCookieHost}).
 */
export function sessionCookieProblem(
  req: Request,
  session: SessionLike,
  callbackHost: string,
): SessionCookieProblem | undefined {
  const cookie: unknown = session.cookie;
  if (typeof cookie !== 'object' || cookie === null) return undefined;
  const sameSite: unknown = Reflect.get(cookie, 'sameSite');
  if (sameSite === true || (typeof sameSite === 'string' && sameSite.toLowerCase() === 'strict')) {
    return { unlessSet: false, detail: SAME_SITE_STRICT };
  }
  const host: unknown = Reflect.get(req, 'hostname');
  if (typeof host === 'string' && host !== callbackHost) {
    const domain: unknown = Reflect.get(cookie, 'domain');
    const other = otherCookieHost(host.toLowerCase(), callbackHost, typeof domain === 'string');
    if (other !== undefined) return { unlessSet: false, detail: other };
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

/** The names of this machine: a cookie set for one is never sent to another. */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** A host name as it may be logged: letters, digits, dots, hyphens, an IPv6 literal. */
const HOST_SHAPE = /^(?:[a-z0-9.-]{1,253}|\[[0-9a-f:.]{2,45}\])$/;

/**
 * Why a login started on `host` (the request's, as Express reads it: `req.hostname`) loses its
 * session cookie at a callback on `callbackHost`, or undefined. A cookie without a `Domain` goes
 * back only to the host that set it.
 * NOTE: only two certain cases, so that an app behind a proxy that rewrites `Host` is never
 * warned: two names of this machine (`localhost` and `127.0.0.1`: the usual first-day mistake),
 * and a host and its parent domain (`www.example.com` and `example.com`) when the cookie has no
 * `domain` setting. Any other pair may be a proxy's upstream name.
 */
export function otherCookieHost(
  host: string,
  callbackHost: string,
  cookieHasDomain: boolean,
): string | undefined {
  if (host === callbackHost || !HOST_SHAPE.test(host)) return undefined;
  const loopback = LOOPBACK_HOSTS.has(host) && LOOPBACK_HOSTS.has(callbackHost);
  const related =
    !cookieHasDomain && (host.endsWith(`.${callbackHost}`) || callbackHost.endsWith(`.${host}`));
  if (!loopback && !related) return undefined;
  return `the login started on ${host}, but callbackURL is on ${callbackHost}: the session cookie set here goes back only to ${host}, so TikTok's redirect to ${callbackHost} arrives without it and every callback fails with INVALID_STATE. Open the app on ${callbackHost} (redirect ${host} there), or make callbackURL's host the one the app is opened on`;
}
