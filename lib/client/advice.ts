import type { TikTokOperation } from '../metrics';

/**
 * What to check when TikTok refuses an operation's parameters (`invalid_request`,
 * `invalid_params`, `unsupported_grant_type`: VALIDATION_ERROR). The likely causes differ per
 * operation; see https://developers.tiktok.com/doc/oauth-user-access-token-management and
 * https://developers.tiktok.com/doc/tiktok-api-v2-error-handling.
 */
export const VALIDATION_ADVICE: Readonly<Record<TikTokOperation, string>> = {
  token_exchange:
    'Common causes: redirect_uri differs from the one used at authorize, or the PKCE verifier does not match.',
  // NOTE: TikTok's docs show `invalid_request` for a refresh token that is invalid or expired.
  refresh:
    'TikTok refuses a refresh token that is invalid, expired or revoked this way: the user must log in again.',
  client_token:
    'Check that clientKey and clientSecret belong to the same app and that the app may use client credentials.',
  // NOTE: TikTok's docs do not say whether an already revoked or expired access token gets
  // `invalid_request` (this advice) or `invalid_grant` (INVALID_TOKEN); TikTokTokenManager takes
  // both as "already revoked".
  revoke:
    'TikTok refuses to revoke an access token that is malformed, expired or already revoked: the grant may already be over.',
  user_info:
    'Check the requested fields: each must be a user info field TikTok knows, allowed by the granted scopes.',
};
