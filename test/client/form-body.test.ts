import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formValue } from '../../lib/client/client';

// What URLSearchParams writes for one value: the reference formValue() must match byte for byte.
const reference = (text: string): string => new URLSearchParams([['', text]]).toString().slice(1);

describe('formValue', () => {
  it('is what URLSearchParams writes for the value, byte for byte', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.string()),
        (text) => {
          assert.equal(formValue(text), reference(text));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('escapes every BMP character, lone surrogates included, as URLSearchParams does', () => {
    for (let c = 0; c < 0x10000; c++) {
      const text = `a${String.fromCharCode(c)} b~`;
      assert.equal(formValue(text), reference(text));
    }
  });
});
