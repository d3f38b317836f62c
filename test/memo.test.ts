import assert from 'node:assert/strict';
import { BoundedMemo } from '../lib/memo';
import { fieldsForScopes, normalizeScopes } from '../lib/client/endpoints';

describe('BoundedMemo', () => {
  describe('#get', () => {
    it('computes a key once and answers the kept value after', () => {
      const memo = new BoundedMemo<string>();
      let computed = 0;
      const compute = (): string => `value ${++computed}`;
      assert.equal(memo.get('a', compute), 'value 1');
      assert.equal(memo.get('a', compute), 'value 1');
      assert.equal(memo.get('b', compute), 'value 2');
      assert.equal(computed, 2);
      assert.equal(memo.size, 2);
    });

    it('keeps at most maxEntries values: a new key when full empties it first', () => {
      const memo = new BoundedMemo<number>(3);
      for (const key of ['a', 'b', 'c']) memo.get(key, () => key.length);
      assert.equal(memo.size, 3);
      memo.get('d', () => 4);
      assert.equal(memo.size, 1);
      let computed = 0;
      assert.equal(
        memo.get('a', () => ++computed),
        1,
      );
      assert.equal(computed, 1);
    });

    it('never keeps a key longer than maxKeyLength', () => {
      const memo = new BoundedMemo<string>(64, 8);
      let computed = 0;
      const long = 'x'.repeat(9);
      memo.get(long, () => String(++computed));
      memo.get(long, () => String(++computed));
      assert.equal(computed, 2);
      assert.equal(memo.size, 0);
    });
  });

  describe('memoised scope computations', () => {
    it('answer a fresh array every time: a caller changing one changes no later answer', () => {
      const scopes = normalizeScopes('user.info.basic, user.info.profile');
      scopes.push('changed');
      assert.deepEqual(normalizeScopes('user.info.basic, user.info.profile'), [
        'user.info.basic',
        'user.info.profile',
      ]);
      const fields = fieldsForScopes(['user.info.stats']);
      fields.length = 0;
      assert.deepEqual(fieldsForScopes(['user.info.stats']), [
        'open_id',
        'follower_count',
        'following_count',
        'likes_count',
        'video_count',
      ]);
    });

    it('tell apart scope lists that join to the same text', () => {
      assert.deepEqual(fieldsForScopes(['user.info.stats,user.info.basic']), ['open_id']);
      assert.ok(fieldsForScopes(['user.info.stats', 'user.info.basic']).length > 1);
    });
  });
});
