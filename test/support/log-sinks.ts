/** Loggers for secret scans: winston at debug level into memory, and a tee to several loggers. */
import { Writable } from 'node:stream';
import winston from 'winston';
import type { TikTokLogger } from '../../lib';

export interface MemoryWinston {
  readonly logger: winston.Logger;
  /** Every JSON line written so far. */
  text(): string;
}

/** A real winston logger (JSON format, debug level) writing into memory. */
export function memoryWinston(): MemoryWinston {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  const logger = winston.createLogger({
    level: 'debug',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- winston's own typings
    transports: [new winston.transports.Stream({ stream })],
  });
  return { logger, text: () => chunks.join('') };
}

/** Sends every line to each target (levels are all enabled). */
export function teeLogger(...targets: TikTokLogger[]): TikTokLogger {
  return {
    debug: (m, meta) => targets.forEach((t) => t.debug(m, meta)),
    info: (m, meta) => targets.forEach((t) => t.info(m, meta)),
    warn: (m, meta) => targets.forEach((t) => t.warn(m, meta)),
    error: (m, meta) => targets.forEach((t) => t.error(m, meta)),
  };
}
