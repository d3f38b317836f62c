import { defaultAvatarUrl } from './avatar';
import type { EmulatorUser, EmulatorUserInput } from './types';

/**
 * `url` with a `size` query parameter added, after its own query when it has one (TikTok's avatar
 * URLs are signed and carry a query string).
 */
function sized(url: string, size: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}size=${size}`;
}

function stringOption(name: string, value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string')
    throw new TypeError(`TikTok emulator: user.${name} must be a string`);
  return value;
}

function countOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) {
    throw new TypeError(`TikTok emulator: user.${name} must be a non-negative integer`);
  }
  return value;
}

// A UTF-16 unit that is half of a surrogate pair without its other half.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * `text` with each lone surrogate replaced by U+FFFD, as a browser (or UTF-8) would send it.
 * NOTE: encodeURIComponent throws on a lone surrogate; user data with one is valid JSON
 * (`"\ud800"`) and must be possible to emulate.
 */
export function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD');
}

/** The open_id of the `n`th user (1-based) when it is given none. */
export function defaultOpenId(n: number): string {
  return `emulator-open-id-${n}`;
}

/** Fills in the defaults of a user; `n` is the user's 1-based position. */
export function createUser(input: EmulatorUserInput, n: number, baseUrl: string): EmulatorUser {
  const suffix = n === 1 ? '' : ` ${n}`;
  const openId = stringOption('openId', input.openId, defaultOpenId(n));
  if (openId === '') throw new TypeError('TikTok emulator: user.openId must not be empty');
  // NOTE: TikTok's open_ids are ASCII; one with a lone surrogate could not name its avatar URL.
  if (wellFormed(openId) !== openId) {
    throw new TypeError('TikTok emulator: user.openId must not hold a lone surrogate');
  }
  const displayName = stringOption('displayName', input.displayName, `Emulator User${suffix}`);
  const username = stringOption(
    'username',
    input.username,
    `emulator_user${n === 1 ? '' : `_${n}`}`,
  );
  const avatarUrl = stringOption('avatarUrl', input.avatarUrl, defaultAvatarUrl(baseUrl, openId));
  const unionId = stringOption('unionId', input.unionId, `emulator-union-id-${n}`);
  if (typeof input.isVerified !== 'undefined' && typeof input.isVerified !== 'boolean') {
    throw new TypeError('TikTok emulator: user.isVerified must be a boolean');
  }
  return {
    openId,
    ...(unionId === '' ? {} : { unionId }),
    displayName,
    username,
    avatarUrl,
    avatarUrl100: stringOption('avatarUrl100', input.avatarUrl100, sized(avatarUrl, '100')),
    avatarLargeUrl: stringOption('avatarLargeUrl', input.avatarLargeUrl, sized(avatarUrl, 'large')),
    bioDescription: stringOption('bioDescription', input.bioDescription, `Bio of ${displayName}`),
    isVerified: input.isVerified ?? false,
    followerCount: countOption('followerCount', input.followerCount, 1234),
    followingCount: countOption('followingCount', input.followingCount, 56),
    likesCount: countOption('likesCount', input.likesCount, 7890),
    videoCount: countOption('videoCount', input.videoCount, 12),
    profileDeepLink: stringOption(
      'profileDeepLink',
      input.profileDeepLink,
      `${baseUrl}/@${encodeURIComponent(wellFormed(username))}`,
    ),
  };
}

/** The value of a user info field (TikTok's snake_case name); `undefined` when the user has none. */
export function userField(
  user: EmulatorUser,
  field: string,
): string | number | boolean | undefined {
  switch (field) {
    case 'open_id':
      return user.openId;
    case 'union_id':
      return user.unionId;
    case 'avatar_url':
      return user.avatarUrl;
    case 'avatar_url_100':
      return user.avatarUrl100;
    case 'avatar_large_url':
      return user.avatarLargeUrl;
    case 'display_name':
      return user.displayName;
    case 'bio_description':
      return user.bioDescription;
    case 'profile_deep_link':
      return user.profileDeepLink;
    case 'is_verified':
      return user.isVerified;
    case 'username':
      return user.username;
    case 'follower_count':
      return user.followerCount;
    case 'following_count':
      return user.followingCount;
    case 'likes_count':
      return user.likesCount;
    case 'video_count':
      return user.videoCount;
    default:
      return undefined;
  }
}
