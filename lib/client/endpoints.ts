import { describeValue } from '../describe-value';
import { BoundedMemo } from '../memo';

/**
 * NOTE: TikTok's endpoints, exact strings (docs/tiktok-api.md). The trailing slash matters:
 * without it the token and revoke endpoints answer `404 Unsupported path(Janus)`.
 * Every URL can be overridden by an option — that is how tests and the example point at the
 * emulator.
 */
export const TIKTOK_AUTHORIZATION_URL = 'https://www.tiktok.com/v2/auth/authorize/';
export const TIKTOK_TOKEN_URL = 'https://open.tiktokapis.com/v2/oauth/token/';
export const TIKTOK_REVOKE_URL = 'https://open.tiktokapis.com/v2/oauth/revoke/';
export const TIKTOK_USER_INFO_URL = 'https://open.tiktokapis.com/v2/user/info/';

export const DEFAULT_SCOPES: readonly string[] = ['user.info.basic'];

/** Per-attempt budget (headers and body). */
export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_ATTEMPTS = 3;
export const DEFAULT_RETRY_BASE_DELAY_MS = 100;
/**
 * Default `deadlineMs` of `exchangeCodeForTokens()` and `getUserInfo()`, and default
 * `loginDeadlineMs` of TikTokStrategy: a person is waiting on them.
 */
export const DEFAULT_LOGIN_DEADLINE_MS = 12_000;
/** Responses larger than this are refused as MALFORMED_RESPONSE. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** The client token is renewed this long before TikTok says it expires. */
export const CLIENT_TOKEN_EARLY_RENEWAL_MS = 5 * 60_000;

// NOTE: user-info fields by scope (https://developers.tiktok.com/doc/tiktok-api-v2-get-user-info). `open_id` must be asked for
// explicitly; asking for a field whose scope was not granted fails the whole call.
export const FIELDS_BY_SCOPE: Readonly<Record<string, readonly string[]>> = {
  'user.info.basic': [
    'open_id',
    'union_id',
    'avatar_url',
    'avatar_url_100',
    'avatar_large_url',
    'display_name',
  ],
  'user.info.profile': ['bio_description', 'profile_deep_link', 'is_verified', 'username'],
  'user.info.stats': ['follower_count', 'following_count', 'likes_count', 'video_count'],
};

// NOTE: every login computes these from the same few scope sets (bench/README.md, profiling).
const fieldsMemo = new BoundedMemo<readonly string[]>();
const scopesMemo = new BoundedMemo<readonly string[]>();

/** The user-info fields the granted scopes allow, `open_id` always first. */
export function fieldsForScopes(scopes: readonly string[]): string[] {
  return [...fieldsMemo.get(JSON.stringify(scopes), () => computeFields(scopes))];
}

function computeFields(scopes: readonly string[]): string[] {
  const fields = new Set<string>(['open_id']);
  for (const scope of scopes) {
    const allowed = Object.prototype.hasOwnProperty.call(FIELDS_BY_SCOPE, scope)
      ? FIELDS_BY_SCOPE[scope]
      : undefined;
    for (const f of allowed ?? []) fields.add(f);
  }
  return [...fields];
}

const SCOPE_SEPARATORS = /[\s,]+/;

function uniqueScopes(parts: readonly string[]): string[] {
  return [...new Set(parts.map((s) => s.trim()).filter((s) => s.length > 0))];
}

/**
 * NOTE: TikTok separates scopes with commas, not spaces (https://developers.tiktok.com/doc/login-kit-web). Accepts a string in
 * either form, or an array, and returns the unique, trimmed, non-empty scopes.
 */
export function normalizeScopes(
  scope: string | readonly string[] | undefined,
  /** How a wrong value is named: `TikTokStrategy option scope`, say. */
  what = 'scope',
): string[] {
  if (scope === undefined) return [];
  // NOTE: checked at run time too: JavaScript callers and config loaders (`[process.env.X]` with
  // X unset) bypass the types.
  const value: unknown = scope;
  if (
    typeof value !== 'string' &&
    !(Array.isArray(value) && value.every((s: unknown) => typeof s === 'string'))
  ) {
    throw new TypeError(
      `${what} must be a string or an array of strings (such as 'user.info.basic,user.info.profile'), got ${describeValue(value)}`,
    );
  }
  // An array normalises like its elements joined with commas (every separator splits alike).
  const text = typeof scope === 'string' ? scope : scope.join(',');
  return [...scopesMemo.get(text, () => uniqueScopes(text.split(SCOPE_SEPARATORS)))];
}

/** Authorization-URL parameters the client sets itself: extra parameters never override them. */
export const AUTHORIZE_PARAMS: ReadonlySet<string> = new Set([
  'client_key',
  'scope',
  'response_type',
  'redirect_uri',
  'state',
  'code_challenge',
  'code_challenge_method',
  'disable_auto_auth',
]);

/** Code-exchange form fields the client sets itself: extra parameters never override them. */
export const TOKEN_PARAMS: ReadonlySet<string> = new Set([
  'client_key',
  'client_secret',
  'code',
  'grant_type',
  'redirect_uri',
  'code_verifier',
]);
