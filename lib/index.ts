export { TikTokClient } from './client/client';
export type { AuthorizationUrl, AuthorizationUrlOptions, OperationOptions } from './client/client';
export type { TikTokClientOptions } from './client/options';
export type { TikTokClientToken, TikTokTokens, TikTokUserInfo } from './client/types';
export {
  TIKTOK_AUTHORIZATION_URL,
  TIKTOK_REVOKE_URL,
  TIKTOK_TOKEN_URL,
  TIKTOK_USER_INFO_URL,
} from './client/endpoints';
export { TikTokAPIError, TikTokErrorCode, ERROR_CODE_INFO, isTikTokAPIError } from './errors';
export type { TikTokAPIErrorInit, TikTokUpstreamError } from './errors';
export { generateCorrelationId } from './correlation';
export { createTikTokMetrics } from './metrics';
export type { TikTokMetrics, TikTokOperation } from './metrics';
export type { TikTokLogger } from './logging';
export { parse as parseProfile } from './profile';
export type { TikTokProfile } from './profile';
