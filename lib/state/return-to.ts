import { describeValue } from '../describe-value';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { failedAsUncalledFactory, ignoredMiddleware } from '../middleware/uncalled-factory';

/** Longest `returnTo` accepted; longer values fall back. */
export const MAX_RETURN_TO_LENGTH = 2048;

const BASE = 'http://return-to.invalid';

// As sent: printable ASCII only (no CR/LF/NUL/tab/space, nothing a header could be split on).
const RAW_CHARS = /^[\x21-\x7e]+$/;
// Once decoded: no control characters (non-ASCII text such as `/café` is fine).
// eslint-disable-next-line no-control-regex
const DECODED_FORBIDDEN = /[\u0000-\u001f\u007f]/;

/**
 * The path as a browser resolves it on this site: dot-segments removed (`.`, `..`, and their
 * percent-encoded forms `%2e`/`%2E`), characters a URL may not hold percent-encoded. Undefined
 * when it is not a path (scheme, protocol-relative, `\`), leaves the origin, or resolves to one
 * that starts with `//` (`/.//evil.com` → `//evil.com`).
 */
function resolvePath(path: string, decoded: boolean): string | undefined {
  if (path.length === 0 || path.length > MAX_RETURN_TO_LENGTH) return undefined;
  if (decoded ? DECODED_FORBIDDEN.test(path) : !RAW_CHARS.test(path)) return undefined;
  // A path, not a scheme (`javascript:`, `https:evil.com`) or protocol-relative URL
  // (`//evil.com`, `/\evil.com`: browsers treat `\` like `/`).
  if (!path.startsWith('/') || path.startsWith('//') || path.includes('\\')) return undefined;
  let url: URL;
  try {
    url = new URL(path, BASE);
  } catch {
    return undefined;
  }
  if (url.origin !== BASE) return undefined;
  const resolved = url.pathname + url.search + url.hash;
  if (resolved.startsWith('//') || resolved.length > MAX_RETURN_TO_LENGTH) return undefined;
  return resolved;
}

/** True when `path`, percent-decoded once, is still a same-origin path once resolved. */
function staysSafeDecoded(path: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return false;
  }
  return resolvePath(decoded, true) !== undefined;
}

/**
 * A same-origin path to send the user back to after login, normalised, or `fallback`.
 * Accepted: a string that is an absolute path on this site (`/account?tab=1`), returned with
 * spaces and non-ASCII text percent-encoded as a browser sends them (`/café` → `/caf%C3%A9`) and
 * its dot-segments resolved as a browser would (`/a/../b` → `/b`, `/a/%2e%2e/b` → `/b`), so that what
 * is stored and redirected to is the path the browser ends up on. Refused: anything else,
 * including `//evil.com`, `/\evil.com`, `https:evil.com`, `javascript:…`, CR/LF, more than 2 KiB,
 * paths that resolve to `//…` (`/.//evil.com`, `/..//evil.com`, `/%2e%2e//evil.com`), and values
 * that only become one of those once percent-decoded (`/%2F%2Fevil.com`, `/%2e%2e%2f%2fevil.com`),
 * because some servers and proxies decode before redirecting again. The result never starts with
 * `//` or `/\`.
 */
export function safeReturnTo(value: unknown, fallback = '/'): string {
  if (typeof value !== 'string') return fallback;
  const encoded = percentEncodeText(value);
  if (encoded === undefined) return fallback;
  return safeEncodedReturnTo(encoded, fallback);
}

/**
 * `value` with spaces and non-ASCII characters percent-encoded (UTF-8), as a browser sends them
 * (`/café` → `/caf%C3%A9`). Undefined for a lone surrogate, which no URL can hold. Control
 * characters are left for the checks to refuse.
 */
function percentEncodeText(value: string): string | undefined {
  // NOTE: spaces at either end are dropped first, as a browser's URL parser drops them.
  let start = 0;
  let end = value.length;
  while (start < end && value.charCodeAt(start) === 0x20) start++;
  while (end > start && value.charCodeAt(end - 1) === 0x20) end--;
  try {
    return value.slice(start, end).replace(TEXT_TO_ENCODE, (run) => encodeURIComponent(run));
  } catch {
    return undefined;
  }
}

const TEXT_TO_ENCODE = /[\u0020\u0080-\uffff]+/g;

function safeEncodedReturnTo(value: string, fallback: string): string {
  const resolved = resolvePath(value, false);
  if (resolved === undefined) return fallback;
  // Both the input and its resolved form must survive one decoding: the input, because the
  // decoded form of a segment like `%2fevil.com` is only exposed once a `..` before it is gone.
  return staysSafeDecoded(value) && staysSafeDecoded(resolved) ? resolved : fallback;
}

/** Options of {@link tiktokReturnTo}. */
export interface TikTokReturnToOptions {
  /** Where to go when the login carried no (valid) `returnTo`. Default: `'/'`. */
  fallback?: string | undefined;
}

/**
 * Ends the callback route: redirects to the `returnTo` given when the login started
 * (`passport.authenticate('tiktok', { returnTo })` or `/auth/tiktok?returnTo=/path`). It travels
 * in the pending login and comes back as `req.authInfo.returnTo`, so it survives passport's
 * session regeneration at login; it is validated again here (same-origin path only).
 *
 * ```ts
 * app.get('/auth/tiktok/callback', passport.authenticate('tiktok', { failureRedirect: '/login' }), tiktokReturnTo());
 * ```
 */
export function tiktokReturnTo(options?: TikTokReturnToOptions): RequestHandler;
export function tiktokReturnTo(
  options: TikTokReturnToOptions = {},
  ...mounted: unknown[]
): RequestHandler {
  if (failedAsUncalledFactory('tiktokReturnTo', options, mounted)) return ignoredMiddleware;
  const given = options.fallback ?? '/';
  const fallback = safeReturnTo(given, '');
  // NOTE: refused rather than replaced by `/`: a fallback that is not a same-origin path would
  // otherwise be dropped without a word.
  if (fallback === '') {
    throw new TypeError(
      `tiktokReturnTo option fallback must be a path of this site starting with / (such as /dashboard), got ${describeValue(given)}`,
    );
  }
  return function tiktokReturnToHandler(req: Request, res: Response, _next: NextFunction): void {
    // NOTE: the redirect that ends a login carries its new session cookie: never stored by a cache.
    if (!res.headersSent) res.setHeader('Cache-Control', 'no-store');
    res.redirect(safeReturnTo(req.authInfo?.returnTo, fallback));
  };
}
