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

/** The first value that is a non-empty string. */
function firstNonEmpty(...values: Array<string | undefined>): string | undefined {
  return values.find((v) => v !== undefined && v !== '');
}

/**
 * Pure: user info → Passport profile. Fields are copied as TikTok sent them, empty strings
 * included; `displayName` is the first non-empty of display_name, username and open_id, and the
 * photo the largest non-empty avatar URL.
 */
export function parse(user: TikTokUserInfo, raw: string = JSON.stringify(user)): TikTokProfile {
  const profile: TikTokProfile = {
    provider: 'tiktok',
    id: user.open_id,
    displayName: firstNonEmpty(user.display_name, user.username) ?? user.open_id,
    photos: [],
    _raw: raw,
    _json: user,
  };
  if (user.union_id !== undefined) profile.unionId = user.union_id;
  if (user.username !== undefined) profile.username = user.username;
  if (user.profile_deep_link !== undefined) profile.profileUrl = user.profile_deep_link;
  const photo = firstNonEmpty(user.avatar_large_url, user.avatar_url_100, user.avatar_url);
  if (photo !== undefined) profile.photos.push({ value: photo });
  return profile;
}
