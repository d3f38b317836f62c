import { createHmac, timingSafeEqual } from 'node:crypto';

/** Why a signature header was refused; the message never contains the header's value. */
export class SignatureError extends Error {
  override readonly name = 'SignatureError';
  constructor(
    message: string,
    /** `missing`, `malformed`, `mismatch`, `stale` or `future`: for logs and tests. */
    readonly reason: 'missing' | 'malformed' | 'mismatch' | 'stale' | 'future',
  ) {
    super(message);
  }
}

/** The two parts of `t=<epoch seconds>,s=<hex>`. */
export interface ParsedSignature {
  readonly timestamp: number;
  readonly signature: Buffer;
}

const MAX_HEADER = 512;

/**
 * Parses `TikTok-Signature: t=<epoch seconds>,s=<hex HMAC-SHA256>`. Spaces around the parts are
 * tolerated; unknown parts are ignored (room for future schemes); a missing or repeated `t` or
 * `s`, or a value that is not decimal seconds / 64 hex digits, is refused — an ambiguous header
 * never gets a second chance at matching.
 */
export function parseSignatureHeader(header: unknown): ParsedSignature {
  if (header === undefined || header === '') {
    throw new SignatureError('the TikTok-Signature header is missing', 'missing');
  }
  if (typeof header !== 'string' || header.length > MAX_HEADER) {
    throw new SignatureError(
      'the TikTok-Signature header is malformed (sent more than once, or too long)',
      'malformed',
    );
  }
  let t: string | undefined;
  let s: string | undefined;
  let repeated = false;
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      repeated ||= t !== undefined;
      t = value;
    } else if (key === 's') {
      repeated ||= s !== undefined;
      s = value;
    }
  }
  if (repeated || t === undefined || s === undefined) {
    throw new SignatureError(
      'the TikTok-Signature header must hold exactly one t=<seconds> and one s=<hex>',
      'malformed',
    );
  }
  if (!/^\d{1,12}$/.test(t) || !/^[0-9a-fA-F]{64}$/.test(s)) {
    throw new SignatureError(
      'the TikTok-Signature header must be t=<epoch seconds>,s=<64 hex digits>',
      'malformed',
    );
  }
  return { timestamp: Number(t), signature: Buffer.from(s, 'hex') };
}

/** HMAC-SHA256 keyed with the client secret over `<t>.<raw body>`. */
export function computeSignature(rawBody: Buffer, timestamp: number, clientSecret: string): Buffer {
  return createHmac('sha256', clientSecret)
    .update(`${timestamp}.`, 'utf8')
    .update(rawBody)
    .digest();
}

/** Options of {@link checkSignature}. */
export interface SignatureCheck {
  readonly clientSecret: string;
  readonly toleranceSeconds: number;
  /** Epoch ms. */
  readonly now: number;
}

/**
 * Verifies a delivery: the HMAC in constant time first (so timing says nothing about the
 * timestamp check), then the timestamp within `toleranceSeconds` of `now` either way (a replay
 * of a captured delivery is stale; a timestamp from the future is as suspicious).
 */
export function checkSignature(rawBody: Buffer, header: unknown, check: SignatureCheck): void {
  const { timestamp, signature } = parseSignatureHeader(header);
  const expected = computeSignature(rawBody, timestamp, check.clientSecret);
  if (!timingSafeEqual(expected, signature)) {
    throw new SignatureError(
      "the TikTok-Signature does not match the body: check that the client secret is the app's and that nothing rewrites the body before this middleware",
      'mismatch',
    );
  }
  const skew = Math.floor(check.now / 1000) - timestamp;
  if (skew > check.toleranceSeconds) {
    throw new SignatureError(
      `the TikTok-Signature timestamp is ${skew} s old (tolerance ${check.toleranceSeconds} s): a replay, or this server's clock is wrong`,
      'stale',
    );
  }
  if (-skew > check.toleranceSeconds) {
    throw new SignatureError(
      `the TikTok-Signature timestamp is ${-skew} s in the future (tolerance ${check.toleranceSeconds} s): check this server's clock`,
      'future',
    );
  }
}
