import type { TikTokUserInfo } from './client/types';

/** The Passport profile built from TikTok user info (docs/strategy.md, "The profile"). */
export interface TikTokProfile {
  provider: 'tiktok';
  /** TikTok's `open_id`: stable per app and user. */
  id: string;
  unionId?: string;
  username?: string;
  displayName: string;
  profileUrl?: string;
  photos: { value: string }[];
  /** The raw user-info JSON text. */
  _raw: string;
  /** The parsed user object. */
  _json: TikTokUserInfo;
}

/** Pure: user info → Passport profile. `displayName` falls back on username, then open_id. */
export function parse(user: TikTokUserInfo, raw: string = JSON.stringify(user)): TikTokProfile {
  const profile: TikTokProfile = {
    provider: 'tiktok',
    id: user.open_id,
    displayName: user.display_name ?? user.username ?? user.open_id,
    photos: [],
    _raw: raw,
    _json: user,
  };
  if (user.union_id !== undefined) profile.unionId = user.union_id;
  if (user.username !== undefined) profile.username = user.username;
  if (user.profile_deep_link !== undefined) profile.profileUrl = user.profile_deep_link;
  const photo = user.avatar_large_url ?? user.avatar_url_100 ?? user.avatar_url;
  if (photo !== undefined) profile.photos.push({ value: photo });
  return profile;
}
