import assert from 'node:assert/strict';
import { RedisTokenStore, type RedisClientLike } from '../../lib/tokens/redis-store';
import { makeTokens } from '../support/token-fixtures';
import { rejectsWith } from '../support/token-harness';

/** Answers like node-redis to the store's commands; records what `sendCommand` got. */
class FakeRedis implements RedisClientLike {
  readonly sent: unknown[][] = [];
  waitReply: unknown = 1;
  hmGet(): Promise<unknown> {
    return Promise.resolve([null, null]);
  }
  set(): Promise<unknown> {
    return Promise.resolve('OK');
  }
  eval(): Promise<unknown> {
    return Promise.resolve(1);
  }
  sendCommand = (...args: unknown[]): Promise<unknown> => {
    this.sent.push(args);
    return Promise.resolve(this.waitReply);
  };
}

/** A cluster client is recognised by its list of primaries. */
class FakeCluster extends FakeRedis {
  readonly masters: unknown[] = [];
}

const KEY = Buffer.alloc(32, 3);

describe('RedisTokenStore', () => {
  describe('minReplicas (WAIT)', () => {
    it('rejects a bad minReplicas / replicationTimeoutMs, or minReplicas without sendCommand', () => {
      const client = new FakeRedis();
      assert.throws(
        () => new RedisTokenStore({ client, encryptionKey: KEY, minReplicas: -1 }),
        /minReplicas must be an integer >= 0/,
      );
      assert.throws(
        () =>
          new RedisTokenStore({
            client,
            encryptionKey: KEY,
            minReplicas: 1,
            replicationTimeoutMs: 0,
          }),
        /replicationTimeoutMs must be an integer >= 1/,
      );
      const noSend: RedisClientLike = {
        hmGet: () => Promise.resolve([null, null]),
        set: () => Promise.resolve('OK'),
        eval: () => Promise.resolve(1),
      };
      assert.throws(
        () => new RedisTokenStore({ client: noSend, encryptionKey: KEY, minReplicas: 1 }),
        /minReplicas needs a client with sendCommand/,
      );
    });

    it('without minReplicas no WAIT is sent', async () => {
      const client = new FakeRedis();
      const store = new RedisTokenStore({ client, encryptionKey: KEY });
      assert.equal(await store.compareAndSet('u', undefined, makeTokens('u')), true);
      assert.ok((await store.acquireLock('u', 1000)) !== undefined);
      assert.deepEqual(client.sent, []);
    });

    it('a client: WAIT <n> <timeout> after the write and after taking a lock', async () => {
      const client = new FakeRedis();
      const store = new RedisTokenStore({
        client,
        encryptionKey: KEY,
        minReplicas: 1,
        replicationTimeoutMs: 250,
      });
      assert.equal(await store.compareAndSet('u', undefined, makeTokens('u')), true);
      assert.ok((await store.acquireLock('u', 1000)) !== undefined);
      assert.deepEqual(client.sent, [[['WAIT', '1', '250']], [['WAIT', '1', '250']]]);
    });

    it("a cluster client: WAIT routed to the key's primary (sendCommand(key, false, args))", async () => {
      const client = new FakeCluster();
      const store = new RedisTokenStore({
        client,
        prefix: 'p:',
        encryptionKey: KEY,
        minReplicas: 2,
      });
      client.waitReply = 2;
      assert.equal(await store.compareAndSet('u', undefined, makeTokens('u')), true);
      assert.deepEqual(client.sent, [['p:u', false, ['WAIT', '2', '1000']]]);
    });

    it('too few replicas acknowledge: SERVICE_UNAVAILABLE (retryable) naming minReplicas', async () => {
      const client = new FakeRedis();
      client.waitReply = 0;
      const store = new RedisTokenStore({ client, encryptionKey: KEY, minReplicas: 1 });
      const err = await rejectsWith(
        store.compareAndSet('u', undefined, makeTokens('u')),
        'SERVICE_UNAVAILABLE',
      );
      assert.equal(err.retryable, true);
      assert.match(err.message, /did not confirm the tokens on 1 replica\(s\) within 1000 ms/);
    });
  });
});
