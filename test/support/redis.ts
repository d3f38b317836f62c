import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export type TestRedis = ReturnType<typeof createClient>;

/**
 * Connects to the test Redis (REDIS_URL, default 127.0.0.1:6379). Unreachable: the suite is
 * skipped locally, but under `CI=true` it FAILS — CI must never silently skip the Redis suites.
 */
export async function connectTestRedis(ctx: Mocha.Context): Promise<TestRedis> {
  const client = createClient({
    url: REDIS_URL,
    disableOfflineQueue: true,
    socket: { connectTimeout: 2000, reconnectStrategy: false },
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    if (process.env.CI === 'true') {
      throw new Error(`Redis is required under CI=true but ${REDIS_URL} is unreachable`, {
        cause: err,
      });
    }
    ctx.skip();
  }
  return client;
}

/**
 * The test Redis for the enclosing describe block: connected before its tests (skipped locally,
 * failed under `CI=true` when unreachable, see {@link connectTestRedis}), and after them every
 * key under its own `prefix` deleted and the client closed.
 */
export function useTestRedis(): { readonly prefix: string; readonly redis: TestRedis } {
  const prefix = uniquePrefix();
  let client: TestRedis | undefined;
  before(async function () {
    client = await connectTestRedis(this);
  });
  after(async () => {
    if (client === undefined) return;
    await deleteKeys(client, prefix);
    await client.close();
  });
  return {
    prefix,
    get redis(): TestRedis {
      if (client === undefined) throw new Error('useTestRedis(): read before its before() hook');
      return client;
    },
  };
}

/** A key prefix no other run shares: `ptt-test:<random>:`. */
export function uniquePrefix(): string {
  return `ptt-test:${randomBytes(6).toString('hex')}:`;
}

/** Deletes every key under `prefix`; returns how many were deleted. */
export async function deleteKeys(client: TestRedis, prefix: string): Promise<number> {
  let deleted = 0;
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 200 })) {
    if (keys.length > 0) deleted += await client.del(keys);
  }
  return deleted;
}

/** A port that was free a moment ago (the OS picks it). */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port ?? 0;
}

/**
 * `count` distinct free ports: every listener is held open until all have a port, so the OS
 * cannot hand the same one out twice (two freePort() calls in a row can both get the port the
 * first one just released).
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  for (const server of servers) server.listen(0, '127.0.0.1');
  await Promise.all(servers.map((server) => once(server, 'listening')));
  const ports = servers.map((server) => {
    const address = server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  });
  await Promise.all(
    servers.map(async (server) => {
      server.close();
      await once(server, 'close');
    }),
  );
  return ports;
}

/** Spawns `redis-server` in the foreground with `args`; resolves once it accepts connections. */
export async function spawnRedisServer(args: readonly string[]): Promise<ChildProcess> {
  const child = spawn('redis-server', [...args, '--daemonize', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (output.includes('Ready to accept connections')) {
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) =>
      reject(new Error(`redis-server ${args.join(' ')} exited (${String(code)}): ${output}`)),
    );
  });
  child.removeAllListeners('exit');
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}

/** A throwaway redis-server child process, for outage tests. */
export interface RedisServerProcess {
  readonly port: number;
  readonly url: string;
  /** Kills it and waits until it has exited. */
  stop(): Promise<void>;
  /** SIGSTOP: the server keeps its connections open and answers nothing (a hung Redis). */
  freeze(): void;
  /** SIGCONT after {@link freeze}. */
  thaw(): void;
}

/**
 * Starts `redis-server` on `port`; resolves once it accepts connections. Without `dir` nothing
 * is persisted; with `dir` it keeps an append-only file there, so a stop and a restart on the
 * same `dir` lose nothing (a Redis restart in production), and `stop()` shuts down cleanly.
 */
export async function startRedisServer(
  port: number,
  options: { dir?: string } = {},
): Promise<RedisServerProcess> {
  const persistence =
    options.dir === undefined
      ? ['--appendonly', 'no']
      : ['--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', options.dir];
  const child = await spawnRedisServer([
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    ...persistence,
  ]);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGCONT'); // a frozen server would not act on SIGTERM
      child.kill(options.dir === undefined ? 'SIGKILL' : 'SIGTERM');
      await exited;
    },
    freeze: () => child.kill('SIGSTOP'),
    thaw: () => child.kill('SIGCONT'),
  };
}

/**
 * A persistent redis-server of the suite's own (append-only file in a fresh temp dir, on a free
 * port), for outage tests that stop and restart it. Where redis-server cannot start, the suite is
 * skipped locally and fails under `CI=true`.
 */
export async function startThrowawayRedis(
  ctx: Mocha.Context,
  tmpPrefix: string,
): Promise<{ dir: string; port: number; server: RedisServerProcess }> {
  const dir = mkdtempSync(join(tmpdir(), tmpPrefix));
  const port = await freePort();
  try {
    return { dir, port, server: await startRedisServer(port, { dir }) };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    if (process.env.CI === 'true') throw err;
    ctx.skip();
  }
}
