export { startTikTokEmulator } from './server';
export type { TikTokEmulatorOptions } from './options';
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
