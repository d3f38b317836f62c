import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { TikTokLogger } from 'passport-tiktok';
import {
  startTikTokEmulator,
  type TikTokEmulator,
  type TikTokEmulatorOptions,
} from 'passport-tiktok/testing';
import { createApp, WEBHOOK_PATH, type ExampleApp } from './app';
import type { ExampleConfig } from './config';
import { createExampleLogger } from './logger';
import { connectRedis, connectRedisCluster, redactRedisUrl } from './redis';
import type { ExampleRedisClient } from './storage';

/** Test hooks of {@link startExample}; `npm start` passes none. */
export interface StartOptions {
  /** Emulator options on top of the example's (`autoApprove`, `users`). */
  emulator?: Pick<TikTokEmulatorOptions, 'autoApprove' | 'users'>;
  logger?: TikTokLogger;
  /** Prefix of every Redis key. Default: createApp's (`'passport-tiktok-example:'`). */
  redisPrefix?: string;
  /** Where the "open this URL" banner goes. Default: stdout. */
  print?: (text: string) => void;
}

/** A running example: `npm start`'s whole process, minus signal handling. */
export interface RunningExample {
  /** Where to click, e.g. `http://localhost:3000`. */
  readonly url: string;
  /** The in-process TikTok emulator (emulator mode only). */
  readonly emulator: TikTokEmulator | undefined;
  readonly example: ExampleApp;
  /** Stops the server, then the emulator and the Redis connection. */
  close(): Promise<void>;
}

const DEFAULT_EMULATOR_PORT = 3001;

function listen(server: Server, port: number, host: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

function stopServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** The host people type: `localhost` for a wildcard address. */
function publicHost(host: string | undefined): string {
  if (host === undefined || host === '0.0.0.0' || host === '::') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

function isAddressInUse(err: unknown): boolean {
  return err instanceof Error && Reflect.get(err, 'code') === 'EADDRINUSE';
}

/** The emulator on EMULATOR_PORT, or — when it was not set and 3001 is taken — any free port. */
async function startEmulator(
  config: ExampleConfig,
  callbackURL: string,
  extra: StartOptions['emulator'],
): Promise<TikTokEmulator> {
  const options: TikTokEmulatorOptions = {
    redirectUris: [callbackURL],
    appName: 'passport-tiktok example',
    autoApprove: false,
    ...extra,
  };
  try {
    return await startTikTokEmulator({
      ...options,
      port: config.emulatorPort ?? DEFAULT_EMULATOR_PORT,
    });
  } catch (err) {
    if (config.emulatorPort !== undefined || !isAddressInUse(err)) throw err;
    return startTikTokEmulator({ ...options, port: 0 });
  }
}

function tokensLine(config: ExampleConfig): string {
  if (config.redisUrl === undefined && config.redisClusterNodes === undefined) {
    return 'Tokens:   in memory';
  }
  return config.tokenKey === undefined
    ? 'Tokens:   Redis, encrypted with a random key made for this process (set TIKTOK_TOKEN_KEY to keep them across restarts)'
    : 'Tokens:   Redis, encrypted with TIKTOK_TOKEN_KEY';
}

function banner(url: string, config: ExampleConfig, emulator: TikTokEmulator | undefined): string {
  // With the real TikTok, people must come in through the redirect URI's origin (a tunnel or a
  // domain): the session cookie has to be set on the host TikTok sends them back to.
  const open =
    config.tiktok === undefined
      ? url
      : `${new URL(config.tiktok.redirectUri).origin} (listening on ${url})`;
  const tiktok =
    emulator === undefined
      ? `TikTok:   the real one (redirect URI ${config.tiktok?.redirectUri ?? '?'})`
      : `TikTok:   emulator at ${emulator.url} (its consent page: Approve or Deny)`;
  const sessions =
    config.redisClusterNodes !== undefined
      ? `Sessions: Redis Cluster via ${config.redisClusterNodes.map(redactRedisUrl).join(',')}`
      : config.redisUrl === undefined
        ? 'Sessions: in memory (set REDIS_URL to keep them in Redis)'
        : `Sessions: Redis at ${redactRedisUrl(config.redisUrl)}`;
  return `\npassport-tiktok example: open ${open}\n  ${tiktok}\n  ${sessions}\n  ${tokensLine(config)}\n  Health:   ${url}/healthz   Metrics: ${url}/metrics\n\n`;
}

/**
 * What `npm start` does: listens on PORT, starts the TikTok emulator unless TIKTOK_CLIENT_KEY is
 * set (consent page shown, the callback URL registered), connects Redis when REDIS_URL is set,
 * and serves {@link createApp}. Anything that fails on the way is stopped again.
 */
export async function startExample(
  config: ExampleConfig,
  options: StartOptions = {},
): Promise<RunningExample> {
  const logger = options.logger ?? createExampleLogger(config.logLevel);
  if (config.production && config.trustProxy === undefined) {
    logger.warn(
      'NODE_ENV=production without TRUST_PROXY: the session cookie is Secure, so serve HTTPS through a proxy and set TRUST_PROXY',
      {},
    );
  }
  const server = createServer();
  let emulator: TikTokEmulator | undefined;
  let redis: ExampleRedisClient | undefined;
  let closeRedis = (): void => undefined;
  try {
    const port = await listen(server, config.port, config.host);
    const url = `http://${publicHost(config.host)}:${port}`;
    const callbackURL = config.tiktok?.redirectUri ?? `${url}/auth/tiktok/callback`;
    if (config.tiktok === undefined)
      emulator = await startEmulator(config, callbackURL, options.emulator);
    if (config.redisClusterNodes !== undefined) {
      const cluster = await connectRedisCluster(config.redisClusterNodes, logger);
      redis = cluster.client;
      closeRedis = () => cluster.destroy();
    } else if (config.redisUrl !== undefined) {
      const client = await connectRedis(config.redisUrl, logger);
      redis = client;
      closeRedis = () => client.destroy();
    }
    const example = createApp({
      clientKey: config.tiktok?.clientKey ?? emulator?.clientKey ?? '',
      clientSecret: config.tiktok?.clientSecret ?? emulator?.clientSecret ?? '',
      callbackURL,
      ...emulator?.endpoints,
      usingEmulator: emulator !== undefined,
      emulatorUrl: emulator?.url,
      redis,
      ...(options.redisPrefix === undefined ? {} : { redisPrefix: options.redisPrefix }),
      // NOTE: readConfig() already refused real TikTok credentials without TIKTOK_TOKEN_KEY; with
      // the emulator a random key does (the tokens it issues are worthless after a restart).
      tokenEncryptionKey: config.tokenKey ?? randomBytes(32),
      sessionSecret: config.sessionSecret,
      secureCookies: config.secureCookies,
      trustProxy: config.trustProxy,
      oauthEnabled: config.oauthEnabled,
      loginRateLimit: config.loginRateLimit,
      logger,
    });
    server.on('request', example.app);
    // The emulator tells the app, like TikTok, when a user removes the app's access.
    emulator?.setWebhookUrl(`${url}${WEBHOOK_PATH}`);
    (options.print ?? ((text: string) => process.stdout.write(text)))(
      banner(url, config, emulator),
    );
    const stopEmulator = emulator;
    const stopRedis = closeRedis;
    return {
      url,
      emulator,
      example,
      close: async () => {
        await stopServer(server);
        await example.close();
        await stopEmulator?.close();
        stopRedis();
      },
    };
  } catch (err) {
    await stopServer(server);
    await emulator?.close();
    closeRedis();
    throw err;
  }
}
