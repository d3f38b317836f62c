import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { refreshRedisClusterTopology, watchRedisClusterTopology } from '../../lib';
import { sleep } from '../support/token-fixtures';
import { watchUnhandledRejections } from '../support/unhandled-rejections';

/** A node-redis v5 cluster shape whose slot map throws synchronously (an internal change, say). */
class ThrowingCluster extends EventEmitter {
  readonly masters = [{ client: { isReady: true } }];
  readonly replicas: unknown[] = [];
  calls = 0;
  readonly _slots = {
    rediscover: (): Promise<void> => {
      this.calls += 1;
      throw new TypeError('Cannot read properties of undefined (reading "slots")');
    },
  };
}

describe('redis-cluster', () => {
  describe('topology re-read: a synchronous throw never escapes', () => {
    const rejections = watchUnhandledRejections();

    it('refreshRedisClusterTopology resolves false when rediscover throws synchronously', async () => {
      const cluster = new ThrowingCluster();
      assert.equal(await refreshRedisClusterTopology(cluster, { minGapMs: 0 }), false);
      assert.equal(cluster.calls, 1);
    });

    it('watchRedisClusterTopology: node errors leave no unhandled rejection', async () => {
      const cluster = new ThrowingCluster();
      const before = rejections.reasons.length;
      const stop = watchRedisClusterTopology(cluster, { intervalMs: 0, minGapMs: 0 });
      cluster.emit('node-error', new Error('ECONNREFUSED'));
      await sleep(10);
      cluster.emit('node-reconnecting');
      await sleep(10);
      stop();
      assert.equal(cluster.calls, 2);
      assert.deepEqual(rejections.reasons.slice(before), []);
    });
  });
});
