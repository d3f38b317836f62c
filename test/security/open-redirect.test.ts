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

describe('security: open redirects after login (RFC 9700 §4.11)', () => {
  it('safeReturnTo: whatever the input, the browser stays on the origin, also after one decoding', () => {
    fc.assert(
      fc.property(hostile, (value) => {
        const kept = safeReturnTo(value);
        assert.ok(kept === '/' || kept === value);
        assert.equal(resolvedOrigin(kept), ORIGIN);
        // eslint-disable-next-line no-control-regex -- looking for exactly those
        assert.ok(!/[\u0000-\u001f\u007f]/.test(kept), 'no control character in a Location');
        assert.equal(resolvedOrigin(decodeURIComponent(kept)), ORIGIN);
      }),
      { numRuns: 5000 },
    );
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
      }),
      { numRuns: 300 },
    );
  });

  it('an off-site fallback option is replaced by /', async () => {
    const app = express();
    app.get('/done', tiktokReturnTo({ fallback: '//evil.example' }));
    const res = await request(app).get('/done');
    assert.equal(res.headers.location, '/');
  });
});
