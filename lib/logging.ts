import winston from 'winston';

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

/**
 * The default logger, created once per process: winston, JSON lines on stdout, level from
 * `TIKTOK_LOG_LEVEL` (default `info`; `silent` turns it off).
 */
export function getDefaultLogger(): TikTokLogger {
  if (defaultLogger === undefined) {
    const level = process.env.TIKTOK_LOG_LEVEL ?? 'info';
    defaultLogger = winston.createLogger({
      level: level === 'silent' ? 'error' : level,
      silent: level === 'silent',
      format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
      defaultMeta: { component: 'passport-tiktok' },
      // winston's own Console transport; the rule trips on winston-transport's duplicated typings.
      // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
      transports: [new winston.transports.Console()],
    });
  }
  return defaultLogger;
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
