import assert from 'node:assert/strict';
import { MemoryRemovalList, RedisRemovalList } from '../../lib';

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

describe('RedisRemovalList', () => {
  /** A removal list over a client whose GET answers `reply`. */
  const answering = (reply: unknown) =>
    new RedisRemovalList({
      client: { get: () => Promise.resolve(reply), eval: () => Promise.resolve(null) },
    });

  it('reads a Buffer reply (a client with a Buffer type mapping) as the time', async () => {
    assert.equal(await answering(Buffer.from('1760000000999')).removedAt('u'), 1760000000999);
    assert.equal(await answering(null).removedAt('u'), undefined);
  });

  it('a reply that is not a time is an error, never "no removal" (the session would get through)', async () => {
    for (const reply of ['garbage', 12, ['1'], Buffer.from('x')]) {
      await assert.rejects(
        answering(reply).removedAt('u'),
        /holds something that is not a removal time/,
      );
    }
  });
});
