import { isRecord } from '../client/parse';
import type { TikTokTokens } from '../client/types';

/**
 * When TikTok issued `tokens`, epoch ms: when the request that made them was sent (their
 * `expires_at` counts `expires_in` from there). A removal of the user's authorization at or after
 * this time ended them, and the session they logged in.
 */
export function issuedAt(tokens: TikTokTokens): number {
  return tokens.expires_at - tokens.expires_in * 1000;
}

/** Why a stored record cannot be used: corrupt, foreign, or not decryptable with our keys. */
export class StoredRecordError extends Error {
  override readonly name = 'StoredRecordError';
}

function requiredString(o: Record<string, unknown>, field: string): string {
  const v = o[field];
  if (typeof v !== 'string' || v.length === 0) {
    throw new StoredRecordError(`stored tokens: ${field} is missing or not a string`);
  }
  return v;
}

function finiteNumber(
  o: Record<string, unknown>,
  field: string,
  required: boolean,
): number | undefined {
  const v = o[field];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new StoredRecordError(`stored tokens: ${field} is not a number`);
  }
  return v;
}

function optionalString(o: Record<string, unknown>, field: string): string | undefined {
  const v = o[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length === 0) {
    throw new StoredRecordError(`stored tokens: ${field} is not a string`);
  }
  return v;
}

/**
 * Tokens read back from a store, validated field by field (data at rest is `unknown` until
 * checked: another program may share the prefix, or a record may predate a format change).
 */
export function parseStoredTokens(value: unknown): TikTokTokens {
  if (!isRecord(value)) throw new StoredRecordError('stored tokens are not an object');
  if (value.token_type !== 'Bearer')
    throw new StoredRecordError('stored tokens: token_type is not Bearer');
  const scope = value.scope;
  if (typeof scope !== 'string')
    throw new StoredRecordError('stored tokens: scope is not a string');
  const tokens: TikTokTokens = {
    access_token: requiredString(value, 'access_token'),
    open_id: requiredString(value, 'open_id'),
    scope,
    token_type: 'Bearer',
    expires_in: finiteNumber(value, 'expires_in', true) ?? 0,
    expires_at: finiteNumber(value, 'expires_at', true) ?? 0,
  };
  const refreshToken = optionalString(value, 'refresh_token');
  if (refreshToken !== undefined) tokens.refresh_token = refreshToken;
  const refreshExpiresIn = finiteNumber(value, 'refresh_expires_in', false);
  if (refreshExpiresIn !== undefined) tokens.refresh_expires_in = refreshExpiresIn;
  const refreshExpiresAt = finiteNumber(value, 'refresh_expires_at', false);
  if (refreshExpiresAt !== undefined) tokens.refresh_expires_at = refreshExpiresAt;
  const logId = optionalString(value, 'log_id');
  if (logId !== undefined) tokens.log_id = logId;
  return tokens;
}

/** Only the known fields, in a fixed order (nothing a caller attached rides along to Redis). */
export function tokensForStorage(tokens: TikTokTokens): TikTokTokens {
  return parseStoredTokens(tokens);
}
