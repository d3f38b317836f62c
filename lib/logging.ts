import type * as Winston from 'winston';

/**
 * Any winston-compatible logger: winston itself, pino through a shim, or `console`.
 * Meta is structured; messages start with `[TikTokOAuth] <operation> - `.
 */
export interface TikTokLogger {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
  /** Optional (winston has it): lets us skip building meta for disabled levels. */
  isLevelEnabled?(level: string): boolean;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

let defaultLogger: TikTokLogger | undefined;

/** `TIKTOK_LOG_LEVEL` as the default logger reads it: `silent` keeps `error` and mutes it. */
function configuredLevel(): { level: string; silent: boolean } {
  const level = process.env.TIKTOK_LOG_LEVEL ?? 'info';
  return level === 'silent' ? { level: 'error', silent: true } : { level, silent: false };
}

/**
 * The default logger, created once per process: winston, JSON lines on stdout, level from
 * `TIKTOK_LOG_LEVEL` (default `info`; `silent` turns it off).
 */
export function getDefaultLogger(): TikTokLogger {
  if (defaultLogger === undefined) {
    // NOTE: winston (and logform, readable-stream, colors) is loaded here, on the first line the
    // default logger writes, not when the package is imported: an app that passes its own logger,
    // or whose logins only log below the configured level, never loads it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const winston = require('winston') as typeof Winston;
    const { level, silent } = configuredLevel();
    defaultLogger = winston.createLogger({
      level,
      silent,
      format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
      defaultMeta: { component: 'passport-tiktok' },
      // winston's own Console transport; the rule trips on winston-transport's duplicated typings.
      // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
      transports: [new winston.transports.Console()],
    });
  }
  return defaultLogger;
}

// winston's default (npm) levels, most severe first: what `isLevelEnabled` compares.
const NPM_LEVELS: Readonly<Record<string, number>> = {
  error: 0,
  warn: 1,
  info: 2,
  http: 3,
  verbose: 4,
  debug: 5,
  silly: 6,
};

/**
 * What clients and token managers get when no `logger` is given: the default winston logger,
 * created at the first line actually written. Level checks are answered from `TIKTOK_LOG_LEVEL`
 * without loading winston (the answer winston would give for its npm levels).
 */
export class LazyDefaultLogger implements TikTokLogger {
  private readonly threshold: number | undefined;
  private readonly silent: boolean;

  constructor() {
    const { level, silent } = configuredLevel();
    this.threshold = NPM_LEVELS[level];
    this.silent = silent;
  }

  debug(message: string, meta?: Record<string, unknown>): void {
    getDefaultLogger().debug(message, meta);
  }
  info(message: string, meta?: Record<string, unknown>): void {
    getDefaultLogger().info(message, meta);
  }
  warn(message: string, meta?: Record<string, unknown>): void {
    getDefaultLogger().warn(message, meta);
  }
  error(message: string, meta?: Record<string, unknown>): void {
    getDefaultLogger().error(message, meta);
  }

  isLevelEnabled(level: string): boolean {
    // A silent logger writes nothing: no meta is built for it, and winston is never loaded.
    if (this.silent) return false;
    const value = NPM_LEVELS[level];
    if (this.threshold !== undefined && value !== undefined) return value <= this.threshold;
    // A level outside winston's npm set: ask winston itself.
    const target = getDefaultLogger();
    return target.isLevelEnabled === undefined ? true : target.isLevelEnabled(level);
  }
}

let lazyDefault: LazyDefaultLogger | undefined;

/** The logger used when none is given: one {@link LazyDefaultLogger} per process. */
export function lazyDefaultLogger(): TikTokLogger {
  lazyDefault ??= new LazyDefaultLogger();
  return lazyDefault;
}

export const REDACTED = '[REDACTED]';

// Keys whose values are secrets wherever they appear in log meta (compared lowercased, with
// `-` and `_` removed so `access_token`, `accessToken` and `Access-Token` all match).
const SENSITIVE_KEYS = new Set([
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'token',
  'code',
  'state',
  'codeverifier',
  'verifier',
  'clientsecret',
  'secret',
  'password',
  'authorization',
  'cookie',
  'setcookie',
  'query',
  'querystring',
  'body',
]);

function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEYS.has(key.toLowerCase().replace(/[-_]/g, ''));
}

/**
 * Structural redaction: a deep copy of `value` where every sensitive key's value is replaced,
 * and every string has the known secret values of the current operation replaced.
 */
export function redact(value: unknown, scrubber?: Scrubber, depth = 0): unknown {
  if (typeof value === 'string') return scrubber ? scrubber.scrub(value) : value;
  if (typeof value !== 'object' || value === null) return value;
  if (depth > 6) return '[Truncated]';
  if (Array.isArray(value)) return value.map((v) => redact(v, scrubber, depth + 1));
  if (value instanceof Error) {
    return { name: value.name, message: redact(value.message, scrubber, depth + 1) };
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = isSensitiveKey(key) ? REDACTED : redact(v, scrubber, depth + 1);
  }
  return out;
}

/**
 * Remembers the secret values one operation handles (code, tokens, verifier, client secret) and
 * replaces them in any text derived from TikTok's answer before it reaches a log or a message.
 */
export class Scrubber {
  private readonly raw: string[] = [];
  private forms: string[] | undefined;

  constructor(secrets: ReadonlyArray<string | undefined> = []) {
    for (const s of secrets) this.add(s);
  }

  add(secret: string | undefined): void {
    // Very short values would over-match innocent text; real secrets are long.
    if (secret === undefined || secret.length < 6 || this.raw.includes(secret)) return;
    this.raw.push(secret);
    this.forms = undefined;
  }

  scrub(text: string): string {
    let out = text;
    for (const s of this.allForms()) {
      if (out.includes(s)) out = out.split(s).join(REDACTED);
    }
    return out;
  }

  /**
   * Each secret and the percent-encoded forms an echo may carry (query string, form body, and
   * the stricter encoding that turns TikTok codes' `*` and `!` into %2A / %21). Computed on the
   * first scrub only: most operations succeed and never scrub anything (hot path).
   */
  private allForms(): string[] {
    if (this.forms !== undefined) return this.forms;
    const forms: string[] = [];
    for (const secret of this.raw) {
      const encoded = encodeURIComponent(secret);
      for (const form of [
        secret,
        encoded,
        encoded.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
        new URLSearchParams({ s: secret }).toString().slice(2),
      ]) {
        if (!forms.includes(form)) forms.push(form);
      }
    }
    this.forms = forms;
    return forms;
  }
}

/** A logger wrapper that redacts every meta object and message it passes on. */
export class SafeLogger {
  constructor(
    private readonly target: TikTokLogger,
    private readonly scrubber?: Scrubber,
  ) {}

  enabled(level: LogLevel): boolean {
    return typeof this.target.isLevelEnabled === 'function'
      ? this.target.isLevelEnabled(level)
      : true;
  }

  log(level: LogLevel, message: string, meta: Record<string, unknown>): void {
    if (!this.enabled(level)) return;
    const text = this.scrubber ? this.scrubber.scrub(message) : message;
    const safe = redact(meta, this.scrubber);
    try {
      this.target[level](text, safe as Record<string, unknown>);
    } catch {
      // A broken logger must never break a login.
    }
  }
}
