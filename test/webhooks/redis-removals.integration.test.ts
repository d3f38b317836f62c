import assert from 'node:assert/strict';
import { RedisRemovalList } from '../../lib';
import { connectTestRedis, deleteKeys, uniquePrefix, type TestRedis } from '../support/redis';

describe('RedisRemovalList', function () {
  let redis: TestRedis;
  const prefix = uniquePrefix();

  before(async function () {
    redis = await connectTestRedis(this);
  });
  after(async () => {
    if (redis === undefined) return;
    await deleteKeys(redis, prefix);
    redis.destroy();
  });

  it('stores the time under a hashed key with the TTL, and keeps the latest', async () => {
    const list = new RedisRemovalList({ client: redis, prefix, ttlMs: 60_000 });
    await list.record('open:id/1', 2000);
    await list.record('open:id/1', 1000);
    assert.equal(await list.removedAt('open:id/1'), 2000);
    const key = list.key('open:id/1');
    assert.match(key, new RegExp(`^${prefix}[0-9a-f]{64}$`));
    const ttl = await redis.pTTL(key);
    assert.ok(ttl > 59_000 && ttl <= 60_000, `ttl ${ttl}`);
    await list.record('open:id/1', 5000);
    assert.equal(await list.removedAt('open:id/1'), 5000);
    assert.equal(await list.removedAt('someone-else'), undefined);
  });

  it('two instances recording at once keep the later time', async () => {
    const a = new RedisRemovalList({ client: redis, prefix, ttlMs: 60_000 });
    const b = new RedisRemovalList({ client: redis, prefix, ttlMs: 60_000 });
    await Promise.all([a.record('u2', 7000), b.record('u2', 6000), a.record('u2', 6500)]);
    assert.equal(await b.removedAt('u2'), 7000);
  });

  it('a value that is not a time is an error, never "no removal" (the revocation answers 503)', async () => {
    const list = new RedisRemovalList({ client: redis, prefix });
    await redis.set(list.key('u3'), 'garbage');
    await assert.rejects(list.removedAt('u3'), /holds something that is not a removal time/);
  });

  it('requires a client', () => {
    assert.throws(() => new RedisRemovalList({} as never), /requires a client option/);
  });
});
