/**
 * The soak's app process (forked by the orchestrator, so that its RSS is the app's alone).
 * Crashes are counted, not allowed to kill it: `unhandledRejection` and `uncaughtException`
 * must both stay at 0 for the soak to pass.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from 'redis';
import { serve } from '../../bench/ipc';
import { createSoakApp, type SoakRedisClient } from './app';
import { CanaryFile, JsonLinesLogger } from './capture';
import type { SoakAppConfig, SoakAppFinal, SoakAppStats } from './types';

let unhandledRejections = 0;
let uncaughtExceptions = 0;
let internalErrors = 0;
const internalErrorNames: Record<string, number> = {};
const crashNames: string[] = [];

function nameOf(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message.slice(0, 120)}` : typeof err;
}

process.on('unhandledRejection', (reason: unknown) => {
  unhandledRejections += 1;
  crashNames.push(`unhandledRejection ${nameOf(reason)}`);
});
process.on('uncaughtException', (err: unknown) => {
  uncaughtExceptions += 1;
  crashNames.push(`uncaughtException ${nameOf(err)}`);
});

let running:
  | { server: Server; redis: SoakRedisClient; logger: JsonLinesLogger; canaries: CanaryFile }
  | undefined;
let metricsText: () => Promise<string> = () => Promise.resolve('');

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

async function start(params: unknown): Promise<{ baseUrl: string }> {
  const config = params as SoakAppConfig;
  const redis: SoakRedisClient = createClient({
    url: config.redisUrl,
    // Fail fast while Redis is down (503s), reconnect quickly once it is back.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 2000,
      reconnectStrategy: (retries: number) => Math.min(50 * (retries + 1), 500),
    },
  });
  redis.on('error', () => undefined);
  await redis.connect();
  const logger = new JsonLinesLogger(config.logFile, config.logLevel);
  const canaries = new CanaryFile(config.canaryFile);
  const server = createServer();
  server.keepAliveTimeout = 60_000;
  const port = await listen(server);
  const baseUrl = `http://127.0.0.1:${port}`;
  const { app, registry } = createSoakApp({
    config,
    callbackURL: `${baseUrl}/auth/tiktok/callback`,
    redis,
    logger,
    canaries,
    onInternalError: (err: unknown) => {
      internalErrors += 1;
      const code: unknown = err instanceof Error ? Reflect.get(err, 'code') : undefined;
      const name = `${err instanceof Error ? err.name : typeof err}${typeof code === 'string' ? ` ${code}` : ''}: ${err instanceof Error ? err.message.slice(0, 60) : ''}`;
      internalErrorNames[name] = (internalErrorNames[name] ?? 0) + 1;
    },
  });
  server.on('request', app);
  running = { server, redis, logger, canaries };
  metricsText = () => registry.metrics();
  return { baseUrl };
}

function snapshot(): SoakAppStats {
  const memory = process.memoryUsage();
  return {
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    unhandledRejections,
    uncaughtExceptions,
    internalErrors,
    internalErrorNames: { ...internalErrorNames },
    logLines: running?.logger.lineCount ?? 0,
  };
}

// eslint-disable-next-line @typescript-eslint/require-await -- an RPC handler returns a promise
async function stats(params: unknown): Promise<SoakAppStats> {
  if (params === true) globalThis.gc?.();
  return snapshot();
}

async function finish(): Promise<SoakAppFinal> {
  const text = await metricsText();
  if (running !== undefined) {
    const { server, redis, logger, canaries } = running;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    redis.destroy();
    await logger.close();
    await canaries.close();
  }
  globalThis.gc?.();
  return { ...snapshot(), metricsText: text, crashNames: crashNames.slice(0, 20) };
}

serve({ start, stats, finish });
