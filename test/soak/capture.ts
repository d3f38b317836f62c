import { createWriteStream, type WriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { TikTokLogger } from '../../lib/logging';

type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Readonly<Record<Level, number>> = { debug: 0, info: 1, warn: 2, error: 3 };

function isLevel(value: string): value is Level {
  return value === 'debug' || value === 'info' || value === 'warn' || value === 'error';
}

/**
 * The package logger of the soak app: JSON lines in a file, exactly what a JSON log shipper would
 * receive (the scan for secrets reads them all at the end).
 */
export class JsonLinesLogger implements TikTokLogger {
  private readonly stream: WriteStream;
  private lines = 0;

  constructor(
    path: string,
    private readonly level: Level,
  ) {
    this.stream = createWriteStream(path, { flags: 'a' });
  }

  get lineCount(): number {
    return this.lines;
  }

  isLevelEnabled(level: string): boolean {
    return isLevel(level) && ORDER[level] >= ORDER[this.level];
  }

  debug(message: string, meta?: Record<string, unknown>): void {
    this.write('debug', message, meta);
  }
  info(message: string, meta?: Record<string, unknown>): void {
    this.write('info', message, meta);
  }
  warn(message: string, meta?: Record<string, unknown>): void {
    this.write('warn', message, meta);
  }
  error(message: string, meta?: Record<string, unknown>): void {
    this.write('error', message, meta);
  }

  async close(): Promise<void> {
    this.stream.end();
    await finished(this.stream);
  }

  private write(level: Level, message: string, meta: Record<string, unknown> | undefined): void {
    if (!this.isLevelEnabled(level)) return;
    this.lines += 1;
    let text: string;
    try {
      text = JSON.stringify({ t: new Date().toISOString(), level, message, ...meta });
    } catch {
      text = JSON.stringify({
        t: new Date().toISOString(),
        level,
        message,
        meta: 'unserialisable',
      });
    }
    this.stream.write(`${text}\n`);
  }
}

/** Secret values seen during the run, one per line, for the final scan (not kept in memory). */
export class CanaryFile {
  private readonly stream: WriteStream;
  private count = 0;

  constructor(path: string) {
    this.stream = createWriteStream(path, { flags: 'a' });
  }

  get size(): number {
    return this.count;
  }

  add(value: string | undefined | null): void {
    if (value === undefined || value === null || value.length < 12 || value.includes('\n')) return;
    this.count += 1;
    this.stream.write(`${value}\n`);
  }

  async close(): Promise<void> {
    this.stream.end();
    await finished(this.stream);
  }
}
