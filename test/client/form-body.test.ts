import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formBody } from '../../lib/client/client';

describe('formBody', () => {
  it('is URLSearchParams(fields).toString(), byte for byte', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string({ unit: 'binary' }),
          fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.string()),
        ),
        (fields) => {
          assert.equal(formBody(fields), new URLSearchParams(fields).toString());
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('escapes every BMP character, lone surrogates included, as URLSearchParams does', () => {
    for (let c = 0; c < 0x10000; c++) {
      const text = `a${String.fromCharCode(c)} b~`;
      const fields = { [text]: text, code: 'x' };
      assert.equal(formBody(fields), new URLSearchParams(fields).toString());
    }
  });

  it('keeps the object key order (integer-like keys first, as URLSearchParams does)', () => {
    const fields = { client_key: 'k', client_secret: 's', '7': 'seven', code: 'c*!.1' };
    assert.equal(formBody(fields), new URLSearchParams(fields).toString());
  });
});
