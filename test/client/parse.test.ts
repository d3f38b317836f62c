import assert from 'node:assert/strict';
import {
  envelopeError,
  ignoredRefreshLifetime,
  flatError,
  isRecord,
  logIdOf,
  parseClientToken,
  parseJson,
  parseSeconds,
  parseTokens,
  parseUserInfo,
  ShapeError,
} from '../../lib/client/parse';
import { without } from '../support/objects';

/** A test-name label for any value (JSON where it has one). */
function label(value: unknown): string {
  return typeof value === 'number' || value === undefined ? String(value) : JSON.stringify(value);
}

const NOW = 1_700_000_000_000;
const TOKEN_BODY = {
  access_token: 'act.1',
  expires_in: 86400,
  open_id: 'open-1',
  refresh_expires_in: 31536000,
  refresh_token: 'rft.1',
  scope: 'user.info.basic,video.list',
  token_type: 'Bearer',
};

function shapeError(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof ShapeError && message.test(err.message));
}

describe('client/parse', () => {
  describe('parseJson', () => {
    it('parses JSON and gives undefined for anything else', () => {
      assert.deepEqual(parseJson('{"a":[1,"x",null]}'), { a: [1, 'x', null] });
      assert.equal(parseJson('null'), null);
      assert.equal(parseJson('"s"'), 's');
      for (const bad of ['', '<html></html>', '{"a":', 'undefined', '{a:1}']) {
        assert.equal(parseJson(bad), undefined, bad);
      }
    });

    it('ignores a leading byte order mark (RFC 8259), on both parse paths', () => {
      assert.deepEqual(parseJson('\ufeff{"error":"invalid_grant"}'), { error: 'invalid_grant' });
      assert.deepEqual(parseJson('\ufeff{"__proto__":{"x":1},"a":1}'), { a: 1 });
      assert.equal(parseJson('\ufeff'), undefined);
      assert.equal(parseJson('\ufeff\ufeff{}'), undefined, 'one mark only');
    });

    it('drops __proto__, constructor and prototype keys at every depth', () => {
      const parsed = parseJson(
        '{"__proto__":{"polluted":1},"a":{"constructor":{"prototype":{"polluted":2}},"b":1},' +
          '"list":[{"__proto__":{"polluted":3}}],"prototype":4}',
      );
      assert.deepEqual(parsed, { a: { b: 1 }, list: [{}] });
      assert.ok(isRecord(parsed));
      assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
      assert.equal(Object.prototype.hasOwnProperty.call(parsed, '__proto__'), false);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });

    it('drops poison keys spelled with \\u escapes too (the fast path must not skip them)', () => {
      const parsed = parseJson(
        '{"\\u005f_proto__":{"polluted":1},"\\u0063onstructor":{"prototype":{"polluted":2}},"a":1}',
      );
      assert.deepEqual(parsed, { a: 1 });
      assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });

    it('parses plain bodies without the reviver path identically', () => {
      assert.deepEqual(parseJson('{"access_token":"act.1","expires_in":3600,"list":[1,"x"]}'), {
        access_token: 'act.1',
        expires_in: 3600,
        list: [1, 'x'],
      });
    });
  });

  describe('isRecord', () => {
    it('is true only for non-null, non-array objects', () => {
      assert.equal(isRecord({}), true);
      for (const v of [null, [], 'x', 1, undefined, true]) assert.equal(isRecord(v), false);
    });
  });

  describe('parseSeconds', () => {
    it('accepts positive integers and digit strings', () => {
      assert.equal(parseSeconds(3600, 'expires_in'), 3600);
      assert.equal(parseSeconds('3600', 'expires_in'), 3600);
      assert.equal(parseSeconds(1, 'expires_in'), 1);
      assert.equal(parseSeconds(20 * 365 * 24 * 3600, 'expires_in'), 630_720_000);
    });

    it('drops a fraction, of a number or of a digit string', () => {
      assert.equal(parseSeconds('86400.0', 'expires_in'), 86400);
      assert.equal(parseSeconds(86399.5, 'expires_in'), 86399);
      assert.equal(parseSeconds('1.5', 'expires_in'), 1);
      assert.equal(parseSeconds(1.5, 'expires_in'), 1);
      assert.equal(parseSeconds('86400.0000000001', 'expires_in'), 86400);
      assert.equal(parseSeconds(`86400.${'0'.repeat(58)}`, 'expires_in'), 86400);
    });

    for (const bad of [
      'abc',
      -1,
      0,
      1e20,
      0.5,
      '0.9',
      '1.',
      '.5',
      '1e3',
      '1.5.0',
      `86400.${'0'.repeat(59)}`, // 65 characters
      '-1',
      '',
      ' 3600',
      '0x10',
      NaN,
      Infinity,
      null,
      undefined,
      true,
      {},
      20 * 365 * 24 * 3600 + 1,
    ]) {
      it(`refuses ${label(bad)}`, () => {
        shapeError(
          () => parseSeconds(bad, 'expires_in'),
          /^expires_in is not a positive number of seconds/,
        );
      });
    }
  });

  describe('parseTokens', () => {
    it('parses the documented success body and adds absolute expiries', () => {
      assert.deepEqual(parseTokens(TOKEN_BODY, NOW), {
        access_token: 'act.1',
        refresh_token: 'rft.1',
        open_id: 'open-1',
        scope: 'user.info.basic,video.list',
        token_type: 'Bearer',
        expires_in: 86400,
        refresh_expires_in: 31536000,
        expires_at: NOW + 86_400_000,
        refresh_expires_at: NOW + 31_536_000_000,
      });
    });

    it('accepts token_type in any case and expires_in as a digit string', () => {
      const t = parseTokens({ ...TOKEN_BODY, token_type: 'bearer', expires_in: '3600' }, NOW);
      assert.equal(t.token_type, 'Bearer');
      assert.equal(t.expires_in, 3600);
      assert.equal(t.expires_at, NOW + 3_600_000);
      assert.equal(parseTokens({ ...TOKEN_BODY, token_type: 'BEARER' }, NOW).token_type, 'Bearer');
    });

    it('without refresh_token: no refresh fields at all (grant not refreshable)', () => {
      const t = parseTokens(without(TOKEN_BODY, 'refresh_token'), NOW);
      for (const key of ['refresh_token', 'refresh_expires_in', 'refresh_expires_at']) {
        assert.equal(Object.prototype.hasOwnProperty.call(t, key), false, key);
      }
      const empty = parseTokens({ ...TOKEN_BODY, refresh_token: '' }, NOW);
      assert.equal(Object.prototype.hasOwnProperty.call(empty, 'refresh_token'), false);
    });

    it('reads refresh_expires_in with a fraction as whole seconds ("31536000.0", 1.5)', () => {
      assert.equal(
        parseTokens({ ...TOKEN_BODY, refresh_expires_in: '31536000.0' }, NOW).refresh_expires_in,
        31_536_000,
      );
      assert.equal(
        parseTokens({ ...TOKEN_BODY, refresh_expires_in: 1.5 }, NOW).refresh_expires_at,
        NOW + 1000,
      );
    });

    for (const bad of ['x', 0, -5, 1e20, 0.5, false]) {
      it(`drops refresh_expires_in ${JSON.stringify(bad)}, keeping the tokens (and says so)`, () => {
        const t = parseTokens({ ...TOKEN_BODY, refresh_expires_in: bad }, NOW);
        assert.equal(t.refresh_token, TOKEN_BODY.refresh_token);
        assert.equal('refresh_expires_in' in t, false);
        assert.equal('refresh_expires_at' in t, false);
        assert.equal(ignoredRefreshLifetime(t), true);
      });
    }

    it('ignores nothing in a well-formed answer, or in one without refresh_expires_in', () => {
      assert.equal(ignoredRefreshLifetime(parseTokens(TOKEN_BODY, NOW)), false);
      const bare = parseTokens(without(TOKEN_BODY, 'refresh_expires_in'), NOW);
      assert.equal(ignoredRefreshLifetime(bare), false);
    });

    it('keeps a refresh token without refresh_expires_in', () => {
      const t = parseTokens(without(TOKEN_BODY, 'refresh_expires_in'), NOW);
      assert.equal(t.refresh_token, 'rft.1');
      assert.equal(Object.prototype.hasOwnProperty.call(t, 'refresh_expires_at'), false);
    });

    it('defaults a missing scope to the empty string', () => {
      assert.equal(parseTokens(without(TOKEN_BODY, 'scope'), NOW).scope, '');
    });

    const BAD: [string, unknown, RegExp][] = [
      ['not an object', null, /not a JSON object/],
      ['an array', [TOKEN_BODY], /not a JSON object/],
      [
        'missing access_token',
        { ...TOKEN_BODY, access_token: undefined },
        /access_token is missing/,
      ],
      ['empty access_token', { ...TOKEN_BODY, access_token: '' }, /access_token is missing/],
      ['numeric access_token', { ...TOKEN_BODY, access_token: 42 }, /access_token is missing/],
      ['missing open_id', { ...TOKEN_BODY, open_id: undefined }, /open_id is missing/],
      ['token_type mac', { ...TOKEN_BODY, token_type: 'mac' }, /token_type is not Bearer/],
      ['token_type null', { ...TOKEN_BODY, token_type: null }, /token_type is not Bearer/],
      ['expires_in abc', { ...TOKEN_BODY, expires_in: 'abc' }, /expires_in/],
      ['expires_in -1', { ...TOKEN_BODY, expires_in: -1 }, /expires_in/],
      ['expires_in 1e20', { ...TOKEN_BODY, expires_in: 1e20 }, /expires_in/],
      [
        'numeric refresh_token',
        { ...TOKEN_BODY, refresh_token: 7 },
        /refresh_token is not a string/,
      ],
      ['numeric scope', { ...TOKEN_BODY, scope: 7 }, /scope is not a string/],
    ];
    for (const [name, body, message] of BAD) {
      it(`refuses ${name}`, () => shapeError(() => parseTokens(body, NOW), message));
    }
  });

  describe('parseClientToken', () => {
    it('parses a client-credentials body', () => {
      assert.deepEqual(
        parseClientToken({ access_token: 'clt.1', expires_in: 7200, token_type: 'Bearer' }),
        { access_token: 'clt.1', expires_in: 7200, token_type: 'Bearer' },
      );
    });

    it('refuses bad shapes', () => {
      shapeError(() => parseClientToken('clt.1'), /not a JSON object/);
      shapeError(
        () => parseClientToken({ access_token: 'clt.1', expires_in: 0, token_type: 'Bearer' }),
        /expires_in/,
      );
      shapeError(() => parseClientToken({ expires_in: 60, token_type: 'Bearer' }), /access_token/);
    });
  });

  describe('flatError', () => {
    it('reads error and error_description', () => {
      assert.deepEqual(flatError({ error: 'invalid_grant', error_description: 'expired' }), {
        error: 'invalid_grant',
        description: 'expired',
      });
      assert.deepEqual(flatError({ error: 'invalid_grant', error_description: '' }), {
        error: 'invalid_grant',
      });
      assert.deepEqual(flatError({ error: 'x', error_description: 5 }), { error: 'x' });
    });

    it('is undefined for successes, empty or non-string errors and non-objects', () => {
      for (const body of [
        TOKEN_BODY,
        { error: '' },
        { error: { code: 'ok' } },
        null,
        [],
        'error',
      ]) {
        assert.equal(flatError(body), undefined);
      }
    });
  });

  describe('envelopeError', () => {
    it('is undefined for error.code ok, 0 and "0"', () => {
      for (const code of ['ok', 0, '0'])
        assert.equal(envelopeError({ data: {}, error: { code } }), undefined);
      assert.equal(envelopeError({ data: {} }), undefined);
      assert.equal(envelopeError(null), undefined);
    });

    it('reads any other code and the message', () => {
      assert.deepEqual(
        envelopeError({ data: {}, error: { code: 'access_token_invalid', message: 'expired' } }),
        {
          error: 'access_token_invalid',
          description: 'expired',
        },
      );
      assert.deepEqual(envelopeError({ error: { code: 40001, message: '' } }), { error: '40001' });
      assert.deepEqual(envelopeError({ error: { code: null } }), { error: 'unknown' });
    });
  });

  describe('logIdOf', () => {
    const headers = (h: Record<string, string> = {}): Headers => new Headers(h);

    it('prefers the body log_id, then error.log_id, then x-tt-logid', () => {
      assert.equal(logIdOf({ log_id: 'B1' }, headers({ 'x-tt-logid': 'H1' })), 'B1');
      assert.equal(logIdOf({ error: { log_id: 'E1' } }, headers({ 'x-tt-logid': 'H1' })), 'E1');
      assert.equal(logIdOf({}, headers({ 'x-tt-logid': 'H1' })), 'H1');
      assert.equal(logIdOf(undefined, headers({ 'x-tt-logid': 'H1' })), 'H1');
      assert.equal(logIdOf({ log_id: '' }, headers({ 'x-tt-logid': 'H1' })), 'H1');
    });

    it('is undefined when absent or not a safe token (no log injection)', () => {
      assert.equal(logIdOf({}, headers()), undefined);
      assert.equal(logIdOf({ log_id: 'a b\nc' }, headers()), undefined);
      assert.equal(logIdOf({ log_id: 'x'.repeat(129) }, headers()), undefined);
      assert.equal(logIdOf({ log_id: 42 }, headers()), undefined);
    });
  });

  describe('parseUserInfo', () => {
    const USER = {
      open_id: 'open-1',
      union_id: 'union-1',
      avatar_url: 'a',
      avatar_url_100: 'b',
      avatar_large_url: 'c',
      display_name: 'Ada',
      bio_description: 'bio',
      profile_deep_link: 'https://www.tiktok.com/@ada',
      is_verified: false,
      username: 'ada',
      follower_count: 0,
      following_count: 2,
      likes_count: 3,
      video_count: 4,
    };
    const envelope = (user: unknown): unknown => ({
      data: { user },
      error: { code: 'ok', message: '', log_id: 'L' },
    });

    it('copies every documented field, drops unknown ones', () => {
      assert.deepEqual(
        parseUserInfo(envelope({ ...USER, email: 'x@example.com', extra: 1 })),
        USER,
      );
    });

    it('omits null optional fields and keeps empty strings', () => {
      assert.deepEqual(
        parseUserInfo(
          envelope({
            open_id: 'o',
            union_id: '',
            display_name: null,
            follower_count: null,
            is_verified: null,
          }),
        ),
        { open_id: 'o', union_id: '' },
      );
    });

    const BAD: [string, unknown, RegExp][] = [
      ['a non-object', null, /not a JSON object/],
      ['no envelope', { data: { user: USER } }, /no error envelope/],
      ['no data', { error: { code: 'ok' } }, /data.user is missing/],
      ['no data.user', { data: {}, error: { code: 'ok' } }, /data.user is missing/],
      ['missing open_id', envelope({ display_name: 'x' }), /open_id is missing/],
      [
        'numeric display_name',
        envelope({ open_id: 'o', display_name: 5 }),
        /display_name is not a string/,
      ],
      ['negative count', envelope({ open_id: 'o', likes_count: -1 }), /likes_count/],
      ['non-digit string count', envelope({ open_id: 'o', video_count: 'four' }), /video_count/],
      ['signed string count', envelope({ open_id: 'o', video_count: '-4' }), /video_count/],
      ['fractional string count', envelope({ open_id: 'o', video_count: '4.5' }), /video_count/],
      ['fractional count', envelope({ open_id: 'o', follower_count: 1.5 }), /follower_count/],
      ['string is_verified', envelope({ open_id: 'o', is_verified: 'true' }), /is_verified/],
    ];
    for (const [name, body, message] of BAD) {
      it(`refuses ${name}`, () => shapeError(() => parseUserInfo(body), message));
    }

    it('takes a count sent as a string of digits (int64 as JSON encoders often send it) as the number', () => {
      const user = parseUserInfo(
        envelope({ open_id: 'o', follower_count: '1234', video_count: '0', likes_count: 7 }),
      );
      assert.equal(user.follower_count, 1234);
      assert.equal(user.video_count, 0);
      assert.equal(user.likes_count, 7);
    });
  });
});
