export { TikTokTokenManager } from './manager';
export type { TokenCallOptions } from './manager';
export type { TikTokTokenManagerOptions, TokenManagerClient } from './manager-options';
export { MemoryTokenStore } from './memory-store';
export { RedisTokenStore } from './redis-store';
export type { RedisClientLike, RedisTokenStoreOptions } from './redis-store';
export type { TokenRecordCacheOptions } from './record-cache';
export type { StoredTokenRecord, TokenStore } from './store';
export type { TokenEncryptionKey, TokenEncryptionKeys } from './cipher';
