import type { EmulatorEndpoint, EmulatorEndpoints, RecordedEndpoint } from './types';

/**
 * The emulated paths. NOTE: the trailing slash is part of TikTok's paths; without it TikTok
 * answers `404 Unsupported path(Janus)` (docs/tiktok-api.md), and so does the emulator.
 */
export const ENDPOINT_PATHS: Readonly<Record<EmulatorEndpoint, string>> = {
  authorize: '/v2/auth/authorize/',
  token: '/v2/oauth/token/',
  revoke: '/v2/oauth/revoke/',
  userinfo: '/v2/user/info/',
};

/** The HTTP methods each endpoint answers (authorize: the page, then the consent form post). */
export const ENDPOINT_METHODS: Readonly<Record<EmulatorEndpoint, readonly string[]>> = {
  authorize: ['GET', 'POST'],
  token: ['POST'],
  revoke: ['POST'],
  userinfo: ['GET'],
};

/** TikTok's body for unknown paths, trailing slash forgotten included. */
export const UNSUPPORTED_PATH_BODY = 'Unsupported path(Janus)';

/** Which endpoint a raw path (no query string) is, compared byte for byte. */
export function classifyPath(path: string): RecordedEndpoint {
  for (const [endpoint, endpointPath] of Object.entries(ENDPOINT_PATHS)) {
    if (path === endpointPath && isEndpoint(endpoint)) return endpoint;
  }
  return 'other';
}

export function isEndpoint(value: unknown): value is EmulatorEndpoint {
  return value === 'authorize' || value === 'token' || value === 'revoke' || value === 'userinfo';
}

export function endpointUrls(baseUrl: string): EmulatorEndpoints {
  return {
    authorizationURL: baseUrl + ENDPOINT_PATHS.authorize,
    tokenURL: baseUrl + ENDPOINT_PATHS.token,
    revokeURL: baseUrl + ENDPOINT_PATHS.revoke,
    userInfoURL: baseUrl + ENDPOINT_PATHS.userinfo,
  };
}
