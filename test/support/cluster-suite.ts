import {
  startRedisCluster,
  type LocalRedisCluster,
  type RedisClusterOptions,
} from './redis-cluster';

/** The running cluster of a `describe` (available from `before` on). */
export interface ClusterSuite {
  readonly cluster: LocalRedisCluster;
}

/**
 * Starts a local Redis Cluster in the calling `describe`'s `before` and stops it in `after`.
 * Without redis-server the suite is skipped locally; under `CI=true` it fails.
 */
export function useRedisCluster(options: RedisClusterOptions = {}): ClusterSuite {
  let cluster: LocalRedisCluster | undefined;
  before(async function () {
    this.timeout(60_000);
    try {
      cluster = await startRedisCluster(options);
    } catch (err) {
      if (process.env.CI === 'true') {
        throw new Error('a local Redis Cluster is required under CI=true but did not start', {
          cause: err,
        });
      }
      this.skip();
    }
  });
  after(async () => {
    await cluster?.stop();
  });
  return {
    get cluster(): LocalRedisCluster {
      if (cluster === undefined) throw new Error('the cluster is started in before()');
      return cluster;
    },
  };
}
