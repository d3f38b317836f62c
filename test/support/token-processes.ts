import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { isRecord } from '../../lib/client/parse';
import type { StormWorkerConfig, StormWorkerResult } from './storm-worker';
import type { TokenWorkerConfig } from './token-worker';

const WORKER = path.join(__dirname, 'token-worker.ts');
const STORM_WORKER = path.join(__dirname, 'storm-worker.ts');

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

/** A worker script in its own Node process: `ready`, `go`, `result <json>` over stdio. */
class WorkerProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: string[] = [];
  private stderr = '';
  private readonly exited: Promise<number | null>;

  constructor(script: string, env: Record<string, string>) {
    this.child = spawn(process.execPath, ['--require', 'tsx/cjs', script], {
      env: { ...process.env, ...env },
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

  protected async resultLine(timeoutMs: number): Promise<string> {
    const line = await this.line((l) => l.startsWith('result '), timeoutMs);
    return line.slice('result '.length);
  }

  /** SIGKILL: the process dies at once, whatever it holds (a lock, a request in flight). */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  protected async line(match: (line: string) => boolean, timeoutMs: number): Promise<string> {
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

/** One app instance in its own Node process (see token-worker.ts for the protocol). */
export class TokenWorker extends WorkerProcess {
  constructor(config: TokenWorkerConfig) {
    super(WORKER, { TOKEN_WORKER: JSON.stringify(config) });
  }

  async result(timeoutMs = 10_000): Promise<TokenWorkerResult> {
    return parseResult(await this.resultLine(timeoutMs));
  }
}

function numberRecord(value: unknown, what: string): Record<string, number> {
  if (!isRecord(value)) throw new TypeError(`${what} is not an object`);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'number') throw new TypeError(`${what}.${k} is not a number`);
    out[k] = v;
  }
  return out;
}

function parseStormResult(text: string): StormWorkerResult {
  const value: unknown = JSON.parse(text);
  if (!isRecord(value) || !isRecord(value.tokens))
    throw new TypeError('storm result is not an object');
  const tokens: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(value.tokens)) tokens[k] = stringList(v, `tokens.${k}`);
  const latencies = value.latenciesMs;
  if (!Array.isArray(latencies) || !latencies.every((n) => typeof n === 'number'))
    throw new TypeError('latenciesMs is not a number list');
  const { badTransient, maxAttemptMs } = value;
  if (typeof badTransient !== 'number' || typeof maxAttemptMs !== 'number')
    throw new TypeError('badTransient/maxAttemptMs are not numbers');
  return {
    tokens,
    failures: stringList(value.failures, 'failures'),
    transient: numberRecord(value.transient, 'transient'),
    badTransient,
    latenciesMs: latencies,
    maxAttemptMs,
    outcomes: numberRecord(value.outcomes, 'outcomes'),
  };
}

/** One app instance of a refresh storm (see storm-worker.ts for the protocol). */
export class StormWorker extends WorkerProcess {
  constructor(config: StormWorkerConfig) {
    super(STORM_WORKER, { STORM_WORKER: JSON.stringify(config) });
  }

  async result(timeoutMs = 60_000): Promise<StormWorkerResult> {
    return parseStormResult(await this.resultLine(timeoutMs));
  }
}
