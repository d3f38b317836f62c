import type { TikTokProfile } from 'passport-tiktok';

/** What the example keeps in the session about a logged-in user: no token, ever. */
export interface ExampleUser {
  /** TikTok's `open_id` for this app. */
  id: string;
  displayName: string;
  /** `@username`: only with the `user.info.profile` scope. */
  username?: string;
  /** Avatar URL, when TikTok sent one. */
  avatarUrl?: string;
}

/** The session user built from the TikTok profile (the verify function of the example). */
export function userFromProfile(profile: TikTokProfile): ExampleUser {
  const avatarUrl = profile.photos[0]?.value;
  return {
    id: profile.id,
    displayName: profile.displayName,
    ...(profile.username === undefined ? {} : { username: profile.username }),
    ...(avatarUrl === undefined ? {} : { avatarUrl }),
  };
}

function optionalString(value: unknown): boolean {
  return value === undefined || typeof value === 'string';
}

/** `req.user` went through the session store: checked field by field before use. */
export function isExampleUser(value: unknown): value is ExampleUser {
  if (typeof value !== 'object' || value === null) return false;
  const id: unknown = Reflect.get(value, 'id');
  const displayName: unknown = Reflect.get(value, 'displayName');
  return (
    typeof id === 'string' &&
    id.length > 0 &&
    typeof displayName === 'string' &&
    optionalString(Reflect.get(value, 'username')) &&
    optionalString(Reflect.get(value, 'avatarUrl'))
  );
}
