/** Longest `returnTo` accepted; longer values fall back. */
export const MAX_RETURN_TO_LENGTH = 2048;

const BASE = 'http://return-to.invalid';

// As sent: printable ASCII only (no CR/LF/NUL/tab/space, nothing a header could be split on).
const RAW_CHARS = /^[\x21-\x7e]+$/;
// Once decoded: no control characters (non-ASCII text such as `/café` is fine).
// eslint-disable-next-line no-control-regex
const DECODED_FORBIDDEN = /[\u0000-\u001f\u007f]/;

function isSafePath(path: string, decoded: boolean): boolean {
  if (path.length === 0 || path.length > MAX_RETURN_TO_LENGTH) return false;
  if (decoded ? DECODED_FORBIDDEN.test(path) : !RAW_CHARS.test(path)) return false;
  // A path, not a scheme (`javascript:`, `https:evil.com`) or protocol-relative URL
  // (`//evil.com`, `/\evil.com`: browsers treat `\` like `/`).
  if (!path.startsWith('/') || path.startsWith('//') || path.includes('\\')) return false;
  try {
    return new URL(path, BASE).origin === BASE;
  } catch {
    return false;
  }
}

/**
 * A same-origin path to send the user back to after login, or `fallback`.
 * Accepted: a string that is an absolute path on this site (`/account?tab=1`). Refused:
 * anything else, including `//evil.com`, `/\evil.com`, `https:evil.com`, `javascript:…`,
 * CR/LF, more than 2 KiB, and values that only become one of those once percent-decoded
 * (`/%2F%2Fevil.com`), because some servers and proxies decode before redirecting again.
 */
export function safeReturnTo(value: unknown, fallback = '/'): string {
  if (typeof value !== 'string' || !isSafePath(value, false)) return fallback;
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    return fallback;
  }
  return isSafePath(decoded, true) ? value : fallback;
}
