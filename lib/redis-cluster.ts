/**
 * Redis Cluster support: RedisTokenStore re-reads the topology itself when one of its commands
 * fails; {@link watchRedisClusterTopology} serves any cluster client (the one of RedisClaimStore,
 * RedisRemovalList or the app's session store).
 *
 * NOTE: node-redis v5's cluster client re-reads the cluster topology only when a node answers
 * MOVED or ASK (https://github.com/redis/node-redis/issues/2806). A primary that dies cannot
 * answer, so after its replica is promoted the client keeps sending that shard's commands to the
 * dead address: they fail (or, with the offline queue on, wait) until something re-reads the
 * topology. {@link refreshRedisClusterTopology} does that; {@link watchRedisClusterTopology} does
 * it whenever a node connection fails.
 */

import { withinTimeout } from './redis-timeout';
import { withinTime } from './time-limit';

/** How a node-redis cluster client is recognised: it lists its primaries. */
export function isRedisCluster(client: unknown): boolean {
  return (
    typeof client === 'object' && client !== null && Array.isArray(Reflect.get(client, 'masters'))
  );
}

type Rediscover = (startWith: unknown) => Promise<unknown>;

/** node-redis v5 keeps its slot map in `_slots`, whose `rediscover(nodeClient)` re-reads it. */
function slotMap(cluster: object): { rediscover: Rediscover; target: object } | undefined {
  const self: unknown = Reflect.get(cluster, '_self') ?? cluster;
  if (typeof self !== 'object' || self === null) return undefined;
  const slots: unknown = Reflect.get(self, '_slots');
  if (typeof slots !== 'object' || slots === null) return undefined;
  const rediscover: unknown = Reflect.get(slots, 'rediscover');
  if (typeof rediscover !== 'function') return undefined;
  return {
    target: slots,
    // A synchronous throw (the client's internals changed) becomes a rejection like any failure.
    rediscover: (startWith) =>
      new Promise((resolve) => resolve(Reflect.apply(rediscover, slots, [startWith]))),
  };
}

/** The cluster's connected node clients, primaries first. */
function readyNodeClients(cluster: object): object[] {
  const nodes = ['masters', 'replicas'].flatMap((name): unknown[] => {
    const list: unknown = Reflect.get(cluster, name);
    return Array.isArray(list) ? list : [];
  });
  const ready: object[] = [];
  for (const node of nodes) {
    if (typeof node !== 'object' || node === null) continue;
    const client: unknown = Reflect.get(node, 'client');
    if (typeof client === 'object' && client !== null && Reflect.get(client, 'isReady') === true)
      ready.push(client);
  }
  return ready;
}

/** How long a node may take to answer PING before another one is asked for the topology. */
const PING_TIMEOUT_MS = 500;
/** How long a topology re-read may take before it is given up. */
const REDISCOVER_TIMEOUT_MS = 5000;

/**
 * A node client of the cluster that answers PING within 500 ms, to ask for the topology.
 * NOTE: a primary that hangs (a frozen process, a partition that drops packets) keeps its
 * connection open and still looks ready; node-redis would wait on it forever, and every later
 * re-read would join that wait.
 */
async function responsiveNodeClient(cluster: object): Promise<object | undefined> {
  for (const client of readyNodeClients(cluster)) {
    const ping: unknown = Reflect.get(client, 'ping');
    if (typeof ping !== 'function') return client;
    const answered = await withinTimeout(
      new Promise((resolve) => resolve(Reflect.apply(ping, client, []))),
      PING_TIMEOUT_MS,
    ).then(
      () => true,
      () => false,
    );
    if (answered) return client;
  }
  return undefined;
}

/**
 * `reread`, and once it settles, the node clients of `cluster` closed again if the cluster client
 * was closed meanwhile.
 * NOTE: node-redis (v5) opens a client per node when `CLUSTER SHARDS` answers, without checking
 * that the cluster client is still open: a re-read still running when the app closes it (a node
 * that hung, a shutdown) leaves node clients that reconnect forever, each keeping a timer that
 * holds the process open.
 */
function closedAfter(cluster: object, reread: Promise<unknown>): Promise<unknown> {
  const closeLate = (): void => {
    if (Reflect.get(cluster, 'isOpen') !== false) return;
    for (const name of ['masters', 'replicas']) {
      const nodes: unknown = Reflect.get(cluster, name);
      if (!Array.isArray(nodes)) continue;
      for (const node of nodes) {
        const client: unknown =
          typeof node === 'object' && node !== null ? Reflect.get(node, 'client') : undefined;
        if (typeof client !== 'object' || client === null) continue;
        const destroy: unknown = Reflect.get(client, 'destroy');
        if (Reflect.get(client, 'isOpen') !== true || typeof destroy !== 'function') continue;
        try {
          Reflect.apply(destroy, client, []);
        } catch {
          // Closed meanwhile: nothing left to close.
        }
      }
    }
  };
  void reread.then(closeLate, closeLate);
  return reread;
}

const running = new WeakMap<object, Promise<boolean>>();
const lastRun = new WeakMap<object, number>();

/**
 * Makes a node-redis v5 cluster client re-read the cluster topology (`CLUSTER SLOTS` from a live
 * node, else from its root nodes), at most once per `minGapMs` (default 250 ms) per client.
 * Resolves `true` when it re-read it, `false` when it did nothing: not a cluster client, a client
 * without the v5 slot map (recreate such a client after a failover instead), throttled, or the
 * re-read failed. Never rejects.
 */
export async function refreshRedisClusterTopology(
  cluster: unknown,
  options: { minGapMs?: number | undefined } = {},
): Promise<boolean> {
  if (!isRedisCluster(cluster) || typeof cluster !== 'object' || cluster === null) return false;
  const inFlight = running.get(cluster);
  if (inFlight !== undefined) return inFlight;
  if (Date.now() - (lastRun.get(cluster) ?? 0) < (options.minGapMs ?? 250)) return false;
  let map: ReturnType<typeof slotMap>;
  try {
    map = slotMap(cluster);
  } catch {
    return false; // a getter of the client's internals threw: nothing to re-read with
  }
  if (map === undefined) return false;
  const { rediscover } = map;
  lastRun.set(cluster, Date.now());
  const refresh = responsiveNodeClient(cluster)
    .then((start) =>
      start === undefined
        ? false
        : // A re-read that hangs (its node stops answering halfway) is given up, so that the
          // next one can start. NOTE: node-redis joins a re-read of its own that hangs.
          withinTime(
            closedAfter(cluster, rediscover(start)),
            REDISCOVER_TIMEOUT_MS,
            () => new Error('re-read hung'),
          ).then(() => true),
    )
    .catch(() => false)
    .finally(() => running.delete(cluster));
  running.set(cluster, refresh);
  return refresh;
}

/** Options of {@link watchRedisClusterTopology}. */
export interface RedisClusterTopologyWatchOptions {
  /** Re-read the topology also every this many ms (0: only on node failures). Default 30 000. */
  intervalMs?: number | undefined;
  /** At most one re-read per this many ms. Default 250. */
  minGapMs?: number | undefined;
}

interface EventSource {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
}

function isEventSource(value: unknown): value is EventSource {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof Reflect.get(value, 'on') === 'function' &&
    typeof Reflect.get(value, 'off') === 'function'
  );
}

/**
 * Re-reads a node-redis cluster client's topology whenever one of its node connections fails or
 * reconnects (`node-error`, `node-reconnecting`), and every `intervalMs`: after a failover the
 * client finds the promoted replica within a few hundred ms instead of never. Returns a function
 * that stops watching. Does nothing for a client that is not a cluster.
 *
 * ```ts
 * import { createCluster } from 'redis';
 * import { watchRedisClusterTopology } from 'passport-tiktok';
 *
 * const redis = createCluster({
 *   rootNodes: [{ url: 'redis://10.0.0.1:6379' }, { url: 'redis://10.0.0.2:6379' }],
 *   defaults: { disableOfflineQueue: true },
 * });
 * redis.on('error', () => undefined);
 * await redis.connect();
 * const stopWatching = watchRedisClusterTopology(redis);
 * // at shutdown: stopWatching(); await redis.close();
 * ```
 */
export function watchRedisClusterTopology(
  cluster: unknown,
  options: RedisClusterTopologyWatchOptions = {},
): () => void {
  if (!isRedisCluster(cluster) || !isEventSource(cluster)) return () => undefined;
  const minGapMs = options.minGapMs ?? 250;
  const intervalMs = options.intervalMs ?? 30_000;
  const refresh = (): void => void refreshRedisClusterTopology(cluster, { minGapMs });
  cluster.on('node-error', refresh);
  cluster.on('node-reconnecting', refresh);
  const timer = intervalMs > 0 ? setInterval(refresh, intervalMs) : undefined;
  timer?.unref();
  return () => {
    cluster.off('node-error', refresh);
    cluster.off('node-reconnecting', refresh);
    if (timer !== undefined) clearInterval(timer);
  };
}
