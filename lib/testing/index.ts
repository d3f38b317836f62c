export { startTikTokEmulator } from './server';
export type { TikTokEmulatorOptions } from './options';
export type { EmulatorRateLimit } from './rate-limiter';
export type { EmulatorFault, MalformedKind } from './fault';
// `export *` (not `export type`) so that coverage tools load the type-only module.
export * from './types';
