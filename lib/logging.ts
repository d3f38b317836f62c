import { inspect, type InspectOptions } from 'node:util';
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

/**
 * `TIKTOK_LOG_LEVEL` as the default logger reads it, in any case: `silent` keeps `error` and
 * mutes it. NOTE: a value that is not a level (`warning`, `trace`) is `info`, with the value in
 * `unknown` for a warning: winston, given an unknown level, would write nothing at all, errors
 * included.
 */
function configuredLevel(): { level: string; silent: boolean; unknown?: string } {
  const given = process.env.TIKTOK_LOG_LEVEL ?? 'info';
  const level = given.trim().toLowerCase();
  if (level === 'silent') return { level: 'error', silent: true };
  // NOTE: an own key only: `constructor` or `__proto__` read through Object.prototype.
  if (Object.hasOwn(NPM_LEVELS, level)) return { level, silent: false };
  // Printable and short: it is quoted in a log line.
  return {
    level: 'info',
    silent: false,
    unknown: given.replace(/[^\x20-\x7e]/g, '?').slice(0, 32),
  };
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
    const { level, silent, unknown } = configuredLevel();
    defaultLogger = winston.createLogger({
      level,
      silent,
      format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
      defaultMeta: { component: 'passport-tiktok' },
      // winston's own Console transport; the rule trips on winston-transport's duplicated typings.
      // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
      transports: [new winston.transports.Console()],
    });
    if (unknown !== undefined) {
      defaultLogger.warn(
        `[TikTokOAuth] logger - TIKTOK_LOG_LEVEL is not a level: using info (levels: error, warn, info, http, verbose, debug, silly, silent)`,
        { given: unknown },
      );
    }
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
 * What every part of the package (clients, token managers, webhooks, `tiktokSessionGuard`,
 * `tiktokSessionRevocation`) gets when no `logger` is given: the default winston logger, created
 * at the first line actually written. Level checks are answered from `TIKTOK_LOG_LEVEL`
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

/**
 * Makes `util.inspect()` (and so the console) show instances of `ctor` as `Name { …toJSON() }`:
 * for classes that hold secrets (a client secret, encryption keys, tokens, a Redis client whose
 * options can hold a password). NOTE: their `toJSON()` is the view, so `JSON.stringify()` and a
 * logger given such an object as meta show their settings, never what they keep secret.
 */
export function inspectsAsJson(
  ctor: abstract new (...args: never[]) => { toJSON(): object },
): void {
  Object.defineProperty(ctor.prototype, inspect.custom, {
    value: function view(
      this: { toJSON(): object },
      _depth: number,
      options: InspectOptions,
      format: (value: unknown, options: InspectOptions) => string,
    ): string {
      // A subclass (an app's own token store extending MemoryTokenStore) shows its own name.
      const own: unknown = Reflect.get(this, 'constructor');
      const name = typeof own === 'function' && own.name !== '' ? own.name : ctor.name;
      return `${name} ${format(this.toJSON(), options)}`;
    },
    configurable: true,
    writable: true,
  });
}

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

interface SecretForms {
  /** Lower-cased, for the case-insensitive check. */
  readonly lower: string;
  /** Any case, any character possibly escaped (`%2a`, `%252A`, `+`, `\u002a`, `&#42;`). */
  readonly pattern: string;
  /**
   * True when the secret holds characters the decoding pre-check cannot vouch for (an escape
   * mark, `+`, a space, non-ASCII): the pre-check then compares letters and digits only.
   */
  readonly special: boolean;
  /** Its lower-cased letters and digits only: what the pre-check of a `special` secret looks for. */
  readonly skeleton: string;
  /** Pieces that any base64/base64url text containing the secret contains (3 alignments). */
  readonly base64: readonly string[];
  /** The compiled `pattern`, built the first time the secret may be in a text (see scrub()). */
  escaped?: RegExp | null;
}

const ESCAPE_MARKS = ['%', '&#', '\\u', '+'];

function regexEscape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** A regex matching `c` as itself (any case) or percent-, double-percent-, JSON- or HTML-escaped. */
function charPattern(c: string): string {
  const bytes = [...Buffer.from(c, 'utf8')].map((b) => b.toString(16).padStart(2, '0'));
  const alternatives = [
    regexEscape(c),
    bytes.map((h) => `%${h}`).join(''),
    bytes.map((h) => `%25${h}`).join(''),
  ];
  const code = c.codePointAt(0) ?? 0;
  if (code < 0x10000) alternatives.push(`\\\\u${code.toString(16).padStart(4, '0')}`);
  alternatives.push(`&#0*${code};`, `&#x0*${code.toString(16)};`);
  if (c === ' ') alternatives.push('\\+');
  return `(?:${alternatives.join('|')})`;
}

/** The base64 characters fully determined by the secret, at byte offsets 0, 1 and 2. */
function base64Pieces(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const pieces: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    const first = Math.ceil((8 * shift) / 6);
    const end = Math.floor((8 * (shift + bytes.length)) / 6);
    const piece = encoded.slice(first, end);
    // Short pieces would match innocent text; real secrets give 30+ characters.
    if (piece.length < 8) continue;
    for (const form of [piece, piece.replace(/\+/g, '-').replace(/\//g, '_')]) {
      if (!pieces.includes(form)) pieces.push(form);
    }
  }
  return pieces;
}

function formsOf(secret: string): SecretForms {
  return {
    lower: lowerAligned(secret),
    pattern: Array.from(secret).map(charPattern).join(''),
    // eslint-disable-next-line no-control-regex
    special: /[%&\\+ ]|[^\x00-\x7f]/.test(secret),
    skeleton: skeletonOf(secret.toLowerCase()),
    base64: base64Pieces(secret),
  };
}

function skeletonOf(lower: string): string {
  return lower.replace(/[^a-z0-9]+/g, '');
}

const PERCENT = /%([0-9a-f]{2})/g;
const JSON_ESCAPE = /\\u([0-9a-f]{4})/g;
const DECIMAL_ENTITY = /&#0*(\d{1,7});/g;
const HEX_ENTITY = /&#x0*([0-9a-f]{1,6});/g;

function fromCode(code: number): string {
  return code <= 0x10ffff ? String.fromCodePoint(code) : '';
}

/** One pass of decoding every escape charPattern() knows, over lower-cased text. */
function decodeOnce(lower: string): string {
  return lower
    .replace(PERCENT, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    .replace(JSON_ESCAPE, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    .replace(DECIMAL_ENTITY, (_m, dec: string) => fromCode(Number(dec)))
    .replace(HEX_ENTITY, (_m, hex: string) => fromCode(parseInt(hex, 16)));
}

/**
 * The lower-cased text decoded once and twice (`%252a` → `%2a` → `*`), lower-cased again: an
 * ASCII secret without escape marks of its own that is in `text` in any escaped form is a
 * substring of one of these.
 */
function decodings(lower: string): string[] {
  const once = decodeOnce(lower).toLowerCase();
  return [once, decodeOnce(once).toLowerCase()];
}

/** Whether `form` may be in the text whose lower-cased `decoded` forms (and itself) are given. */
function mayHold(form: SecretForms, lower: string, decoded: readonly string[]): boolean {
  if (!form.special) return decoded.some((d) => d.includes(form.lower));
  // A secret with escape marks of its own: its letters and digits, in order, are in the text
  // as sent or decoded (a secret with none of them is searched for whenever a mark is there).
  return [lower, ...decoded].some((d) => skeletonOf(d).includes(form.skeleton));
}

/**
 * `form.pattern` compiled once. NOTE: null when the engine refuses it (a pattern too large for
 * V8, from a secret of several KiB): the literal, any-case form is then replaced instead, so
 * that scrubbing never throws.
 */
function escapedRegex(form: SecretForms): RegExp | null {
  if (form.escaped === undefined) {
    try {
      form.escaped = new RegExp(form.pattern, 'gi');
    } catch {
      form.escaped = null;
    }
  }
  return form.escaped;
}

/** Whether the UTF-16 unit `c` is a base64 or base64url character (`[A-Za-z0-9+/_-]`). */
function isBase64Char(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x2b || // +
    c === 0x2f || // /
    c === 0x5f || // _
    c === 0x2d // -
  );
}

/**
 * Replaces every base64/base64url run of `text` (with its `=` padding) that holds one of
 * `pieces`. NOTE: no regex: `[A-Za-z0-9+/_-]*(?:pieces)[A-Za-z0-9+/_-]*=*` would retry its
 * leading run from every position of a long base64-like run without a piece, quadratic in the
 * run's length (a 100 KiB description with a secret's base64 after it: 7.7 s of blocked event
 * loop). Here each piece's next occurrence is searched for forwards only, and a run is
 * walked once from the piece found to its ends: linear in the text.
 */
function replaceEncoded(text: string, pieces: readonly string[]): string {
  // The next occurrence of each piece at or after `from` (-1: none left).
  const found = pieces.map((piece) => ({ piece, at: text.indexOf(piece) }));
  let out = '';
  let from = 0;
  for (;;) {
    let at = -1;
    for (const f of found) if (f.at !== -1 && (at === -1 || f.at < at)) at = f.at;
    if (at === -1) return from === 0 ? text : out + text.slice(from);
    let start = at;
    while (start > from && isBase64Char(text.charCodeAt(start - 1))) start--;
    let end = at;
    while (end < text.length && isBase64Char(text.charCodeAt(end))) end++;
    while (end < text.length && text.charCodeAt(end) === 0x3d) end++; // '=' padding
    out += text.slice(from, start) + REDACTED;
    from = end;
    for (const f of found) if (f.at !== -1 && f.at < end) f.at = text.indexOf(f.piece, end);
  }
}

/**
 * Replaces the secret of `form` in any escaped form. NOTE: V8 can also fail while matching a
 * pattern of several KiB (`Stack overflow`): the literal, any-case form is then replaced.
 */
function replaceEscaped(text: string, form: SecretForms): string {
  const regex = escapedRegex(form);
  if (regex !== null) {
    try {
      return text.replace(regex, REDACTED);
    } catch {
      form.escaped = null;
    }
  }
  return replaceLiteral(text, form.lower);
}

/**
 * `text` lower-cased with the same length, so that an index into it is an index into `text`.
 * NOTE: `toLowerCase()` turns `İ` (U+0130) into two UTF-16 units: each `İ` before a secret
 * would shift the replacement by one unit, leaving the secret's head in the text. A character
 * whose lower case is longer is kept as it is. And `Σ` lower-cases to `ς` or `σ` by the letters
 * around it, which differ between a secret alone and the secret in a line: `ς` is folded to `σ`.
 */
function lowerAligned(text: string): string {
  let lower = text.toLowerCase();
  if (lower.length !== text.length) {
    lower = '';
    for (const c of text) {
      const l = c.toLowerCase();
      lower += l.length === c.length ? l : c;
    }
  }
  return lower.includes('ς') ? lower.replaceAll('ς', 'σ') : lower;
}

/** Replaces `lower` (any case) in `text` without a regex. */
function replaceLiteral(text: string, lower: string): string {
  let out = '';
  let from = 0;
  const hay = lowerAligned(text);
  for (let at = hay.indexOf(lower); at !== -1; at = hay.indexOf(lower, from)) {
    out += text.slice(from, at) + REDACTED;
    from = at + lower.length;
  }
  return out + text.slice(from);
}

/**
 * Remembers the secret values one operation handles (code, tokens, verifier, client secret) and
 * replaces them in any text derived from TikTok's answer before it reaches a log or a message.
 * A secret is found in any letter case, with any of its characters percent-escaped (either hex
 * case, or double-escaped), JSON- or HTML-escaped, and inside base64 or base64url text (such as
 * `base64(client_key:client_secret)`, where the whole base64 run is replaced).
 */
export class Scrubber {
  private raw: string[] | undefined;
  private forms: SecretForms[] | undefined;

  /**
   * The secrets of `secrets` and `more` (the client's known secrets and the operation's own).
   * NOTE: both lists are read at the first scrub() or add(), not here: most operations succeed
   * without writing a line, and never pay for collecting them. Callers pass lists they no longer
   * change.
   */
  constructor(
    private readonly secrets: ReadonlyArray<string | undefined> = [],
    private readonly more: ReadonlyArray<string | undefined> = [],
  ) {}

  add(secret: string | undefined): void {
    const raw = this.values();
    // Very short values would over-match innocent text; real secrets are long.
    if (secret === undefined || secret.length < 6 || raw.includes(secret)) return;
    raw.push(secret);
    this.forms = undefined;
  }

  /** The secret values to scrub, collected from the constructor's lists on first use. */
  private values(): string[] {
    if (this.raw === undefined) {
      this.raw = [];
      for (const s of this.secrets) this.add(s);
      for (const s of this.more) this.add(s);
    }
    return this.raw;
  }

  /**
   * NOTE: a secret's escaped-form regex is compiled only once the secret may be in the text
   * (in any case, or once the text's escapes are decoded): values from a request (a callback's
   * `code` of 2 KiB) are secrets here too, and compiling their patterns for every line that
   * merely holds a `%` would cost ~0.15 ms per character, or throw for patterns V8 finds too
   * large.
   */
  scrub(text: string): string {
    const raw = this.values();
    if (raw.length === 0) return text;
    // Most log lines hold no secret: cheap substring checks decide whether a regex runs
    // (a login's lines go through here; see bench/README.md, profiling).
    const forms = this.allForms();
    let out = text;
    const lower = lowerAligned(text);
    const marked = ESCAPE_MARKS.some((mark) => text.includes(mark));
    let decoded: string[] | undefined;
    for (const form of forms) {
      if (lower.includes(form.lower)) {
        // NOTE: the literal form first, without a regex: a value echoed as it is (a callback's
        // code of 2 KiB in TikTok's error text) must not cost the escaped-form regex's
        // compilation, ~0.06 ms per character of the secret. That regex runs only if an escaped
        // form may be left.
        out = replaceLiteral(out, form.lower);
        if (!marked) continue;
        const left = lowerAligned(out);
        if (mayHold(form, left, decodings(left))) out = replaceEscaped(out, form);
        continue;
      }
      if (marked && mayHold(form, lower, (decoded ??= decodings(lower)))) {
        out = replaceEscaped(out, form);
      }
    }
    for (const form of forms) {
      if (form.base64.length > 0) out = replaceEncoded(out, form.base64);
    }
    return out;
  }

  /**
   * Computed at the first scrub (and again after an add()): most operations succeed and never
   * scrub anything. NOTE: longest first: each secret is replaced in turn, and one that holds another (a code
   * holding a state, say) must go whole before the shorter one cuts it into visible pieces.
   */
  private allForms(): SecretForms[] {
    this.forms ??= [...this.values()].sort((a, b) => b.length - a.length).map(formsOf);
    return this.forms;
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof Reflect.get(value, 'then') === 'function'
  );
}

/** Whether `logger` writes `level` (a logger without `isLevelEnabled` writes all). */
export function levelEnabled(logger: TikTokLogger, level: LogLevel): boolean {
  if (typeof logger.isLevelEnabled !== 'function') return true;
  try {
    return logger.isLevelEnabled(level);
  } catch {
    // A broken logger must never break a login: the line is built, and written if it can be.
    return true;
  }
}

/**
 * Meta fields whose values the package makes itself, from a fixed vocabulary or a checked shape:
 * the correlation ID (a safe token), the error code, the operation's name.
 */
const VOCABULARY_FIELDS = new Set(['correlationId', 'errorCode', 'operation']);
const TOKEN_SHAPE = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * `meta` redacted for a log line: every value through {@link redact}, except a token-shaped
 * string in a {@link VOCABULARY_FIELDS} field, passed as is. NOTE: a secret taken from a request
 * (a callback's `state` and `code`) is whatever its sender chose: one equal to `INVALID_STATE`,
 * or to the correlation ID the sender also chose, would otherwise blank those fields out of the
 * lines of the sender's own failed attempts, and out of every log query on them.
 */
function redactMeta(meta: Record<string, unknown>, scrubber: Scrubber | undefined): unknown {
  if (scrubber === undefined) return redact(meta);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta)) {
    if (isSensitiveKey(key)) out[key] = REDACTED;
    else if (VOCABULARY_FIELDS.has(key) && typeof value === 'string' && TOKEN_SHAPE.test(value))
      out[key] = value;
    else out[key] = redact(value, scrubber, 1);
  }
  return out;
}

/**
 * A logger wrapper that redacts every meta object it passes on. NOTE: the message is passed as
 * is: every message is the package's own text (`[TikTokOAuth] <area> - <event>`), never data,
 * which goes in the meta; scrubbing it would let a request's chosen "secret" blank it (see
 * {@link redactMeta}).
 */
export class SafeLogger {
  constructor(
    private readonly target: TikTokLogger,
    private readonly scrubber?: Scrubber,
  ) {}

  enabled(level: LogLevel): boolean {
    return levelEnabled(this.target, level);
  }

  log(level: LogLevel, message: string, meta: Record<string, unknown>): void {
    if (!this.enabled(level)) return;
    const safe = redactMeta(meta, this.scrubber);
    try {
      const written: unknown = this.target[level](message, safe as Record<string, unknown>);
      // NOTE: an async logger's rejection too: unhandled, it would end the process.
      if (isPromiseLike(written)) Promise.resolve(written).catch(() => undefined);
    } catch {
      // A broken logger must never break a login.
    }
  }
}
