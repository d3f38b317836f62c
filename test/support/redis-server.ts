import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

/** A port that was free a moment ago (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

/** A throwaway redis-server child process, for outage tests. */
export interface RedisServerProcess {
  readonly port: number;
  readonly url: string;
  /** Kills it and waits until it has exited. */
  stop(): Promise<void>;
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
  const child: ChildProcess = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      ...persistence,
      '--daemonize',
      'no',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
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
      reject(new Error(`redis-server exited (${String(code)}): ${output}`)),
    );
  });
  child.removeAllListeners('exit');
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill(options.dir === undefined ? 'SIGKILL' : 'SIGTERM');
      await exited;
    },
  };
}
