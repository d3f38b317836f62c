/**
 * Tokens as TikTok returns them (snake_case kept) plus absolute expiry times.
 * `refresh_token` is absent when TikTok sent none: such a grant cannot be refreshed.
 */
export interface TikTokTokens {
  access_token: string;
  /** Rotates: every refresh returns a new one and the old one stops working. */
  refresh_token?: string;
  open_id: string;
  /** Granted scopes, comma-separated as TikTok sends them. */
  scope: string;
  token_type: 'Bearer';
  /** Seconds, as received. */
  expires_in: number;
  refresh_expires_in?: number;
  /**
   * Epoch ms when the access token expires: `expires_in` counted from when the request was sent,
   * so it errs early by the round trip, never late.
   */
  expires_at: number;
  /** Epoch ms when the refresh token expires. */
  refresh_expires_at?: number;
  /**
   * A `log_id` kept with the tokens. The client does not set it (a successful answer's `log_id`
   * is on the `response` debug log line); a token store keeps one that a record was saved with.
   */
  log_id?: string;
}

/** The client-credentials token (`clt.` prefix), cached by the client. */
export interface TikTokClientToken {
  access_token: string;
  /**
   * Seconds the token had left when `getClientAccessToken()` returned it, rounded down (at
   * least 1): less than the `expires_in` TikTok issued it with when it comes from the cache.
   */
  expires_in: number;
  token_type: 'Bearer';
}

/** User info fields; which ones are present depends on the granted scopes. */
export interface TikTokUserInfo {
  open_id: string;
  union_id?: string;
  avatar_url?: string;
  avatar_url_100?: string;
  avatar_large_url?: string;
  display_name?: string;
  bio_description?: string;
  profile_deep_link?: string;
  is_verified?: boolean;
  username?: string;
  follower_count?: number;
  following_count?: number;
  likes_count?: number;
  video_count?: number;
}
