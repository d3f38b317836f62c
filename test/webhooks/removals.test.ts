import assert from 'node:assert/strict';
import { MemoryRemovalList } from '../../lib';

describe('MemoryRemovalList', () => {
  it('keeps the latest removal time: an older delivery never lowers it', async () => {
    const list = new MemoryRemovalList();
    await list.record('u1', 2000);
    await list.record('u1', 1000);
    assert.equal(await list.removedAt('u1'), 2000);
    await list.record('u1', 3000);
    assert.equal(await list.removedAt('u1'), 3000);
    assert.equal(await list.removedAt('u2'), undefined);
  });

  it('forgets an entry after ttlMs', async () => {
    let now = 0;
    const list = new MemoryRemovalList({ ttlMs: 5000, now: () => now });
    await list.record('u1', 1);
    now = 4999;
    assert.equal(await list.removedAt('u1'), 1);
    now = 5000;
    assert.equal(await list.removedAt('u1'), undefined);
  });

  it('drops the oldest entry beyond maxEntries', async () => {
    const list = new MemoryRemovalList({ maxEntries: 2 });
    await list.record('a', 1);
    await list.record('b', 2);
    await list.record('c', 3);
    assert.deepEqual(await Promise.all(['a', 'b', 'c'].map((id) => list.removedAt(id))), [
      undefined,
      2,
      3,
    ]);
  });

  it('bad options are TypeErrors naming the option', () => {
    assert.throws(
      () => new MemoryRemovalList({ ttlMs: 10 }),
      /ttlMs must be an integer number of ms >= 1000/,
    );
    assert.throws(
      () => new MemoryRemovalList({ maxEntries: 0 }),
      /maxEntries must be a positive integer/,
    );
  });
});
