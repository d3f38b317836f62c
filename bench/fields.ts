/** The scopes every competitor requests (and the emulator grants): so the same fields flow. */
export const BENCH_SCOPES: readonly string[] = [
  'user.info.basic',
  'user.info.profile',
  'user.info.stats',
];

/**
 * The user-info fields those scopes allow (https://developers.tiktok.com/doc/tiktok-api-v2-get-user-info), in the order this
 * package asks for them. Used by the hand-wired passport-oauth2 strategy and the ceiling.
 */
export const BENCH_FIELDS = [
  ...['open_id', 'union_id', 'avatar_url', 'avatar_url_100', 'avatar_large_url', 'display_name'],
  ...['bio_description', 'profile_deep_link', 'is_verified', 'username'],
  ...['follower_count', 'following_count', 'likes_count', 'video_count'],
].join(',');
