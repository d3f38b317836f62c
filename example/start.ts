import { randomBytes } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
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
  /** How long `close()` lets requests in flight finish. Default {@link SHUTDOWN_GRACE_MS}. */
  shutdownGraceMs?: number;
}

/** A running example: `npm start`'s whole process, minus signal handling. */
export interface RunningExample {
  /** Where to click, e.g. `http://localhost:3000`. */
  readonly url: string;
  /** The in-process TikTok emulator (emulator mode only). */
  readonly emulator: TikTokEmulator | undefined;
  readonly example: ExampleApp;
  /**
   * Stops accepting connections, lets the requests in flight finish (a login waiting for TikTok
   * included) for up to `shutdownGraceMs`, cuts what is left, then stops the emulator and the
   * Redis connection.
   */
  close(): Promise<void>;
}

const DEFAULT_EMULATOR_PORT = 3001;

/**
 * How long a shutdown waits for the requests in flight: more than a login's TikTok calls and
 * session writes usually take, well under the 30 s a platform (Kubernetes' default
 * terminationGracePeriodSeconds) waits before SIGKILL.
 */
export const SHUTDOWN_GRACE_MS = 10_000;

function listen(server: Server, port: number, host: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const fail = (err: Error): void => {
      if (!isAddressInUse(err)) {
        reject(err);
        return;
      }
      // 3002: next to the default 3000 and the emulator's 3001 (unless 3002 is the one taken).
      const other = port === 3002 ? 3003 : 3002;
      const hint = new Error(
        `port ${String(port)} is already in use: stop what listens there, or set PORT to a free port (PORT=${String(other)} npm start)`,
        { cause: err },
      );
      reject(Object.assign(hint, { code: 'EADDRINUSE' }));
    };
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

/** An HTTP server that knows its responses in flight, to stop it without cutting them. */
function createDrainableServer(): { server: Server; stop: (graceMs: number) => Promise<void> } {
  const server = createServer();
  const inFlight = new Set<ServerResponse>();
  let stopping = false;
  // A response sent while stopping closes its connection: a keep-alive client must not hold
  // the server open (or send its next request into a closing server).
  const noKeepAlive = (res: ServerResponse): void => {
    if (!res.headersSent) res.shouldKeepAlive = false;
  };
  server.on('request', (_req: unknown, res: ServerResponse) => {
    if (stopping) noKeepAlive(res);
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });
  /**
   * Stops accepting connections and waits for the requests in flight; after `graceMs` the
   * connections still open are cut. NOTE: not `closeAllConnections()` at once, which cuts a
   * login halfway (its code spent at TikTok, its tokens never saved).
   */
  const stop = (graceMs: number): Promise<void> =>
    new Promise((resolve) => {
      stopping = true;
      for (const res of inFlight) noKeepAlive(res);
      const cut = setTimeout(() => server.closeAllConnections(), graceMs);
      server.close(() => {
        clearTimeout(cut);
        resolve();
      });
      server.closeIdleConnections();
    });
  return { server, stop };
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
  const { server, stop: stopServer } = createDrainableServer();
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
      previousSessionSecrets: config.previousSessionSecrets,
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
        await stopServer(options.shutdownGraceMs ?? SHUTDOWN_GRACE_MS);
        await example.close();
        await stopEmulator?.close();
        stopRedis();
      },
    };
  } catch (err) {
    await stopServer(0);
    await emulator?.close();
    closeRedis();
    throw err;
  }
}
