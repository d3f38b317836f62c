import { createHash, randomBytes } from 'node:crypto';

/**
 * A fresh PKCE verifier: 64 chars of base64url (a subset of RFC 7636's `[A-Za-z0-9-._~]`,
 * inside TikTok's 43–128 length window).
 */
export function generateCodeVerifier(): string {
  return randomBytes(48).toString('base64url');
}

/**
 * NOTE: TikTok's S256 challenge is the lowercase HEX SHA-256 of the verifier, not RFC 7636's
 * base64url (https://developers.tiktok.com/doc/login-kit-web; TikTok's Android SDK test vector is pinned in
 * test/pkce.test.ts). A base64url challenge is accepted at authorize and then rejected at
 * token exchange with `invalid_request`.
 */
export function codeChallengeForVerifier(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('hex');
}

/** 64 lowercase hex chars (32 random bytes): the format of a login's state. */
export function generateState(): string {
  return randomBytes(32).toString('hex');
}

/**
 * A state and a verifier from one draw of the CSPRNG (80 bytes: 32 for the state, 48 for the
 * verifier): the same formats as {@link generateState} and {@link generateCodeVerifier}, one
 * `randomFillSync` per login start instead of two.
 */
export function generateStateAndVerifier(): { state: string; codeVerifier: string } {
  const bytes = randomBytes(80);
  return {
    state: bytes.toString('hex', 0, 32),
    codeVerifier: bytes.subarray(32).toString('base64url'),
  };
}

const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

export function isValidCodeVerifier(value: string): boolean {
  return VERIFIER.test(value);
}
