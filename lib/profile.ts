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
  /**
   * The user-info JSON text: the user object (`_json`) serialised when `_raw` is first read,
   * unless one was given to `parseProfile(user, raw)`. Can be assigned.
   */
  _raw: string;
  /** The parsed user object. */
  _json: TikTokUserInfo;
}

/** The first of up to three values that is a non-empty string. */
function firstNonEmpty(a?: string, b?: string, c?: string): string | undefined {
  if (a !== undefined && a !== '') return a;
  if (b !== undefined && b !== '') return b;
  return c !== undefined && c !== '' ? c : undefined;
}

/**
 * Pure: user info → Passport profile. Fields are copied as TikTok sent them, empty strings
 * included; `displayName` is the first non-empty of display_name, username and open_id, and the
 * photo the largest non-empty avatar URL.
 */
export function parse(user: TikTokUserInfo, raw?: string): TikTokProfile {
  let text = raw;
  const profile: TikTokProfile = {
    provider: 'tiktok',
    id: user.open_id,
    displayName: firstNonEmpty(user.display_name, user.username) ?? user.open_id,
    photos: [],
    // NOTE: an own enumerable accessor, serialised at its first read: most verify functions
    // never read `_raw`, and a login would otherwise stringify the user for nothing.
    get _raw(): string {
      text ??= JSON.stringify(user);
      return text;
    },
    set _raw(value: string) {
      text = value;
    },
    _json: user,
  };
  if (user.union_id !== undefined) profile.unionId = user.union_id;
  if (user.username !== undefined) profile.username = user.username;
  if (user.profile_deep_link !== undefined) profile.profileUrl = user.profile_deep_link;
  const photo = firstNonEmpty(user.avatar_large_url, user.avatar_url_100, user.avatar_url);
  if (photo !== undefined) profile.photos.push({ value: photo });
  return profile;
}
