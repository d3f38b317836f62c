import type { TikTokLogger } from 'passport-tiktok';
import winston from 'winston';

/** `TIKTOK_LOG_LEVEL` values: winston's levels used by the package, or `silent`. */
export type LogLevelSetting = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/**
 * The example's one logger (request lines, the strategy, the token manager): winston, JSON lines
 * on stdout. The package redacts what it logs; the example logs no query string, cookie or token.
 */
export function createExampleLogger(level: LogLevelSetting): TikTokLogger {
  return winston.createLogger({
    level: level === 'silent' ? 'error' : level,
    silent: level === 'silent',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    defaultMeta: { service: 'passport-tiktok-example' },
    // winston's own Console transport; the rule trips on winston-transport's duplicated typings.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
    transports: [new winston.transports.Console()],
  });
}
