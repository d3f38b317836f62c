import { hash, randomFillSync } from 'node:crypto';

const STATE_BYTES = 32;
const VERIFIER_BYTES = 48;
const POOL_BYTES = (STATE_BYTES + VERIFIER_BYTES) * 64;
let pool = Buffer.alloc(0);
let poolOffset = 0;

/**
 * Where `n` unused bytes of CSPRNG output start in {@link pool}.
 * NOTE: one `randomFillSync` of 5 KiB serves 64 login starts: a synchronous draw costs about
 * 3 µs whatever its size (as much as the rest of a login start's own code), and Node's
 * `crypto.randomUUID()` keeps the same kind of cache. Every byte is handed out once; the pool is
 * a fresh buffer after each refill, so no string made from an earlier one shares its memory.
 */
function draw(n: number): number {
  if (poolOffset + n > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(Math.max(POOL_BYTES, n)));
    poolOffset = 0;
  }
  const at = poolOffset;
  poolOffset += n;
  return at;
}

/**
 * A fresh PKCE verifier: 64 chars of base64url (a subset of RFC 7636's `[A-Za-z0-9-._~]`,
 * inside TikTok's 43–128 length window).
 */
export function generateCodeVerifier(): string {
  const at = draw(VERIFIER_BYTES);
  return pool.toString('base64url', at, at + VERIFIER_BYTES);
}

/**
 * NOTE: TikTok's S256 challenge is the lowercase HEX SHA-256 of the verifier, not RFC 7636's
 * base64url (https://developers.tiktok.com/doc/login-kit-web; TikTok's Android SDK test vector is pinned in
 * test/pkce.test.ts). A base64url challenge is accepted at authorize and then rejected at
 * token exchange with `invalid_request`.
 */
export function codeChallengeForVerifier(verifier: string): string {
  // NOTE: one-shot hash(): no Hash object per call (a verifier is ASCII, so UTF-8 is the same bytes).
  return hash('sha256', verifier, 'hex');
}

/** 64 lowercase hex chars (32 random bytes): the format of a login's state. */
export function generateState(): string {
  const at = draw(STATE_BYTES);
  return pool.toString('hex', at, at + STATE_BYTES);
}
