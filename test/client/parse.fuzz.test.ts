/**
 * Property-based fuzzing of every parser of TikTok's answers: whatever the status, headers and
 * body, they return a well-typed value or fail the designed way (ShapeError from the parsers,
 * AttemptFailure from interpret()), never echo a planted secret, never pollute a prototype.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TikTokAPIError, TikTokErrorCode } from '../../lib';
import type { HttpResponse } from '../../lib/client/http';
import {
  AttemptFailure,
  cleanDescription,
  interpret,
  parseRetryAfter,
  type InterpretContext,
} from '../../lib/client/interpret';
import {
  envelopeError,
  flatError,
  logIdOf,
  parseClientToken,
  parseJson,
  parseTokens,
  parseUserInfo,
  ShapeError,
} from '../../lib/client/parse';
import type { TikTokTokens, TikTokUserInfo } from '../../lib/client/types';
import { Scrubber } from '../../lib/logging';
import { useFuzzSettings } from '../support/fuzz-settings';
import { prototypeSnapshot } from '../support/prototype-guard';
import {
  bodyTextArb,
  CANARIES,
  errorBodyArb,
  headerReader,
  headersArb,
  HUGE_TEXTS,
  poisonedJsonArb,
  retryAfterArb,
  tokenBodyArb,
  userInfoBodyArb,
  validTokenBodyArb,
  validUserArb,
} from '../support/tiktok-bodies';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const MAX_LIFETIME_S = 20 * 365 * 24 * 3600;
const POISON_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const LOG_ID = /^[A-Za-z0-9._-]{1,128}$/;
const ERROR_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const CODES = new Set<string>(Object.values(TikTokErrorCode));

/** Own keys named like a prototype, at any depth (iterative: bodies may nest deeply). */
function poisonKeysIn(value: unknown): string[] {
  const found: string[] = [];
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    for (const key of Reflect.ownKeys(v)) {
      if (typeof key === 'string' && POISON_KEYS.has(key)) found.push(key);
      stack.push(Reflect.get(v, key));
    }
  }
  return found;
}

/** What a parser did: its value, or the error it threw. */
function attempt<T>(fn: () => T): { ok: true; value: T } | { ok: false; error: unknown } {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    return { ok: false, error };
  }
}

function assertOnlyKeys(value: object, allowed: readonly string[]): void {
  const extra = Object.keys(value).filter((k) => !allowed.includes(k));
  assert.deepEqual(extra, [], 'unexpected keys');
}

function assertNonEmptyString(value: unknown, what: string): void {
  assert.ok(typeof value === 'string' && value.length > 0, `${what}: ${String(value)}`);
}

function assertLifetime(value: unknown, what: string): asserts value is number {
  assert.ok(
    typeof value === 'number' &&
      Number.isSafeInteger(value) &&
      value > 0 &&
      value <= MAX_LIFETIME_S,
    `${what}: ${String(value)}`,
  );
}

function assertTokens(t: TikTokTokens, now: number): void {
  assertOnlyKeys(t, [
    'access_token',
    'open_id',
    'scope',
    'token_type',
    'expires_in',
    'expires_at',
    'refresh_token',
    'refresh_expires_in',
    'refresh_expires_at',
  ]);
  assertNonEmptyString(t.access_token, 'access_token');
  assertNonEmptyString(t.open_id, 'open_id');
  assert.equal(typeof t.scope, 'string');
  assert.equal(t.token_type, 'Bearer');
  assertLifetime(t.expires_in, 'expires_in');
  assert.equal(t.expires_at, now + t.expires_in * 1000);
  if (t.refresh_token !== undefined) assertNonEmptyString(t.refresh_token, 'refresh_token');
  if (t.refresh_expires_in === undefined) {
    assert.equal(t.refresh_expires_at, undefined);
  } else {
    assert.notEqual(t.refresh_token, undefined, 'a refresh lifetime without a refresh token');
    assertLifetime(t.refresh_expires_in, 'refresh_expires_in');
    assert.equal(t.refresh_expires_at, now + t.refresh_expires_in * 1000);
  }
}

const USER_STRINGS = [
  'union_id',
  'avatar_url',
  'avatar_url_100',
  'avatar_large_url',
  'display_name',
  'bio_description',
  'profile_deep_link',
  'username',
] as const;
const USER_COUNTS = ['follower_count', 'following_count', 'likes_count', 'video_count'] as const;

function assertUser(u: TikTokUserInfo): void {
  assertOnlyKeys(u, ['open_id', ...USER_STRINGS, ...USER_COUNTS, 'is_verified']);
  assertNonEmptyString(u.open_id, 'open_id');
  // Empty strings are TikTok's own ("bio_description": ""): kept as sent.
  for (const f of USER_STRINGS) if (u[f] !== undefined) assert.equal(typeof u[f], 'string', f);
  for (const f of USER_COUNTS) {
    const v = u[f];
    if (v !== undefined) assert.ok(Number.isSafeInteger(v) && v >= 0, `${f}: ${v}`);
  }
  if (u.is_verified !== undefined) assert.equal(typeof u.is_verified, 'boolean');
}

/** Asserts a parser either returned a value that passes `check` or threw a ShapeError. */
function shapeOrValue<T>(fn: () => T, check: (value: T) => void): void {
  const result = attempt(fn);
  if (result.ok) check(result.value);
  else assert.ok(result.error instanceof ShapeError, `threw ${String(result.error)}`);
}

function assertNoCanary(text: string | undefined, what: string): void {
  if (text === undefined) return;
  for (const canary of CANARIES) {
    assert.ok(!text.includes(canary), `${what} leaks ${canary}: ${text.slice(0, 300)}`);
    assert.ok(!text.includes(encodeURIComponent(canary)), `${what} leaks ${canary} (encoded)`);
  }
}

/** `JSON.parse` always through the poison-dropping reviver: the reference for parseJson. */
function referenceParse(text: string): { value: unknown } | 'too deep' {
  try {
    return {
      value: JSON.parse(text, (key: string, value: unknown) =>
        POISON_KEYS.has(key) ? undefined : value,
      ),
    };
  } catch (err) {
    return err instanceof RangeError ? 'too deep' : { value: undefined };
  }
}

describe('fuzz: client/parse', function () {
  this.timeout(60_000);
  const fuzz = useFuzzSettings();
  let assertUnpolluted: () => void = () => undefined;
  beforeEach(() => {
    assertUnpolluted = prototypeSnapshot();
  });
  afterEach(() => {
    assertUnpolluted();
  });

  describe('parseJson', () => {
    it('never throws, drops every prototype key, and otherwise parses like JSON.parse', () => {
      const textArb = fc.oneof(
        poisonedJsonArb,
        fc.json(),
        fc.string({ unit: 'binary', maxLength: 100 }),
        fc.anything().map((v) => JSON.stringify(v) ?? ''),
      );
      fc.assert(
        fc.property(textArb, (text) => {
          const parsed = parseJson(text);
          assert.deepEqual(poisonKeysIn(parsed), []);
          const reference = referenceParse(text);
          if (reference !== 'too deep') assert.deepStrictEqual(parsed, reference.value);
          assertUnpolluted();
        }),
        fuzz.params(1000),
      );
    });

    it('huge, deeply nested and unterminated texts: a value without prototype keys, or undefined', () => {
      for (const text of HUGE_TEXTS) {
        const parsed = parseJson(text);
        assert.deepEqual(poisonKeysIn(parsed), [], text.slice(0, 40));
      }
      assert.equal(parseJson('['.repeat(1024 * 1024)), undefined);
    });
  });

  describe('body parsers', () => {
    it('parseTokens: a well-typed TikTokTokens or a ShapeError', () => {
      const bodyArb = fc.oneof(
        tokenBodyArb,
        fc.anything(),
        tokenBodyArb.map((b) =>
          parseJson(`{"__proto__":{"polluted":1},${JSON.stringify(b).slice(1)}`),
        ),
      );
      fc.assert(
        fc.property(bodyArb, fc.integer({ min: 0, max: 4e12 }), (body, now) => {
          shapeOrValue(
            () => parseTokens(body, now),
            (t) => assertTokens(t, now),
          );
        }),
        fuzz.params(1000),
      );
    });

    it('parseTokens accepts every valid body, exactly', () => {
      fc.assert(
        fc.property(validTokenBodyArb, (body) => {
          const t = parseTokens(body, NOW);
          assertTokens(t, NOW);
          assert.equal(t.access_token, body.access_token);
          assert.equal(t.open_id, body.open_id);
          assert.equal(t.scope, body.scope ?? '');
          assert.equal(t.expires_in, Number(body.expires_in));
          assert.equal(t.refresh_token, body.refresh_token);
          const refreshLifetime =
            body.refresh_token === undefined || body.refresh_expires_in === undefined
              ? undefined
              : Number(body.refresh_expires_in);
          assert.equal(t.refresh_expires_in, refreshLifetime);
        }),
        fuzz.params(1000),
      );
    });

    it('parseClientToken: exactly access_token, expires_in, token_type, or a ShapeError', () => {
      fc.assert(
        fc.property(fc.oneof(tokenBodyArb, fc.anything()), (body) => {
          shapeOrValue(
            () => parseClientToken(body),
            (t) => {
              assertOnlyKeys(t, ['access_token', 'expires_in', 'token_type']);
              assertNonEmptyString(t.access_token, 'access_token');
              assertLifetime(t.expires_in, 'expires_in');
              assert.equal(t.token_type, 'Bearer');
            },
          );
        }),
        fuzz.params(1000),
      );
    });

    it('parseUserInfo: a well-typed user or a ShapeError; a valid user comes out unchanged', () => {
      fc.assert(
        fc.property(fc.oneof(userInfoBodyArb, fc.anything()), (body) => {
          shapeOrValue(() => parseUserInfo(body), assertUser);
        }),
        fuzz.params(1000),
      );
      fc.assert(
        fc.property(validUserArb, (user) => {
          const body = { data: { user }, error: { code: 'ok', message: '' } };
          assert.deepEqual(parseUserInfo(body), { ...user });
        }),
        fuzz.params(500),
      );
    });
  });

  describe('error extractors', () => {
    const anyBody = fc.oneof(errorBodyArb, userInfoBodyArb, tokenBodyArb, fc.anything());

    it('flatError / envelopeError: undefined or { error, description? } of non-empty strings', () => {
      fc.assert(
        fc.property(anyBody, (body) => {
          for (const found of [flatError(body), envelopeError(body)]) {
            if (found === undefined) continue;
            assertOnlyKeys(found, ['error', 'description']);
            assertNonEmptyString(found.error, 'error');
            if (found.description !== undefined) {
              assertNonEmptyString(found.description, 'description');
            }
          }
        }),
        fuzz.params(1000),
      );
    });

    it('logIdOf: undefined or a short id of safe characters, from the body or the header', () => {
      fc.assert(
        fc.property(anyBody, headersArb, (body, headers) => {
          const id = logIdOf(body, headerReader(headers));
          if (id !== undefined) assert.match(id, LOG_ID);
        }),
        fuzz.params(1000),
      );
    });

    it('parseRetryAfter: undefined or whole non-negative milliseconds', () => {
      fc.assert(
        fc.property(fc.option(retryAfterArb), fc.integer({ min: 0, max: 4e12 }), (value, now) => {
          const ms = parseRetryAfter(value, now);
          if (ms !== undefined) assert.ok(Number.isSafeInteger(ms) && ms >= 0, `${value} → ${ms}`);
          if (value !== null && /^\d{1,7}$/.test(value.trim()))
            assert.equal(ms, Number(value) * 1000);
        }),
        fuzz.params(1000),
      );
    });

    it('cleanDescription: ≤ 200 chars (+ …), no control characters, no secret, well-formed', () => {
      const scrubber = new Scrubber(CANARIES);
      const textArb = fc.oneof(
        fc.string({ unit: 'grapheme', maxLength: 400 }),
        fc
          .tuple(fc.string({ unit: 'grapheme', maxLength: 250 }), fc.constantFrom(...CANARIES))
          .map(([text, canary]) => `${text}${canary}${text}`),
        fc.nat({ max: 220 }).map((n) => `${'a'.repeat(n)}😀😀😀😀`),
      );
      fc.assert(
        fc.property(textArb, (text) => {
          const clean = cleanDescription(text, scrubber);
          assert.ok(clean.length <= 201, `${clean.length} chars`);
          assert.doesNotMatch(clean, CONTROL);
          assert.doesNotMatch(clean, LONE_SURROGATE, 'a surrogate pair was cut in half');
          assertNoCanary(clean, 'the description');
        }),
        fuzz.params(1000),
      );
    });
  });

  describe('interpret()', () => {
    const PARSERS = {
      tokens: (body: unknown): unknown => parseTokens(body, NOW),
      clientToken: (body: unknown): unknown => parseClientToken(body),
      userInfo: (body: unknown): unknown => parseUserInfo(body),
    };
    const responseArb = fc.record({
      status: fc.oneof(
        fc.integer({ min: 100, max: 599 }),
        fc.constantFrom(200, 200, 200, 301, 302, 400, 401, 404, 429, 500, 503),
      ),
      headers: headersArb,
      text: bodyTextArb,
      parser: fc.constantFrom('tokens', 'clientToken', 'userInfo') satisfies fc.Arbitrary<
        keyof typeof PARSERS
      >,
    });
    const ctx: InterpretContext = {
      operationLabel: 'Token exchange',
      urlOption: 'tokenURL',
      correlationId: 'tiktok-1714564800000-0123abcd',
      scrubber: new Scrubber(CANARIES),
      now: NOW,
    };

    it('the parsed value, or an AttemptFailure with a coherent TikTokAPIError that leaks nothing', () => {
      fc.assert(
        fc.property(responseArb, ({ status, headers, text, parser }) => {
          const res: HttpResponse = { status, headers: headerReader(headers), text, durationMs: 1 };
          const result = attempt(() => interpret(ctx, res, PARSERS[parser]));
          if (result.ok) {
            assert.ok(status >= 200 && status < 300, `a value from HTTP ${status}`);
            return;
          }
          const failure = result.error;
          assert.ok(failure instanceof AttemptFailure, `threw ${String(failure)}`);
          const error = failure.error;
          assert.ok(error instanceof TikTokAPIError);
          assert.ok(CODES.has(error.code), error.code);
          assert.equal(error.upstreamStatus, status);
          assert.equal(error.correlationId, ctx.correlationId);
          assert.equal(failure.transport, undefined);
          if (status >= 300 && status < 400) assert.equal(error.code, 'CONFIGURATION_ERROR');
          assert.ok(error.message.length < 800, `${error.message.length} chars`);
          assertNoCanary(error.message, 'the message');
          assertNoCanary(error.tiktokError?.description, 'tiktokError.description');
          if (error.tiktokError !== undefined) {
            assert.match(error.tiktokError.error, ERROR_NAME);
            assertNoCanary(error.tiktokError.error, 'tiktokError.error');
          }
          if (error.logId !== undefined) {
            assert.match(error.logId, LOG_ID);
            assertNoCanary(error.logId, 'logId');
          }
          const wait = failure.retryAfterMs;
          if (wait === undefined) {
            assert.equal(error.retryAfterSeconds, undefined);
          } else {
            assert.ok(Number.isSafeInteger(wait) && wait >= 0, String(wait));
            assert.equal(error.retryAfterSeconds, Math.ceil(wait / 1000));
          }
          assertUnpolluted();
        }),
        fuzz.params(1000),
      );
    });
  });
});
