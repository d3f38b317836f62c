/**
 * TikTok answers as published by other projects (recordings, TikTok's doc examples) that the
 * client once handled badly. Tokens and ids are replaced by look-alikes; shapes are verbatim.
 */

/** A code-exchange answer without `token_type` (from a published log). */
export const TOKEN_WITHOUT_TOKEN_TYPE = {
  access_token: 'act.1d1021d2aee3d41fee2d2add43456badMFZnrhFhfWotu3Ecuiuka27L56lr!4071',
  expires_in: 86400,
  open_id: '723f24d7-e717-40f8-a2b6-cb8464cd23b4',
  refresh_expires_in: 31536000,
  refresh_token: 'rft.713bcd3fa3b8c5ae6a2d8b5a7b9b2b5e1YtRe8lQpEnyB5Ug3T3lGQ5yF5kP!4087',
  scope: 'user.info.basic',
};

/** The same answer with a `token_type` that is not Bearer: still refused. */
export const TOKEN_WITH_MAC_TOKEN_TYPE = { ...TOKEN_WITHOUT_TOKEN_TYPE, token_type: 'mac' };

/**
 * A user-info error with the error object at the top level, as TikTok's error-handling page
 * shows it (https://developers.tiktok.com/doc/tiktok-api-v2-error-handling), HTTP 401.
 */
export const USER_INFO_TOP_LEVEL_ERROR = {
  code: 'access_token_invalid',
  message: 'The access token is invalid or not found in the request.',
  log_id: '20230101000000C1A2B3C4D5E6F7A8B9C0',
};

/** A user-info success for a user without a bio: TikTok sends the field as an empty string. */
export const USER_INFO_EMPTY_BIO = {
  data: {
    user: {
      open_id: '723f24d7-e717-40f8-a2b6-cb8464cd23b4',
      union_id: 'c9c60f44-a2b9-5e76-a5b3-2f0c1f3b0e4f',
      avatar_url: 'https://p16-sign.tiktokcdn-us.com/tos-useast5-avt-0068-tx/abc~c5_168x168.jpeg',
      display_name: 'tiktok_user',
      bio_description: '',
      profile_deep_link: 'https://vm.tiktok.com/ZMexample/',
      is_verified: false,
      username: 'tiktok_user',
    },
  },
  error: { code: 'ok', message: '', log_id: '20230101000000D1E2F3A4B5C6D7E8F9A0' },
};

/** TikTok's flat `invalid_request`, as the token and revoke endpoints send it (HTTP 200). */
export const TOKEN_INVALID_REQUEST = {
  error: 'invalid_request',
  error_description: 'The request parameters are malformed.',
  log_id: '20230101000000E1F2A3B4C5D6E7F8A9B0',
};

/** User info's `invalid_params` in the envelope (HTTP 400). */
export const USER_INFO_INVALID_PARAMS = {
  data: {},
  error: {
    code: 'invalid_params',
    message: 'The request parameters are invalid.',
    log_id: '20230101000000F1A2B3C4D5E6F7A8B9C0',
  },
};
