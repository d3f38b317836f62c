import type { TikTokTokens } from '../client/types';
import { parseStoredTokens, StoredRecordError } from './token-record';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The key of everything: a TikTok open_id. A programming error otherwise, hence TypeError. */
export function checkOpenId(openId: unknown, method: string): void {
  if (
    typeof openId !== 'string' ||
    openId.length === 0 ||
    openId.length > 256 ||
    CONTROL.test(openId)
  ) {
    throw new TypeError(
      `TikTokTokenManager.${method}: openId must be a non-empty string (the user's TikTok open_id)`,
    );
  }
}

/** Tokens handed to `save`: validated like data read back, and owned by `openId`. */
export function checkTokens(openId: string, tokens: TikTokTokens): TikTokTokens {
  let clean: TikTokTokens;
  try {
    clean = parseStoredTokens(tokens);
  } catch (err) {
    const why = err instanceof StoredRecordError ? err.message : 'invalid';
    throw new TypeError(`TikTokTokenManager.save: tokens are not TikTokTokens (${why})`, {
      cause: err,
    });
  }
  if (clean.open_id !== openId) {
    throw new TypeError('TikTokTokenManager.save: tokens.open_id differs from openId');
  }
  return clean;
}
