import { randomBytes } from 'node:crypto';

// A correlation ID must be unique, not secret (it is shown to users as an error "reference"):
// a random per-process start plus a counter gives 2^32 distinct suffixes per process, and two
// processes collide only by drawing starts within a few IDs of each other in the same ms.
// Cheaper than an entropy draw per ID.
let counter = randomBytes(4).readUInt32BE(0);

/** `tiktok-<Date.now()>-<8 lowercase hex>`: one per operation, the same on every attempt. */
export function generateCorrelationId(): string {
  counter = (counter + 1) >>> 0;
  return `tiktok-${Date.now()}-${counter.toString(16).padStart(8, '0')}`;
}

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Accepts a caller's correlation ID (e.g. an incoming `X-Correlation-Id` header) only when it is
 * a short token of safe characters; anything else (arrays, CR/LF, 10 KB) gets a fresh ID, so a
 * header can never inject into logs or response headers.
 */
export function acceptCorrelationId(candidate: unknown): string {
  return typeof candidate === 'string' && SAFE_ID.test(candidate)
    ? candidate
    : generateCorrelationId();
}
