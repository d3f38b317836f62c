/** Scopes the emulated authorize endpoint accepts. */
export const KNOWN_SCOPES: ReadonlySet<string> = new Set([
  'user.info.basic',
  'user.info.profile',
  'user.info.stats',
  'video.list',
  'video.upload',
  'video.publish',
  'research.adlib.basic',
  'research.data.basic',
  // The other scopes of TikTok's scope reference (https://developers.tiktok.com/doc/tiktok-api-scopes).
  'artist.certification.read',
  'artist.certification.update',
  'portability.activity.ongoing',
  'portability.activity.single',
  'portability.all.ongoing',
  'portability.all.single',
  'portability.directmessages.ongoing',
  'portability.directmessages.single',
  'portability.postsandprofile.ongoing',
  'portability.postsandprofile.single',
]);

/** What each scope lets the app do, as one line on the consent page. */
export const SCOPE_DESCRIPTIONS: ReadonlyMap<string, string> = new Map([
  ['user.info.basic', 'Read your profile info (avatar and display name)'],
  ['user.info.profile', 'Read your profile details (username, bio, profile link, verification)'],
  ['user.info.stats', 'Read your statistics (followers, following, likes and video count)'],
  ['video.list', 'Read your public videos on TikTok'],
  ['video.upload', 'Share content to your TikTok account as a draft'],
  ['video.publish', 'Post content to your TikTok account directly'],
  ['research.adlib.basic', 'Access public commercial content data (research)'],
  ['research.data.basic', 'Access public TikTok data (research)'],
  [
    'artist.certification.read',
    'Read your artist certification (status, matched songs, artist id)',
  ],
  ['artist.certification.update', 'Update your artist certification'],
  ['portability.activity.ongoing', 'Export your activity data, repeatedly'],
  ['portability.activity.single', 'Export your activity data once'],
  ['portability.all.ongoing', 'Export your whole data archive, repeatedly'],
  ['portability.all.single', 'Export your whole data archive once'],
  ['portability.directmessages.ongoing', 'Export your direct messages, repeatedly'],
  ['portability.directmessages.single', 'Export your direct messages once'],
  ['portability.postsandprofile.ongoing', 'Export your posts and profile, repeatedly'],
  ['portability.postsandprofile.single', 'Export your posts and profile once'],
]);

/** The scope each user info field needs (https://developers.tiktok.com/doc/tiktok-api-v2-get-user-info). */
export const FIELD_SCOPES: ReadonlyMap<string, string> = new Map([
  ['open_id', 'user.info.basic'],
  ['union_id', 'user.info.basic'],
  ['avatar_url', 'user.info.basic'],
  ['avatar_url_100', 'user.info.basic'],
  ['avatar_large_url', 'user.info.basic'],
  ['display_name', 'user.info.basic'],
  ['bio_description', 'user.info.profile'],
  ['profile_deep_link', 'user.info.profile'],
  ['is_verified', 'user.info.profile'],
  ['username', 'user.info.profile'],
  ['follower_count', 'user.info.stats'],
  ['following_count', 'user.info.stats'],
  ['likes_count', 'user.info.stats'],
  ['video_count', 'user.info.stats'],
]);

/**
 * Parses a `scope` parameter. NOTE: TikTok separates scopes with commas, not spaces
 * (https://developers.tiktok.com/doc/login-kit-web); a space, an empty item or an unknown scope is an error.
 * Returns the scopes, or a message saying what is wrong.
 */
export function parseScopeParam(value: string): { scopes: string[] } | { error: string } {
  if (value === '') return { error: 'scope is required' };
  if (/\s/.test(value)) {
    return { error: 'scope must be comma-separated (a space was found)' };
  }
  const scopes = value.split(',');
  for (const scope of scopes) {
    if (!KNOWN_SCOPES.has(scope)) return { error: `unknown scope "${scope}"` };
  }
  return { scopes: [...new Set(scopes)] };
}
