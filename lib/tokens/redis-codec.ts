import { isRecord, parseJson } from '../client/parse';
import type { TikTokTokens } from '../client/types';
import type { TokenCipher } from './cipher';
import { parseStoredTokens, StoredRecordError, tokensForStorage } from './token-record';

/** Additional authenticated data: binds a ciphertext to the user it was written for. */
function aadFor(openId: string): string {
  return `passport-tiktok:tokens:v1:${openId}`;
}

/**
 * The string stored in Redis for one user's tokens: `{"v":1,"tokens":{...}}` in the clear, or an
 * AES-256-GCM envelope (see {@link TokenCipher}) when a key is configured.
 */
export function encodeTokens(
  openId: string,
  tokens: TikTokTokens,
  cipher: TokenCipher | undefined,
): string {
  const clean = tokensForStorage(tokens);
  if (cipher === undefined) return JSON.stringify({ v: 1, tokens: clean });
  return JSON.stringify(cipher.encrypt(JSON.stringify(clean), aadFor(openId)));
}

/** Parses (and decrypts) what {@link encodeTokens} wrote; anything else is a StoredRecordError. */
export function decodeTokens(
  openId: string,
  data: string,
  cipher: TokenCipher | undefined,
): TikTokTokens {
  const outer = parseJson(data);
  if (!isRecord(outer)) throw new StoredRecordError('stored tokens are not a JSON object');
  let tokens: TikTokTokens;
  if (outer.alg !== undefined) {
    if (cipher === undefined) {
      throw new StoredRecordError(
        'stored tokens are encrypted but RedisTokenStore has no encryptionKey/keys option: configure the key they were written with',
      );
    }
    tokens = parseStoredTokens(parseJson(cipher.decrypt(outer, aadFor(openId)).plaintext));
  } else {
    if (cipher !== undefined) {
      // An unencrypted record where encryption is on could have been planted by anyone with
      // write access to Redis: refuse it rather than act on it.
      throw new StoredRecordError(
        'stored tokens are not encrypted but RedisTokenStore is configured with a key: the user must log in again',
      );
    }
    if (outer.v !== 1) throw new StoredRecordError('stored tokens: unknown record version');
    tokens = parseStoredTokens(outer.tokens);
  }
  if (tokens.open_id !== openId)
    throw new StoredRecordError('stored tokens belong to another open_id');
  return tokens;
}
