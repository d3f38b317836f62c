/**
 * "Log in with TikTok" for Express: the Passport strategy, the TikTok client, errors, tokens,
 * middleware and metrics. Guides: the docs/ folder of the repository.
 * @module passport-tiktok
 */
export { TikTokClient } from './client/client';
export type {
  AuthorizationUrl,
  AuthorizationUrlOptions,
  CodeExchangeOptions,
  OperationOptions,
} from './client/client';
export type { TikTokClientOptions } from './client/options';
export type { TikTokCredential } from './client/credentials';
export type { CircuitBreakerOptions } from './client/circuit-breaker';
export type { RetryBudgetOptions } from './client/retry-budget';
export type { TikTokClientToken, TikTokTokens, TikTokUserInfo } from './client/types';
export {
  TIKTOK_AUTHORIZATION_URL,
  TIKTOK_REVOKE_URL,
  TIKTOK_TOKEN_URL,
  TIKTOK_USER_INFO_URL,
} from './client/endpoints';
export { TikTokAPIError, TikTokErrorCode, ERROR_CODE_INFO, isTikTokAPIError } from './errors';
export type {
  CodeInfo as TikTokErrorCodeInfo,
  TikTokAPIErrorInit,
  TikTokUpstreamError,
} from './errors';
export { acceptCorrelationId, generateCorrelationId } from './correlation';
export { createTikTokMetrics } from './metrics';
export type { TikTokMetrics, TikTokOperation } from './metrics';
export type { TikTokLogger } from './logging';
export { parse as parseProfile } from './profile';
export type { TikTokProfile } from './profile';
export { TikTokStrategy, TikTokStrategy as Strategy } from './strategy';
export type {
  TikTokAuthenticateOptions,
  TikTokLoginFailureInfo,
  TikTokStrategyCommonOptions,
  TikTokStrategyOptions,
  TikTokStrategyOptionsWithRequest,
  TikTokStrategyOptionsWithoutRequest,
  TikTokTokenSink,
  TikTokVerifyCallback,
  TikTokVerifyFunction,
  TikTokVerifyFunctionWithParams,
  TikTokVerifyFunctionWithRequest,
  TikTokVerifyFunctionWithRequestAndParams,
  TikTokVerifyResult,
  TikTokVerifyReturn,
} from './strategy/options';
export { tiktokErrorHandler } from './middleware/error-handler';
export type { TikTokErrorHandlerOptions } from './middleware/error-handler';
export { getTikTokLoginFailure } from './state/login-failure';
export type { TikTokLoginFailure } from './state/login-failure';
export { tiktokReturnTo } from './state/return-to';
export type { TikTokReturnToOptions } from './state/return-to';
export { tiktokSessionGuard } from './middleware/session-guard';
export type { TikTokSessionGuardOptions } from './middleware/session-guard';
export { safeReturnTo } from './state/return-to';
export { MemoryClaimStore } from './state/claims';
export type { MemoryClaimStoreOptions, TikTokStateClaimStore } from './state/claims';
export { RedisClaimStore } from './state/redis-claims';
export { RedisCommandTimeoutError } from './redis-timeout';
export type { RedisClaimClient, RedisClaimStoreOptions } from './state/redis-claims';
export {
  TikTokTokenManager,
  MemoryTokenStore,
  RedisTokenStore,
  UnreadableTokenRecordError,
} from './tokens';
export { tiktokWebhook } from './webhooks/middleware';
export type { TikTokWebhookEventContext, TikTokWebhookOptions } from './webhooks/options';
export { verifyTikTokWebhook } from './webhooks/verify';
export type { VerifyTikTokWebhookOptions } from './webhooks/verify';
export { isAuthorizationRemoved, TIKTOK_REMOVAL_REASONS } from './webhooks/event';
export type {
  TikTokAuthorizationRemovedEvent,
  TikTokOtherWebhookEvent,
  TikTokPortabilityEvent,
  TikTokRemovalReasonName,
  TikTokVideoEvent,
  TikTokWebhookEvent,
} from './webhooks/event';
export { MemoryRemovalList } from './webhooks/removals';
export type { MemoryRemovalListOptions, TikTokRemovalList } from './webhooks/removals';
export { RedisRemovalList } from './webhooks/redis-removals';
export type { RedisRemovalClient, RedisRemovalListOptions } from './webhooks/redis-removals';
export { tiktokSessionRevocation } from './webhooks/session-revocation';
export type {
  TikTokSessionRevocationOptions,
  TikTokSessionRevoked,
} from './webhooks/session-revocation';
export type { TikTokLoginStamp } from './webhooks/login-stamp';
export { refreshRedisClusterTopology, watchRedisClusterTopology } from './redis-cluster';
export type { RedisClusterTopologyWatchOptions } from './redis-cluster';
export type {
  RedisClientLike,
  RedisTokenStoreOptions,
  StoredTokenRecord,
  TikTokTokenManagerOptions,
  TokenCallOptions,
  TokenDeleteOptions,
  TokenEncryptionKey,
  TokenEncryptionKeys,
  TokenManagerClient,
  TokenRecordCacheOptions,
  TokenStore,
} from './tokens';
