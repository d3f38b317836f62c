/**
 * fast-check arbitraries for hostile OAuth callback queries. A query is generated as a plan
 * (abstract pieces) and rendered once the run knows its session's real state and code, so that
 * the fuzzer can mix the valid values with duplicates, brackets, junk and oversized parameters.
 */
import fc from 'fast-check';

/** What the run knows: the pending login's state and TikTok's code, when it has them. */
export interface CallbackSecrets {
  readonly state: string | undefined;
  readonly code: string | undefined;
}

/** A value that is not known until the run renders the plan. */
type Placeholder = 'validState' | 'validStateJunk' | 'realCode';

type Value = { literal: string } | { placeholder: Placeholder };

/** How a piece is written into the query string. */
type Encoding = 'component' | 'rawKey' | 'rawValue';

interface Piece {
  readonly key: string;
  readonly value: Value;
  readonly encoding: Encoding;
}

export interface CallbackPlan {
  readonly pieces: readonly Piece[];
}

/** Planted values that must never come back in a response or a log. */
export const CANARY_CODE = 'canary-code-7Hq2*!Zx.k9';
export const CANARY_DESCRIPTION = 'canary-description-reflected-9f8e7d';

const NAMES = ['code', 'state', 'error', 'error_description', 'scopes', 'errCode'] as const;

const keyArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...NAMES) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom(...NAMES), fc.constantFrom('[]', '[k]', '[0]', '[__proto__]', '.x'))
      .map(([name, suffix]) => name + suffix),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '__proto__[polluted]',
      '__proto__.polluted',
      'constructor[prototype][polluted]',
      '__proto__',
      'constructor',
      'prototype',
      'a[__proto__][polluted]',
      'returnTo',
      'session',
      'State',
      'code ',
    ),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 16 }) },
);

const TIKTOK_ERRORS = [
  'access_denied',
  'invalid_client',
  'unauthorized_client',
  'invalid_grant',
  'invalid_request',
  'invalid_scope',
  'server_error',
  'temporarily_unavailable',
  'rate_limit_exceeded',
  'unknown_thing',
];

/** Control characters and percent junk that the URL layer must not choke on. */
const JUNK = ['%', '%Z', '%ZZ', '%E0%A4', '%C3%28', '%00', '%0D%0A', '%uD800', '%%32%65', '+%2B+'];

const valueArb: fc.Arbitrary<Value> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Value>({ placeholder: 'validState' }) },
  { weight: 1, arbitrary: fc.constant<Value>({ placeholder: 'validStateJunk' }) },
  { weight: 3, arbitrary: fc.constant<Value>({ placeholder: 'realCode' }) },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom(CANARY_CODE, CANARY_DESCRIPTION, '', 'user.info.basic,user.info.profile')
      .map((literal) => ({ literal })),
  },
  { weight: 2, arbitrary: fc.constantFrom(...TIKTOK_ERRORS).map((literal) => ({ literal })) },
  {
    weight: 3,
    arbitrary: fc.string({ unit: 'binary', maxLength: 48 }).map((literal) => ({ literal })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('\r\n', '\0', '\u2028', 'é', '\uFEFF'), fc.string({ maxLength: 8 }))
      .map(([bad, rest]) => ({ literal: `${rest}${bad}${rest}` })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 2_000, max: 8_000 }), fc.constantFrom('a', '0', '<'))
      .map(([length, char]) => ({ literal: char.repeat(length) })),
  },
  { weight: 1, arbitrary: fc.constantFrom(...JUNK).map((literal) => ({ literal })) },
);

const pieceArb: fc.Arbitrary<Piece> = fc.record({
  key: keyArb,
  value: valueArb,
  encoding: fc.constantFrom<Encoding>('component', 'component', 'rawKey', 'rawValue'),
});

/** A plausible callback to start from (so that many runs get as far as the state check). */
const skeletonArb: fc.Arbitrary<Piece[]> = fc.oneof(
  fc.constant<Piece[]>([]),
  fc
    .constantFrom<Value>({ placeholder: 'realCode' }, { literal: CANARY_CODE })
    .map((code): Piece[] => [
      { key: 'code', value: code, encoding: 'component' },
      { key: 'scopes', value: { literal: 'user.info.basic' }, encoding: 'component' },
      { key: 'state', value: { placeholder: 'validState' }, encoding: 'component' },
    ]),
  fc.constantFrom(...TIKTOK_ERRORS).map((error): Piece[] => [
    { key: 'error', value: { literal: error }, encoding: 'component' },
    { key: 'error_description', value: { literal: CANARY_DESCRIPTION }, encoding: 'component' },
    { key: 'state', value: { placeholder: 'validState' }, encoding: 'component' },
  ]),
);

/** A callback plan: maybe a plausible skeleton, plus up to 6 arbitrary pieces, in any order. */
export const callbackPlanArb: fc.Arbitrary<CallbackPlan> = fc
  .tuple(skeletonArb, fc.array(pieceArb, { maxLength: 6 }), fc.nat())
  .map(([skeleton, extra, rotation]) => {
    const all = [...skeleton, ...extra];
    const k = all.length === 0 ? 0 : rotation % all.length;
    return { pieces: [...all.slice(k), ...all.slice(0, k)] };
  });

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** Percent-encodes every UTF-8 byte outside the unreserved set (lone surrogates as U+FFFD). */
export function percentEncode(text: string): string {
  let out = '';
  for (const char of text) {
    if (UNRESERVED.test(char)) {
      out += char;
      continue;
    }
    for (const byte of Buffer.from(char, 'utf8')) {
      out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

/** Keeps `[`, `]` and `%` as they are (the raw forms qs and hand-written URLs use). */
function rawish(text: string): string {
  return percentEncode(text).replace(/%5B/g, '[').replace(/%5D/g, ']').replace(/%25/g, '%');
}

function resolve(value: Value, secrets: CallbackSecrets): string {
  if ('literal' in value) return value.literal;
  const fallbackState = 'f'.repeat(64);
  switch (value.placeholder) {
    case 'validState':
      return secrets.state ?? fallbackState;
    case 'validStateJunk':
      return `${secrets.state ?? fallbackState}%00`;
    case 'realCode':
      return secrets.code ?? CANARY_CODE;
  }
}

/** The raw query string (without `?`), at most `maxLength` characters. */
export function renderQuery(
  plan: CallbackPlan,
  secrets: CallbackSecrets,
  maxLength = 12_000,
): string {
  const parts = plan.pieces.map(({ key, value, encoding }) => {
    const v = resolve(value, secrets);
    if (encoding === 'rawKey') return `${rawish(key)}=${percentEncode(v)}`;
    if (encoding === 'rawValue') return `${percentEncode(key)}=${rawish(v)}`;
    return `${percentEncode(key)}=${percentEncode(v)}`;
  });
  return parts.join('&').slice(0, maxLength);
}

/**
 * Whether a token call may follow this query (the oracle of "no token call on bad input"):
 * the session's state exactly once, one well-formed code, no TikTok error.
 */
export function mayCallToken(query: string, secrets: CallbackSecrets): boolean {
  const params = new URLSearchParams(query);
  const states = params.getAll('state');
  const codes = params.getAll('code');
  return (
    secrets.state !== undefined &&
    states.length === 1 &&
    states[0] === secrets.state &&
    codes.length === 1 &&
    /^[\x21-\x7e]{1,2048}$/.test(codes[0] ?? '') &&
    !params.has('error')
  );
}
