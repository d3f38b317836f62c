import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { refreshRedisClusterTopology, watchRedisClusterTopology } from '../lib';
import { sleep, waitFor } from './support/token-fixtures';

/** The shape of a node-redis v5 cluster client that the topology helpers rely on. */
class FakeCluster extends EventEmitter {
  readonly liveNode = { isReady: true, options: { url: 'redis://live' } };
  readonly masters = [{ client: { isReady: false } }, { client: this.liveNode }];
  readonly replicas: unknown[] = [];
  readonly rediscovered: unknown[] = [];
  fail = false;
  readonly _slots = {
    rediscover: async (startWith: unknown): Promise<void> => {
      this.rediscovered.push(startWith);
      await sleep(5);
      if (this.fail) throw new Error('CLUSTER SLOTS failed');
    },
  };
}

describe('redis-cluster', () => {
  describe('topology re-read (node-redis#2806)', () => {
    describe('refreshRedisClusterTopology', () => {
      it('asks a ready node of the cluster for the topology', async () => {
        const cluster = new FakeCluster();
        assert.equal(await refreshRedisClusterTopology(cluster), true);
        assert.deepEqual(cluster.rediscovered, [cluster.liveNode]);
      });

      it('concurrent calls share one re-read; another within minGapMs does nothing', async () => {
        const cluster = new FakeCluster();
        const both = await Promise.all([
          refreshRedisClusterTopology(cluster),
          refreshRedisClusterTopology(cluster),
        ]);
        assert.deepEqual(both, [true, true]);
        assert.equal(await refreshRedisClusterTopology(cluster, { minGapMs: 10_000 }), false);
        assert.equal(cluster.rediscovered.length, 1);
        assert.equal(await refreshRedisClusterTopology(cluster, { minGapMs: 0 }), true);
        assert.equal(cluster.rediscovered.length, 2);
      });

      it('a re-read that ends after the client was closed closes the node clients it opened (they reconnected forever)', async () => {
        const cluster = new FakeCluster();
        let finish = (): void => undefined;
        const late = {
          isOpen: true,
          isReady: true,
          destroyed: 0,
          destroy(): void {
            this.destroyed += 1;
            this.isOpen = false;
          },
        };
        const stillOpen = Object.assign(cluster, { isOpen: true });
        cluster._slots.rediscover = (startWith: unknown): Promise<void> => {
          cluster.rediscovered.push(startWith);
          return new Promise((resolve) => {
            finish = () => {
              // node-redis's #discover: CLUSTER SHARDS answered, new node clients opened.
              cluster.masters.push({ client: late });
              resolve();
            };
          });
        };
        const refreshed = refreshRedisClusterTopology(cluster, { minGapMs: 0 });
        await waitFor(() => cluster.rediscovered.length === 1, 5000, 'the re-read started');
        stillOpen.isOpen = false; // the app closed the cluster client (destroy()) meanwhile
        finish();
        assert.equal(await refreshed, true);
        await waitFor(() => late.destroyed === 1, 5000, 'the late node client closed');
        assert.equal(late.isOpen, false);
      });

      it('a re-read that ends while the client is open leaves its node clients alone', async () => {
        const cluster = Object.assign(new FakeCluster(), { isOpen: true });
        const client = {
          isOpen: true,
          isReady: true,
          destroyed: 0,
          destroy(): void {
            this.destroyed += 1;
          },
        };
        cluster.masters.push({ client });
        assert.equal(await refreshRedisClusterTopology(cluster, { minGapMs: 0 }), true);
        await sleep(20);
        assert.equal(client.destroyed, 0);
      });

      it('a failed re-read resolves false (never rejects)', async () => {
        const cluster = new FakeCluster();
        cluster.fail = true;
        assert.equal(await refreshRedisClusterTopology(cluster), false);
      });

      it('does nothing for a single-node client, a cluster without the v5 slot map, or no ready node', async () => {
        assert.equal(await refreshRedisClusterTopology({ get: () => undefined }), false);
        assert.equal(await refreshRedisClusterTopology(null), false);
        assert.equal(await refreshRedisClusterTopology({ masters: [] }), false);
        const noneReady = new FakeCluster();
        noneReady.liveNode.isReady = false;
        assert.equal(await refreshRedisClusterTopology(noneReady), false);
        assert.equal(noneReady.rediscovered.length, 0);
      });
    });

    describe('watchRedisClusterTopology', () => {
      it('re-reads on node-error and node-reconnecting until stopped', async () => {
        const cluster = new FakeCluster();
        const stop = watchRedisClusterTopology(cluster, { intervalMs: 0, minGapMs: 0 });
        cluster.emit('node-error', new Error('ECONNREFUSED'), { host: '127.0.0.1', port: 1 });
        await sleep(20);
        cluster.emit('node-reconnecting', { host: '127.0.0.1', port: 1 });
        await sleep(20);
        assert.equal(cluster.rediscovered.length, 2);
        stop();
        assert.equal(cluster.listenerCount('node-error'), 0);
        assert.equal(cluster.listenerCount('node-reconnecting'), 0);
        cluster.emit('node-error', new Error('ECONNREFUSED'));
        await sleep(20);
        assert.equal(cluster.rediscovered.length, 2);
      });

      it('re-reads every intervalMs', async () => {
        const cluster = new FakeCluster();
        const stop = watchRedisClusterTopology(cluster, { intervalMs: 20, minGapMs: 0 });
        // Waited for, not slept on: a busy machine runs fewer ticks of the interval in 110 ms.
        await waitFor(() => cluster.rediscovered.length >= 3, 5000, 'three re-reads');
        stop();
        const reads = cluster.rediscovered.length;
        await sleep(60);
        assert.equal(cluster.rediscovered.length, reads, 'no re-read once stopped');
      });

      it('is a no-op for a single-node client', () => {
        const client = new EventEmitter();
        watchRedisClusterTopology(client)();
        assert.equal(client.listenerCount('node-error'), 0);
      });
    });
  });
});
