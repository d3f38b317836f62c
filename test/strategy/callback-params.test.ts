import assert from 'node:assert/strict';
import {
  looksLikeCallback,
  parseCallbackParams,
  rawPathOf,
  rawQueryOf,
} from '../../lib/strategy/callback-params';

const parse = (query: string): ReturnType<typeof parseCallbackParams> =>
  parseCallbackParams(new URLSearchParams(query));

describe('strategy/callback-params', () => {
  it('reads the query of originalUrl, else url', () => {
    assert.equal(rawQueryOf({ originalUrl: '/cb?state=a&x=1', url: '/?y' }).get('state'), 'a');
    assert.equal(rawQueryOf({ url: '/cb?state=b' }).get('state'), 'b');
    assert.equal(rawPathOf({ originalUrl: '/auth/cb?x=1' }), '/auth/cb');
    assert.equal(rawPathOf({ url: '/auth/cb' }), '/auth/cb');
  });

  it('knows a callback by its parameters, also in bracket form', () => {
    assert.equal(looksLikeCallback(new URLSearchParams('returnTo=/x')), false);
    assert.equal(looksLikeCallback(new URLSearchParams('code=1')), true);
    assert.equal(looksLikeCallback(new URLSearchParams('state[x]=1')), true);
    assert.equal(looksLikeCallback(new URLSearchParams('error=access_denied')), true);
  });

  it('accepts a TikTok success: code decoded once, granted scopes split on commas', () => {
    assert.deepEqual(parse('code=a%2Ab%21c.d&scopes=user.info.basic%2Cvideo.list&state=s1'), {
      ok: true,
      params: { code: 'a*b!c.d', state: 's1', scopes: ['user.info.basic', 'video.list'] },
    });
  });

  it('accepts a TikTok error with its state', () => {
    assert.deepEqual(parse('error=access_denied&error_description=x&errCode=-2&state=s1'), {
      ok: true,
      params: { error: 'access_denied', state: 's1' },
    });
  });

  it('an empty state is no state; malformed scopes are ignored', () => {
    assert.deepEqual(parse('code=c&state=&scopes=a%20b'), { ok: true, params: { code: 'c' } });
  });

  describe('refuses', () => {
    const cases: [string, string][] = [
      ['state=a&state=b', 'duplicated state'],
      ['code=a&code=b', 'duplicated code'],
      ['error=a&error=b', 'duplicated error'],
      ['state[]=a', 'array/object-style parameter state[...]'],
      ['state[k]=a', 'array/object-style parameter state[...]'],
      ['code[]=a', 'array/object-style parameter code[...]'],
      ['code=', 'empty code'],
      [`code=${'x'.repeat(2049)}`, 'code longer than 2 KiB'],
      ['code=a%0Db', 'code has forbidden characters'],
      ['code=a%0Ab', 'code has forbidden characters'],
      ['code=a%00b', 'code has forbidden characters'],
      ['code=a+b', 'code has forbidden characters'],
      ['code=%C3%A9', 'code has forbidden characters'],
      ['state=a%0Ab', 'state has forbidden characters'],
      ['state=%E2%9C%93', 'state has forbidden characters'],
      [`state=${'s'.repeat(513)}`, 'state too long'],
      ['code=a&error=access_denied', 'both error and code'],
      ['error=%3Cscript%3E', 'malformed error'],
    ];
    for (const [query, reason] of cases) {
      it(`${query.slice(0, 40)} (${reason})`, () => {
        assert.deepEqual(parse(query), { ok: false, reason });
      });
    }
  });

  it('accepts exactly 2 KiB of code', () => {
    const code = 'x'.repeat(2048);
    assert.deepEqual(parse(`code=${code}`), { ok: true, params: { code } });
  });
});
