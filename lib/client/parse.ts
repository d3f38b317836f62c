import type { HeaderReader } from './http';
import type { TikTokClientToken, TikTokTokens, TikTokUserInfo } from './types';

/** Why a body is not the documented shape; becomes MALFORMED_RESPONSE. */
export class ShapeError extends Error {
  override readonly name = 'ShapeError';
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const POISON_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Whether `text` contains `__proto__`, `constructor`, `prototype` or `\u`. NOTE: substring
 * searches, cheaper than one regex over the body; `proto` gates the two keys that contain it.
 */
function mayHidePoisonKey(text: string): boolean {
  return (
    (text.includes('proto') && (text.includes('__proto__') || text.includes('prototype'))) ||
    text.includes('constructor') ||
    text.includes('\\u')
  );
}

/**
 * JSON.parse that drops `__proto__` / `constructor` / `prototype` keys so no parsed body can
 * reach an object's prototype later, whatever code copies it, and a leading byte order mark.
 * Returns `undefined` for non-JSON.
 */
export function parseJson(raw: string): unknown {
  // NOTE: a byte order mark before the JSON is ignored (RFC 8259 §8.1): the answer is valid, and
  // refusing it would throw away tokens TikTok issued for a single-use code.
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  try {
    // The reviver costs a call per value: only pay for it when a poison key could be present,
    // spelled out or hidden behind a \u escape (`"\u005f_proto__"` parses to `__proto__`).
    return mayHidePoisonKey(text)
      ? JSON.parse(text, function reviver(this: unknown, key: string, value: unknown) {
          return POISON_KEYS.has(key) ? undefined : value;
        })
      : JSON.parse(text);
  } catch {
    return undefined;
  }
}

const MAX_LIFETIME_S = 20 * 365 * 24 * 3600;

/**
 * A lifetime in seconds: a number or a string of digits, 0 < n ≤ 20 years; else undefined.
 * NOTE: a fraction is dropped (`86399.5` → 86399), and a string may carry one (`"86400.0"`, as a
 * JSON encoder writing a float sends it): a lifetime one second short is harmless, while refusing
 * a refresh answer would drop the refresh token TikTok has just rotated.
 */
function secondsOf(value: unknown): number | undefined {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.length <= 64 && /^\d{1,12}(?:\.\d+)?$/.test(value)
        ? Number(value)
        : Number.NaN;
  if (!Number.isFinite(n)) return undefined;
  const whole = Math.floor(n);
  return whole > 0 && whole <= MAX_LIFETIME_S ? whole : undefined;
}

/** `expires_in`: a number or a string of digits (a fraction dropped), 0 < n ≤ 20 years. */
export function parseSeconds(value: unknown, field: string): number {
  const n = secondsOf(value);
  if (n === undefined) {
    throw new ShapeError(`${field} is not a positive number of seconds`);
  }
  return n;
}

function nonEmptyString(body: Record<string, unknown>, field: string): string {
  const v = body[field];
  if (typeof v !== 'string' || v.length === 0) throw new ShapeError(`${field} is missing or empty`);
  return v;
}

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new ShapeError(`${field} is not a string`);
  return v;
}

function bearer(body: Record<string, unknown>): 'Bearer' {
  const t = body.token_type;
  // NOTE: TikTok has sent both `Bearer` and `bearer`, and answers without `token_type` were
  // recorded: a missing one means Bearer (TikTok issues no other kind), any other value fails.
  if (t === undefined) return 'Bearer';
  if (typeof t !== 'string' || t.toLowerCase() !== 'bearer') {
    throw new ShapeError('token_type is not Bearer');
  }
  return 'Bearer';
}

/** A flat OAuth error (`{"error": "...", "error_description": "..."}`), if the body is one. */
export function flatError(body: unknown): { error: string; description?: string } | undefined {
  if (!isRecord(body)) return undefined;
  const error = body.error;
  if (typeof error !== 'string' || error.length === 0) return undefined;
  const d = body.error_description;
  return typeof d === 'string' && d.length > 0 ? { error, description: d } : { error };
}

export function logIdOf(body: unknown, headers: HeaderReader): string | undefined {
  const fromHeader = headers.get('x-tt-logid');
  let fromBody: unknown;
  if (isRecord(body)) {
    fromBody = body.log_id;
    if (fromBody === undefined && isRecord(body.error)) fromBody = body.error.log_id;
  }
  const id = typeof fromBody === 'string' && fromBody !== '' ? fromBody : fromHeader;
  return id !== null && id !== undefined && /^[A-Za-z0-9._-]{1,128}$/.test(id) ? id : undefined;
}

/**
 * A successful token-endpoint body (code exchange or refresh). `grantOpenId`: the `open_id` the
 * refreshed grant belongs to, used when the answer has none; an answer naming another one is
 * refused.
 */
export function parseTokens(body: unknown, now: number, grantOpenId?: string): TikTokTokens {
  if (!isRecord(body)) throw new ShapeError('the token response is not a JSON object');
  const expiresIn = parseSeconds(body.expires_in, 'expires_in');
  const tokens: TikTokTokens = {
    access_token: nonEmptyString(body, 'access_token'),
    open_id:
      grantOpenId === undefined ? nonEmptyString(body, 'open_id') : openIdOf(body, grantOpenId),
    scope: optionalString(body, 'scope') ?? '',
    token_type: bearer(body),
    expires_in: expiresIn,
    expires_at: now + expiresIn * 1000,
  };
  const refresh = optionalString(body, 'refresh_token');
  if (refresh !== undefined) {
    tokens.refresh_token = refresh;
    const r = body.refresh_expires_in;
    if (r !== undefined && r !== null) {
      // NOTE: a refresh_expires_in that is not a lifetime is dropped, not an error as a bad
      // expires_in is: the field is optional, and the answer carries tokens TikTok has issued
      // for a single-use code, or for a refresh token it has just retired. Refusing them for a
      // lifetime the package can do without would end the login, or the user's grant, for good.
      const seconds = secondsOf(r);
      if (seconds === undefined) {
        IGNORED_REFRESH_LIFETIME.add(tokens);
      } else {
        tokens.refresh_expires_in = seconds;
        tokens.refresh_expires_at = now + seconds * 1000;
      }
    }
  }
  return tokens;
}

/**
 * A refresh answer's `open_id`: the grant's when the answer has none.
 * NOTE: TikTok documents `open_id` in the refresh answer; one without it still carries the
 * rotated refresh token, which refusing the answer would throw away, and whose owner is known.
 */
function openIdOf(body: Record<string, unknown>, grantOpenId: string): string {
  const v = body.open_id;
  if (v === undefined || v === null || v === '') return grantOpenId;
  if (v !== grantOpenId) throw new ShapeError('open_id differs from the grant that was refreshed');
  return v;
}

/**
 * Token sets whose answer carried a `refresh_expires_in` that is not a lifetime (0, a negative
 * number, text): the tokens were kept without it, and the client logs the field it ignored.
 * NOTE: a WeakSet, not a field: TikTokTokens keeps TikTok's own fields only.
 */
const IGNORED_REFRESH_LIFETIME = new WeakSet<TikTokTokens>();

/** Whether {@link parseTokens} ignored the answer's `refresh_expires_in` for `tokens`. */
export function ignoredRefreshLifetime(tokens: TikTokTokens): boolean {
  return IGNORED_REFRESH_LIFETIME.has(tokens);
}

export function parseClientToken(body: unknown): TikTokClientToken {
  if (!isRecord(body)) throw new ShapeError('the token response is not a JSON object');
  return {
    access_token: nonEmptyString(body, 'access_token'),
    expires_in: parseSeconds(body.expires_in, 'expires_in'),
    token_type: bearer(body),
  };
}

/**
 * The user-info envelope's error part: `{ code: 'ok' | 0 | '<error>', message, log_id }`.
 * NOTE: TikTok's error-handling page also shows that object alone, at the top level
 * (`{"code":"access_token_invalid","message":"…","log_id":"…"}`), without `data` or `error`
 * (https://developers.tiktok.com/doc/tiktok-api-v2-error-handling): it is read the same way.
 */
export function envelopeError(body: unknown): { error: string; description?: string } | undefined {
  if (!isRecord(body)) return undefined;
  let part: Record<string, unknown>;
  if (isRecord(body.error)) part = body.error;
  else if (body.error === undefined && body.data === undefined && typeof body.code === 'string')
    part = body;
  else return undefined;
  const code = part.code;
  // NOTE: success is `error.code === "ok"`; an older TikTok doc showed `0` (https://developers.tiktok.com/doc/tiktok-api-v2-get-user-info).
  if (code === 'ok' || code === 0 || code === '0') return undefined;
  const error = typeof code === 'string' || typeof code === 'number' ? String(code) : 'unknown';
  const m = part.message;
  return typeof m === 'string' && m.length > 0 ? { error, description: m } : { error };
}

const STRING_FIELDS = [
  'union_id',
  'avatar_url',
  'avatar_url_100',
  'avatar_large_url',
  'display_name',
  'bio_description',
  'profile_deep_link',
  'username',
] as const;
const COUNT_FIELDS = ['follower_count', 'following_count', 'likes_count', 'video_count'] as const;

/** A successful user-info envelope → the user, field by field. */
export function parseUserInfo(body: unknown): TikTokUserInfo {
  if (!isRecord(body)) throw new ShapeError('the user info response is not a JSON object');
  if (!isRecord(body.error)) throw new ShapeError('the user info response has no error envelope');
  const data = body.data;
  if (!isRecord(data) || !isRecord(data.user)) throw new ShapeError('data.user is missing');
  const raw = data.user;
  const user: TikTokUserInfo = { open_id: nonEmptyString(raw, 'open_id') };
  for (const f of STRING_FIELDS) {
    // Empty strings are kept: TikTok sends `"bio_description": ""` for a user without a bio.
    const v = raw[f];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') throw new ShapeError(`${f} is not a string`);
    user[f] = v;
  }
  for (const f of COUNT_FIELDS) {
    const v = raw[f];
    if (v === undefined || v === null) continue;
    // NOTE: TikTok types the counts as int64, which JSON encoders often send as strings (as they
    // do expires_in): a string of digits is the same count, converted.
    const n = typeof v === 'string' && /^\d{1,16}$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
      throw new ShapeError(`${f} is not a non-negative integer`);
    }
    user[f] = n;
  }
  if (raw.is_verified !== undefined && raw.is_verified !== null) {
    if (typeof raw.is_verified !== 'boolean') throw new ShapeError('is_verified is not a boolean');
    user.is_verified = raw.is_verified;
  }
  return user;
}
