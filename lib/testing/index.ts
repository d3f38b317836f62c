/**
 * The TikTok emulator: a local HTTP server that behaves like TikTok Login Kit v2, for
 * development and tests. Guide: docs/emulator.md in the repository.
 * @module passport-tiktok/testing
 */
export { startTikTokEmulator } from './server';
export type { TikTokEmulatorOptions } from './options';
export type { EmulatorRateLimit } from './rate-limiter';
export type { EmulatorFault, MalformedKind } from './fault';
export { buildTikTokWebhookBody, signTikTokWebhook } from './webhook-signing';
export type { TikTokWebhookBodyInput } from './webhook-signing';
export type {
  EmulatorWebhookAttempt,
  EmulatorWebhookDelivery,
  EmulatorWebhookEvent,
  EmulatorWebhookRetry,
  EmulatorWebhookSendOptions,
} from './webhook-delivery';
// `export *` (not `export type`) so that coverage tools load the type-only module.
export * from './types';
