import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { isRecord } from '../../lib/client/parse';
import type { TokenWorkerConfig } from './token-worker';

const WORKER = path.join(__dirname, 'token-worker.ts');

/** What a worker reports: tokens it got, error codes, and its `tokenRefresh{outcome}` counts. */
export interface TokenWorkerResult {
  tokens: string[];
  errors: string[];
  outcomes: Record<string, number>;
}

function stringList(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw new TypeError(`${what} is not a string list`);
  return value;
}

function parseResult(text: string): TokenWorkerResult {
  const value: unknown = JSON.parse(text);
  if (!isRecord(value) || !isRecord(value.outcomes))
    throw new TypeError('worker result is not an object');
  const outcomes: Record<string, number> = {};
  for (const [k, v] of Object.entries(value.outcomes)) {
    if (typeof v !== 'number') throw new TypeError('worker outcome is not a number');
    outcomes[k] = v;
  }
  return {
    tokens: stringList(value.tokens, 'tokens'),
    errors: stringList(value.errors, 'errors'),
    outcomes,
  };
}

/** One app instance in its own Node process (see token-worker.ts for the protocol). */
export class TokenWorker {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: string[] = [];
  private stderr = '';
  private readonly exited: Promise<number | null>;

  constructor(config: TokenWorkerConfig) {
    this.child = spawn(process.execPath, ['--require', 'tsx/cjs', WORKER], {
      env: { ...process.env, TOKEN_WORKER: JSON.stringify(config) },
      stdio: 'pipe',
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => this.lines.push(line));
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** Resolves once the worker printed `ready` (connected to Redis, manager built). */
  ready(timeoutMs = 10_000): Promise<void> {
    return this.line((l) => l === 'ready', timeoutMs).then(() => undefined);
  }

  go(): void {
    this.child.stdin.write('go\n');
  }

  async result(timeoutMs = 10_000): Promise<TokenWorkerResult> {
    const line = await this.line((l) => l.startsWith('result '), timeoutMs);
    return parseResult(line.slice('result '.length));
  }

  /** SIGKILL: the process dies at once, whatever it holds (a lock, a request in flight). */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  private async line(match: (line: string) => boolean, timeoutMs: number): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(match);
      if (found !== undefined) return found;
      if (this.child.exitCode !== null || Date.now() > until) {
        throw new Error(
          `token worker: no matching line (exit ${String(this.child.exitCode)}): ${this.stderr}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
