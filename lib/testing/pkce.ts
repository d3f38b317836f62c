import { createHash, timingSafeEqual } from 'node:crypto';

const VERIFIER_SYNTAX = /^[A-Za-z0-9._~-]{43,128}$/;

/**
 * True when `verifier` is a valid PKCE verifier whose TikTok-style challenge equals `challenge`.
 * NOTE: TikTok's S256 challenge is the lowercase HEX SHA-256 of the verifier, not RFC 7636's
 * base64url (https://developers.tiktok.com/doc/login-kit-web); a base64url challenge never matches.
 */
export function verifyPkce(verifier: string | null, challenge: string): boolean {
  if (verifier === null || !VERIFIER_SYNTAX.test(verifier)) return false;
  const expected = Buffer.from(createHash('sha256').update(verifier, 'ascii').digest('hex'));
  const actual = Buffer.from(challenge);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
