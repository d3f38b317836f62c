import type { TikTokLogger } from '../../lib/logging';

export interface CapturedLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  meta: Record<string, unknown> | undefined;
}

/** A TikTokLogger that keeps every line, for assertions and secret scans. */
export class CaptureLogger implements TikTokLogger {
  readonly lines: CapturedLine[] = [];

  debug(message: string, meta?: Record<string, unknown>): void {
    this.lines.push({ level: 'debug', message, meta });
  }
  info(message: string, meta?: Record<string, unknown>): void {
    this.lines.push({ level: 'info', message, meta });
  }
  warn(message: string, meta?: Record<string, unknown>): void {
    this.lines.push({ level: 'warn', message, meta });
  }
  error(message: string, meta?: Record<string, unknown>): void {
    this.lines.push({ level: 'error', message, meta });
  }

  /** Every captured byte as one string, for canary scans. */
  text(): string {
    return this.lines.map((l) => `${l.level} ${l.message} ${JSON.stringify(l.meta)}`).join('\n');
  }

  events(suffix: string): CapturedLine[] {
    return this.lines.filter((l) => l.message.endsWith(` - ${suffix}`));
  }
}
