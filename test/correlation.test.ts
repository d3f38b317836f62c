import assert from 'node:assert/strict';
import { generateCorrelationId } from '../lib';
import { acceptCorrelationId } from '../lib/correlation';

const FORMAT = /^tiktok-\d{13}-[0-9a-f]{8}$/;

describe('correlation', () => {
  describe('generateCorrelationId', () => {
    it('is tiktok-<Date.now()>-<8 lowercase hex>', () => {
      const before = Date.now();
      const id = generateCorrelationId();
      const after = Date.now();
      assert.match(id, FORMAT);
      const stamp = Number(id.split('-')[1]);
      assert.ok(stamp >= before && stamp <= after, `${stamp} not in [${before}, ${after}]`);
    });

    it('is unique across calls in the same millisecond', () => {
      const ids = new Set(Array.from({ length: 200 }, () => generateCorrelationId()));
      assert.equal(ids.size, 200);
    });
  });

  describe('acceptCorrelationId', () => {
    it('keeps a short ID of safe characters', () => {
      assert.equal(acceptCorrelationId('req-42.a_b:c'), 'req-42.a_b:c');
      assert.equal(
        acceptCorrelationId('tiktok-1700000000000-0a1b2c3d'),
        'tiktok-1700000000000-0a1b2c3d',
      );
      assert.equal(acceptCorrelationId('x'.repeat(128)), 'x'.repeat(128));
    });

    it('replaces CR/LF (header and log injection) with a fresh ID', () => {
      const id = acceptCorrelationId('abc\r\nX-Injected: 1');
      assert.match(id, FORMAT);
      // NOTE: not `includes('abc')`: the fresh ID's 8 hex digits contain "abc" 0.15 % of the time.
      assert.doesNotMatch(id, /[\r\n]|X-Injected/);
      assert.match(acceptCorrelationId('abc\n'), FORMAT);
    });

    it('replaces arrays, non-strings and empty values with a fresh ID', () => {
      for (const candidate of [['a', 'b'], ['abc'], 42, undefined, null, {}, '']) {
        assert.match(acceptCorrelationId(candidate), FORMAT, JSON.stringify(candidate));
      }
    });

    it('replaces over-long and unsafe IDs with a fresh ID', () => {
      assert.match(acceptCorrelationId('x'.repeat(129)), FORMAT);
      assert.match(acceptCorrelationId('x'.repeat(10_000)), FORMAT);
      assert.match(acceptCorrelationId('<script>'), FORMAT);
      assert.match(acceptCorrelationId('a b'), FORMAT);
      assert.match(acceptCorrelationId('é'), FORMAT);
    });

    it('gives a different fresh ID each time', () => {
      assert.notEqual(acceptCorrelationId(undefined), acceptCorrelationId(undefined));
    });
  });
});
