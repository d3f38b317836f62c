import { randomBytes } from 'node:crypto';

let codeCounter = 0;

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/**
 * A log id in TikTok's format: UTC `yyyyMMddHHmmss` then 20 uppercase hex characters
 * (e.g. `20220829194722CBE87ED59D524E727021`).
 */
export function newLogId(now: number): string {
  const d = new Date(now);
  const stamp =
    String(d.getUTCFullYear()) +
    pad(d.getUTCMonth() + 1) +
    pad(d.getUTCDate()) +
    pad(d.getUTCHours()) +
    pad(d.getUTCMinutes()) +
    pad(d.getUTCSeconds());
  return stamp + randomBytes(10).toString('hex').toUpperCase();
}

/**
 * An authorization code. NOTE: TikTok's codes contain `*`, `!` and `.` (
 * https://developers.tiktok.com/doc/login-kit-web), so a client that decodes twice or forgets to form-encode breaks here as it would
 * against TikTok.
 */
export function newAuthorizationCode(): string {
  codeCounter += 1;
  return `${randomBytes(24).toString('base64url')}*!${randomBytes(6).toString('base64url')}.${codeCounter}`;
}

/** An opaque token with TikTok's prefix: `act.` access, `rft.` refresh, `clt.` client. */
export function newToken(prefix: 'act' | 'rft' | 'clt'): string {
  return `${prefix}.${randomBytes(32).toString('hex')}`;
}
