import assert from 'node:assert/strict';
import express, { type NextFunction, type Request, type Response } from 'express';
import request from 'supertest';
import { safeReturnTo, tiktokErrorHandler, tiktokReturnTo } from '../../lib';
import { field } from '../support/json';

describe('safeReturnTo', () => {
  describe('keeps same-origin paths as given', () => {
    for (const path of [
      '/',
      '/account',
      '/account?tab=1&x=%2F',
      '/a/b#frag',
      '/caf%C3%A9',
      '/search?q=a//b',
    ]) {
      it(path, () => assert.equal(safeReturnTo(path), path));
    }
  });

  describe('percent-encodes spaces and non-ASCII text as a browser sends them', () => {
    const cases: [string, string][] = [
      ['/café', '/caf%C3%A9'],
      ['/x?y=a b', '/x?y=a%20b'],
      ['/日本/😀#é', '/%E6%97%A5%E6%9C%AC/%F0%9F%98%80#%C3%A9'],
      // A look-alike slash stays text: no browser reads it as a path separator.
      ['/\u2215\u2215evil.com', '/%E2%88%95%E2%88%95evil.com'],
      // A space before slashes keeps the path on this site: `/%20//evil.com` is a path.
      ['/ //evil.com', '/%20//evil.com'],
    ];
    for (const [value, expected] of cases) {
      it(`${value} → ${expected}`, () => assert.equal(safeReturnTo(value), expected));
    }
  });

  describe('resolves dot-segments, also percent-encoded ones, as a browser does', () => {
    const cases: [string, string][] = [
      ['/a/../b', '/b'],
      ['/a/./b', '/a/b'],
      ['/a/%2e%2e/b', '/b'],
      ['/a/%2E%2e/b?x=/../#/../y', '/b?x=/../#/../y'],
      ['/a/.%2e/b', '/b'],
      ['/../../account', '/account'],
      ['/a/b/..', '/a/'],
      ['/./', '/'],
    ];
    for (const [value, expected] of cases) {
      it(`${value} → ${expected}`, () => assert.equal(safeReturnTo(value), expected));
    }
  });

  describe('falls back on anything else', () => {
    const attacks: [string, unknown][] = [
      ['protocol-relative', '//evil.com'],
      ['backslash', '/\\evil.com'],
      ['scheme without slashes', 'https:evil.com'],
      ['absolute URL', 'https://evil.com/'],
      ['encoded slashes', '/%2F%2Fevil.com'],
      ['encoded slashes, lowercase', '/%2f%2fevil.com'],
      ['encoded backslash', '/%5Cevil.com'],
      ['javascript:', 'javascript:alert(1)'],
      ['data:', 'data:text/html,x'],
      ['CRLF', '/a\r\nSet-Cookie: x=1'],
      ['encoded CRLF', '/a%0D%0ASet-Cookie:%20x=1'],
      ['NUL', '/a\u0000'],
      ['tab then slashes', '/\t/evil.com'],
      ['lone surrogate', '/a\ud800'],
      ['more than 2 KiB', `/${'a'.repeat(2048)}`],
      ['relative', 'account'],
      ['empty', ''],
      ['malformed escape', '/%E0%A4%A'],
      ['dot then slashes', '/.//evil.com'],
      ['dot-dot then slashes', '/..//evil.com'],
      ['encoded dot-dot then slashes', '/%2e%2e//evil.com'],
      ['encoded dot-dot, mixed case', '/%2E%2e//evil.com'],
      ['half-encoded dot-dot', '/.%2e//evil.com'],
      ['dot-dot after a segment', '/a/..//evil.com'],
      ['dot-dot before an encoded slash', '/a/%2e%2e/%2fevil.com'],
      ['all encoded', '/%2e%2e%2f%2fevil.com'],
      ['not a string', ['/a']],
      ['undefined', undefined],
    ];
    for (const [name, value] of attacks) {
      it(name, () => assert.equal(safeReturnTo(value), '/'));
    }
  });

  it("tiktokReturnTo refuses a fallback that is not a path of this site when it is created (it would be dropped for '/')", () => {
    for (const bad of ['https://example.com/dashboard', '//evil.com', 'dashboard']) {
      assert.throws(() => tiktokReturnTo({ fallback: bad }), {
        name: 'TypeError',
        message: /^tiktokReturnTo option fallback must be a path of this site starting with \//,
      });
    }
    assert.doesNotThrow(() => tiktokReturnTo({ fallback: '/dashboard' }));
  });

  it('tiktokReturnTo mounted without () fails the request at once with CONFIGURATION_ERROR naming the fix (it hung)', async () => {
    const app = express();
    app.get('/cb', tiktokReturnTo);
    app.use(tiktokErrorHandler());
    const res = await request(app)
      .get('/cb')
      .set('Accept', 'application/json')
      .set('X-Correlation-Id', 'corr-uncalled-1')
      .timeout(5000);
    assert.equal(res.status, 500);
    assert.equal(field(res.body, 'error', 'code'), 'CONFIGURATION_ERROR');
    assert.equal(field(res.body, 'error', 'correlationId'), 'corr-uncalled-1');
  });

  it('tiktokReturnTo mounted without (): the error names the missing parentheses', async () => {
    const app = express();
    let seen: unknown;
    app.get('/cb', tiktokReturnTo);
    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      seen = err;
      res.status(500).end();
    });
    await request(app).get('/cb').timeout(5000).expect(500);
    assert.match(
      String(seen),
      /tiktokReturnTo is mounted without being called.*tiktokReturnTo\(\)/,
    );
  });

  it('uses the given fallback', () => {
    assert.equal(safeReturnTo('//evil.com', '/home'), '/home');
  });

  it('accepts exactly 2 KiB', () => {
    const path = `/${'a'.repeat(2047)}`;
    assert.equal(safeReturnTo(path), path);
  });
});
