import { mkdirSync } from 'node:fs';
import { freePort, startRedisServer, type RedisServerProcess } from '../support/redis';

/** The soak's own redis-server (never the developer's or CI's shared one). */
export class SoakRedis {
  private server: RedisServerProcess | undefined;
  restarts = 0;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(dir: string): Promise<SoakRedis> {
    mkdirSync(dir, { recursive: true });
    const redis = new SoakRedis(await freePort(), dir);
    // Append-only file in the soak's own directory: a stop and a start on the same dir lose
    // nothing, like a Redis restart in production.
    redis.server = await startRedisServer(redis.port, { dir });
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** SIGTERM (AOF flushed), then waits for the exit. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.stop();
  }

  /** Starts it again on the same port and directory (after stop()). */
  async startAgain(): Promise<void> {
    this.server = await startRedisServer(this.port, { dir: this.dir });
    this.restarts += 1;
  }
}
