import assert from 'node:assert/strict';
import { parseStoredTokens, StoredRecordError } from '../../lib/tokens/token-record';
import { makeTokens } from '../support/token-fixtures';

describe('parseStoredTokens', () => {
  it('returns exactly the known fields', () => {
    const tokens = makeTokens('u', { log_id: '2024abc' });
    assert.deepEqual(parseStoredTokens({ ...tokens, extra: 'dropped' }), tokens);
  });

  it('keeps optional fields absent', () => {
    const rest: Record<string, unknown> = { ...makeTokens('u') };
    delete rest.refresh_token;
    delete rest.refresh_expires_in;
    delete rest.refresh_expires_at;
    const parsed = parseStoredTokens(rest);
    assert.deepEqual(Object.keys(parsed).sort(), [
      'access_token',
      'expires_at',
      'expires_in',
      'open_id',
      'scope',
      'token_type',
    ]);
  });

  const base = makeTokens('u');
  const cases: Array<[string, unknown]> = [
    ['null', null],
    ['an array', [base]],
    ['a string', 'tokens'],
    ['no access_token', { ...base, access_token: undefined }],
    ['an empty access_token', { ...base, access_token: '' }],
    ['a numeric open_id', { ...base, open_id: 42 }],
    ['token_type mac', { ...base, token_type: 'mac' }],
    ['expires_at as a string', { ...base, expires_at: '123' }],
    ['expires_in NaN', { ...base, expires_in: Number.NaN }],
    ['refresh_token 42', { ...base, refresh_token: 42 }],
    ['refresh_expires_at null', { ...base, refresh_expires_at: null }],
    ['scope missing', { ...base, scope: undefined }],
  ];
  for (const [what, value] of cases) {
    it(`refuses ${what}`, () => {
      assert.throws(() => parseStoredTokens(value), StoredRecordError);
    });
  }
});
