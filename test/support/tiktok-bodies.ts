/**
 * fast-check arbitraries for what TikTok (or something pretending to be it) may answer: bodies
 * whose fields are each valid, missing or junk; error bodies carrying planted secrets; JSON text
 * with prototype keys spelled out or escaped; huge and deeply nested texts; odd headers.
 */
import fc from 'fast-check';
import type { HeaderReader } from '../../lib/client/http';

/** Planted secrets (valid log_id / error-name characters on purpose: they pass those checks). */
export const CANARY_SECRET = 'canary-secret-5e3a9c';
export const CANARY_TOKEN = 'act.canary-token-77aa01';
export const CANARY_CODE = 'canary-code-xy*!.1';
export const CANARIES: readonly string[] = [CANARY_SECRET, CANARY_TOKEN, CANARY_CODE];

const MAX_LIFETIME_S = 20 * 365 * 24 * 3600;

const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '', ' '),
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double(),
  fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }),
);

/** Mostly valid, sometimes junk. */
function mostly<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: junk });
}

const text = fc.string({ minLength: 1, maxLength: 40 });
const secondsValid = fc.oneof(
  fc.integer({ min: 1, max: MAX_LIFETIME_S }),
  fc.integer({ min: 1, max: MAX_LIFETIME_S }).map(String),
);
const secondsJunk = fc.constantFrom<unknown>(
  0,
  -1,
  1e20,
  MAX_LIFETIME_S + 1,
  3600.5,
  '3600s',
  ' 3600',
  '0x10',
  '1e3',
  '99999999999999',
  'abc',
);
const seconds = fc.oneof(
  { weight: 4, arbitrary: secondsValid },
  { weight: 1, arbitrary: secondsJunk },
);
const bearer = fc.constantFrom('Bearer', 'bearer', 'BEARER', 'bEaReR');

export const validTokenBodyArb = fc.record(
  {
    access_token: text,
    open_id: text,
    scope: fc.string({ maxLength: 40 }),
    token_type: bearer,
    expires_in: secondsValid,
    refresh_token: text,
    refresh_expires_in: secondsValid,
  },
  // `token_type` may be missing: recorded TikTok answers lack it (read as Bearer).
  { requiredKeys: ['access_token', 'open_id', 'expires_in'] },
);

/** A token-endpoint body: any field present or not, valid or junk. */
export const tokenBodyArb: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    access_token: mostly(text),
    open_id: mostly(text),
    scope: mostly(fc.string({ maxLength: 40 })),
    token_type: fc.oneof(bearer, fc.constantFrom<unknown>('mac', 'Bearer ', '', null, 1)),
    expires_in: seconds,
    refresh_token: mostly(text),
    refresh_expires_in: seconds,
    log_id: mostly(text),
  },
  { requiredKeys: [] },
);

const countValid = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const countJunk = fc.constantFrom<unknown>(-1, 1.5, '12', Number.MAX_SAFE_INTEGER + 2, Number.NaN);

export const validUserArb = fc.record(
  {
    open_id: text,
    union_id: text,
    avatar_url: text,
    display_name: fc.string({ maxLength: 40 }),
    username: text,
    bio_description: fc.string({ maxLength: 40 }),
    follower_count: countValid,
    video_count: countValid,
    is_verified: fc.boolean(),
  },
  { requiredKeys: ['open_id'] },
);

/** A user-info envelope: `{ data: { user }, error: { code, message, log_id } }`, perturbed. */
export const userInfoBodyArb: fc.Arbitrary<unknown> = fc
  .record(
    {
      user: fc.oneof(
        { weight: 3, arbitrary: validUserArb },
        {
          weight: 2,
          arbitrary: fc.record(
            {
              open_id: mostly(text),
              display_name: mostly(text),
              follower_count: fc.oneof(countValid, countJunk),
              is_verified: mostly(fc.boolean()),
            },
            { requiredKeys: [] },
          ),
        },
        { weight: 1, arbitrary: junk },
      ),
      code: fc.constantFrom<unknown>(
        'ok',
        0,
        '0',
        'access_token_invalid',
        'scope_not_authorized',
        7,
        null,
      ),
      message: mostly(fc.string({ maxLength: 40 })),
      shape: fc.constantFrom('envelope', 'no error', 'no data', 'data junk'),
    },
    { requiredKeys: ['user', 'code', 'shape'] },
  )
  .map(({ user, code, message, shape }) => {
    const error = { code, message, log_id: '20240101000000ABCDEF' };
    if (shape === 'no error') return { data: { user } };
    if (shape === 'no data') return { error };
    if (shape === 'data junk') return { data: user, error };
    return { data: { user }, error };
  });

/** Error bodies (flat and envelope) with a planted secret in every field TikTok could echo. */
export const errorBodyArb: fc.Arbitrary<unknown> = fc
  .record({
    error: fc.constantFrom(...CANARIES, 'invalid_grant', 'server_error', 'x'.repeat(65), 'a b'),
    description: fc.oneof(
      fc.constantFrom(...CANARIES).map((c) => `the secret ${c} was wrong`),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.constant(`${'é'.repeat(190)}😀😀😀😀😀${CANARY_SECRET}`),
    ),
    logId: fc.constantFrom<unknown>(...CANARIES, '20240101000000ABCDEF', 42, undefined),
    envelope: fc.boolean(),
  })
  .map(({ error, description, logId, envelope }) =>
    envelope
      ? { data: {}, error: { code: error, message: description, log_id: logId } }
      : { error, error_description: description, log_id: logId },
  );

function escapeKey(key: string, escape: boolean): string {
  if (!escape) return JSON.stringify(key);
  const first = key.charCodeAt(0).toString(16).padStart(4, '0');
  return `"\\u${first}${JSON.stringify(key).slice(2)}`;
}

/** JSON text of objects whose keys include `__proto__`, `constructor` and `prototype`. */
export const poisonedJsonArb: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.jsonValue({ maxDepth: 1 }).map((v) => JSON.stringify(v)),
    fc
      .array(
        fc.tuple(
          fc.constantFrom('__proto__', 'constructor', 'prototype', 'polluted', 'a'),
          fc.boolean(),
          tie('node'),
        ),
        { maxLength: 4 },
      )
      .map((entries) => `{${entries.map(([k, e, v]) => `${escapeKey(k, e)}:${v}`).join(',')}}`),
    fc.array(tie('node'), { maxLength: 3 }).map((items) => `[${items.join(',')}]`),
  ),
})).node;

const MiB = 1024 * 1024;
/** Texts that stress the parser: ~1 MiB, deeply nested, unterminated. */
export const HUGE_TEXTS: readonly string[] = [
  '['.repeat(MiB),
  `${'{"a":'.repeat(200_000)}1${'}'.repeat(200_000)}`,
  `{"access_token":"${'a'.repeat(MiB)}","open_id":"o","token_type":"Bearer","expires_in":1}`,
  `[${new Array<string>(50_000).fill('{"__proto__":{"polluted":1}}').join(',')}]`,
  '"'.padEnd(MiB, '\\'),
];

/** Any body text: documented shapes, errors, JSON, serialised anything, junk and huge texts. */
export const bodyTextArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: tokenBodyArb.map((b) => JSON.stringify(b)) },
  { weight: 3, arbitrary: userInfoBodyArb.map((b) => JSON.stringify(b)) },
  { weight: 3, arbitrary: errorBodyArb.map((b) => JSON.stringify(b)) },
  { weight: 2, arbitrary: fc.json() },
  { weight: 2, arbitrary: fc.anything().map((v) => JSON.stringify(v) ?? '') },
  { weight: 2, arbitrary: poisonedJsonArb },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', 'null', '[]', '"x"', '{}', '<html>Unsupported path</html>'),
  },
  { weight: 1, arbitrary: fc.constantFrom(...HUGE_TEXTS) },
);

/** Headers as a transport hands them over: case-insensitive reads of arbitrary values. */
export function headerReader(headers: Readonly<Record<string, string>>): HeaderReader {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { get: (name) => lower.get(name.toLowerCase()) ?? null };
}

const httpDate = fc
  .date({
    min: new Date('2000-01-01T00:00:00Z'),
    max: new Date('2100-01-01T00:00:00Z'),
    noInvalidDate: true,
  })
  .map((d) => d.toUTCString());

export const retryAfterArb: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 0, max: 9_999_999 }).map(String),
  httpDate,
  fc.constantFrom(
    '-1',
    '1.5',
    '1e3',
    '12345678',
    'NaN',
    ' 5 ',
    'Mon, 99 Foo 2024',
    'Wed, 01 May 2024',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

export const headersArb: fc.Arbitrary<Record<string, string>> = fc.record(
  {
    'retry-after': retryAfterArb,
    'x-tt-logid': fc.oneof(
      fc.constantFrom(...CANARIES, '20240101000000ABCDEF', ''),
      fc.string({ unit: 'binary', maxLength: 140 }),
    ),
    'content-type': fc.oneof(
      fc.constantFrom('application/json', 'text/html; charset=utf-8', `text/${CANARY_SECRET}`),
      fc.string({ unit: 'binary', maxLength: 80 }),
    ),
  },
  { requiredKeys: [] },
);
