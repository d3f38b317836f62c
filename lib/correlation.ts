import { randomUUID } from 'node:crypto';

/** `tiktok-<Date.now()>-<8 lowercase hex>`: one per operation, the same on every attempt. */
export function generateCorrelationId(): string {
  // randomUUID draws from a pre-filled entropy cache (randomBytes(4) was a synchronous
  // randomFillSync per call, visible in the login profile); its first 8 hex chars are random.
  return `tiktok-${Date.now()}-${randomUUID().slice(0, 8)}`;
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
