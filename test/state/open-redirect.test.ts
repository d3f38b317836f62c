import assert from 'node:assert/strict';
import express from 'express';
import fc from 'fast-check';
import request from 'supertest';
import { safeReturnTo, tiktokReturnTo } from '../../lib';

const ORIGIN = 'https://app.example';

// Pieces attackers combine: slashes and backslashes (raw and encoded), schemes, userinfo, dots,
// whitespace and control characters, and an off-site host.
const PIECES = [
  '/',
  '\\',
  '%2F',
  '%2f',
  '%5C',
  '%252F',
  '.',
  '..',
  '%2e',
  '%2E',
  '.%2e',
  '@',
  ':',
  'https:',
  'javascript:',
  '//',
  '%09',
  '\t',
  '\r\n',
  '%0D%0A',
  ' ',
  '#',
  '?',
  '%',
  'evil.example',
  '／',
  'a',
];

const hostile = fc.oneof(
  fc.array(fc.constantFrom(...PIECES), { maxLength: 10 }).map((parts) => parts.join('')),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }).map((s) => `/${s}`),
);

/** Where a browser on ORIGIN goes for this Location. */
function resolvedOrigin(location: string): string {
  return new URL(location, ORIGIN).origin;
}

/** The path, query and fragment a browser on ORIGIN ends up on (dot-segments resolved). */
function resolvedPath(location: string): string {
  const url = new URL(location, ORIGIN);
  return url.pathname + url.search + url.hash;
}

describe('safeReturnTo', () => {
  describe('open redirects after login (RFC 9700 §4.11)', () => {
    it('safeReturnTo: whatever the input, the browser stays on the origin, also after one decoding', () => {
      fc.assert(
        fc.property(hostile, (value) => {
          const kept = safeReturnTo(value);
          // Either the fallback or the very path the browser would have resolved the value to.
          assert.ok(kept === '/' || kept === resolvedPath(value), `${value} → ${kept}`);
          assert.equal(safeReturnTo(kept), kept, 'normalised: a second pass changes nothing');
          assert.ok(!kept.startsWith('//') && !kept.startsWith('/\\'), kept);
          assert.equal(resolvedOrigin(kept), ORIGIN);
          // eslint-disable-next-line no-control-regex -- looking for exactly those
          assert.ok(!/[\u0000-\u001f\u007f]/.test(kept), 'no control character in a Location');
          const decoded = decodeURIComponent(kept);
          assert.equal(resolvedOrigin(decoded), ORIGIN);
          // A later redirect that echoes the (decoded) path must not become `Location: //…`.
          assert.ok(!resolvedPath(kept).startsWith('//'), kept);
          assert.ok(!resolvedPath(decoded).startsWith('//'), `${kept} decodes to ${decoded}`);
        }),
        { numRuns: 5000 },
      );
    });

    it('safeReturnTo: dot-segment tricks that resolve to //evil.example fall back', () => {
      for (const value of [
        '/.//evil.example',
        '/..//evil.example',
        '/%2e%2e//evil.example',
        '/%2E%2E//evil.example',
        '/a/..//evil.example',
        '/%2e%2e%2f%2fevil.example',
      ]) {
        assert.equal(safeReturnTo(value), '/', value);
      }
    });

    it('tiktokReturnTo: the Location header of the post-login redirect never leaves the origin', async () => {
      const app = express();
      app.get(
        '/done',
        (req, _res, next) => {
          const to = req.query.to;
          req.authInfo = { returnTo: typeof to === 'string' ? to : '' };
          next();
        },
        tiktokReturnTo(),
      );
      await fc.assert(
        fc.asyncProperty(hostile, async (value) => {
          const res = await request(app).get(`/done?to=${encodeURIComponent(value)}`);
          assert.equal(res.status, 302);
          const location = String(res.headers.location);
          assert.equal(resolvedOrigin(location), ORIGIN, `${JSON.stringify(value)} → ${location}`);
          assert.ok(
            !location.startsWith('//') && !resolvedPath(location).startsWith('//'),
            location,
          );
        }),
        { numRuns: 300 },
      );
    });

    it('an off-site fallback option is refused when the middleware is created', () => {
      assert.throws(() => tiktokReturnTo({ fallback: '//evil.example' }), {
        name: 'TypeError',
        message: /^tiktokReturnTo option fallback must be a path of this site/,
      });
    });
  });
});
