/**
 * A throwaway Redis Cluster on loopback for the cluster and failover suites, the cluster bench
 * and `.ci/run`: 3 primaries + 3 replicas of Debian's `redis-server`, created with `redis-cli
 * --cluster create`, short `cluster-node-timeout`, no persistence, config files in a temp dir.
 *
 * As a script: `node --require tsx/cjs test/support/redis-cluster.ts [--check]` starts one,
 * prints `REDIS_CLUSTER_NODES=host:port,…`, and tears it down on SIGINT/SIGTERM (`--check`: at
 * once, exiting 0 when the cluster came up healthy).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePorts, spawnRedisServer } from './redis';

const run = promisify(execFile);

export interface RedisClusterOptions {
  /** Primaries. Default 3. */
  primaries?: number;
  /** Replicas per primary. Default 1. */
  replicas?: number;
  /** `cluster-node-timeout` in ms: how soon a dead primary is failed over. Default 1000. */
  nodeTimeoutMs?: number;
  /** How long start-up may take before it fails. Default 30 000 ms. */
  startTimeoutMs?: number;
}

/** One `redis-server` of the cluster. */
export interface ClusterNode {
  readonly port: number;
  /** `127.0.0.1:<port>`. */
  readonly address: string;
  /** Whether it is running (false once killed or stopped). */
  readonly alive: boolean;
}

export interface LocalRedisCluster {
  readonly nodes: readonly ClusterNode[];
  /** `127.0.0.1:p1,127.0.0.1:p2,…`: the example app's `REDIS_CLUSTER_NODES`. */
  readonly nodesEnv: string;
  /** Root nodes for node-redis `createCluster({ rootNodes })`. */
  readonly rootNodes: { url: string }[];
  /** The hash slot of each key (`CLUSTER KEYSLOT`, one redis-cli for all). */
  keySlots(keys: readonly string[]): Promise<number[]>;
  /** The address of the primary currently serving `slot`, asked of a live node. */
  primaryOf(slot: number): Promise<string>;
  /** The same for many slots, with one question. */
  primariesOf(slots: readonly number[]): Promise<string[]>;
  /** SIGKILLs the node at `address` (no shutdown, no last replication). */
  kill(address: string): Promise<void>;
  /**
   * SIGSTOPs the node at `address`: a primary that hangs (its connections stay open, nothing is
   * answered) until {@link resume}. `stop()` kills it paused or not.
   */
  pause(address: string): void;
  /** SIGCONTs a paused node. */
  resume(address: string): void;
  /**
   * Starts a killed node again on its ports with its cluster config: it rejoins, as a replica of
   * whichever node took over its slots.
   */
  restart(address: string): Promise<void>;
  /** Resolves once every live node reports `cluster_state:ok` and every live replica is in sync. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** Kills every node and removes the temp dir. */
  stop(): Promise<void>;
}

interface RunningNode extends ClusterNode {
  readonly busPort: number;
  readonly child: ChildProcess;
  alive: boolean;
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
    timeout: 5000,
  });
  return stdout;
}

/** Pipes one `CLUSTER KEYSLOT` per key into a single redis-cli. */
function keySlots(port: number, keys: readonly string[]): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-cli', ['-h', '127.0.0.1', '-p', String(port)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', () => {
      const slots = out
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map(Number);
      if (slots.length !== keys.length || slots.some((n) => !Number.isInteger(n)))
        reject(new Error(`CLUSTER KEYSLOT: unexpected answer for ${keys.length} keys`));
      else resolve(slots);
    });
    child.stdin.end(keys.map((k) => `CLUSTER KEYSLOT "${k}"\n`).join(''));
  });
}

function field(info: string, name: string): string | undefined {
  const line = info.split(/\r?\n/).find((l) => l.startsWith(`${name}:`));
  return line?.slice(name.length + 1).trim();
}

async function startNode(
  dir: string,
  nodeTimeoutMs: number,
  ports?: { port: number; busPort: number },
): Promise<RunningNode> {
  // NOTE: the data and cluster-bus ports are drawn together: drawn one after the other, the
  // second can be the port the first just released, and the node then cannot bind its bus.
  const [port, busPort] = ports === undefined ? await freePorts(2) : [ports.port, ports.busPort];
  if (port === undefined || busPort === undefined) throw new Error('no free ports');
  const child = await spawnRedisServer([
    '--port',
    String(port),
    '--cluster-port',
    String(busPort),
    '--bind',
    '127.0.0.1',
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    join(dir, `nodes-${port}.conf`),
    '--cluster-node-timeout',
    String(nodeTimeoutMs),
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
  ]);
  const node: RunningNode = { port, busPort, address: `127.0.0.1:${port}`, child, alive: true };
  child.once('exit', () => (node.alive = false));
  return node;
}

async function killNode(node: RunningNode): Promise<void> {
  if (node.child.exitCode !== null || node.child.signalCode !== null) return;
  const exited = once(node.child, 'exit');
  node.child.kill('SIGKILL');
  await exited;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function healthy(nodes: readonly RunningNode[]): Promise<string | undefined> {
  const live = nodes.filter((n) => n.alive);
  for (const node of live) {
    const info = await cli(node.port, 'CLUSTER', 'INFO');
    if (field(info, 'cluster_state') !== 'ok') return `${node.address} cluster_state not ok`;
    const known = (await cli(node.port, 'CLUSTER', 'NODES'))
      .split('\n')
      .filter((l) => l.trim() !== '' && !/\b(fail|noaddr)\b/.test(l) && !l.includes('handshake'));
    if (known.length < live.length) return `${node.address} sees ${known.length} healthy nodes`;
    const replication = await cli(node.port, 'INFO', 'replication');
    if (field(replication, 'role') === 'slave') {
      if (field(replication, 'master_link_status') !== 'up') return `${node.address} link down`;
      if (field(replication, 'master_sync_in_progress') !== '0') return `${node.address} syncing`;
    }
  }
  return undefined;
}

/**
 * Starts the cluster and resolves once it is healthy (every slot served, every replica in sync).
 * Ports are picked by the OS (client and bus ports alike), so parallel runs never collide.
 */
export async function startRedisCluster(
  options: RedisClusterOptions = {},
): Promise<LocalRedisCluster> {
  const primaries = options.primaries ?? 3;
  const replicas = options.replicas ?? 1;
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 1000;
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const dir = mkdtempSync(join(tmpdir(), 'ptt-redis-cluster-'));
  const nodes: RunningNode[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map(killNode));
    rmSync(dir, { recursive: true, force: true });
  };
  const waitHealthy = async (timeoutMs = startTimeoutMs): Promise<void> => {
    const until = Date.now() + timeoutMs;
    let why: string | undefined = 'not checked';
    while (Date.now() < until) {
      why = await healthy(nodes).catch((err: unknown) => String(err));
      if (why === undefined) return;
      await sleep(100);
    }
    throw new Error(`Redis Cluster not healthy within ${timeoutMs} ms: ${why}`);
  };
  try {
    for (let i = 0; i < primaries * (1 + replicas); i++)
      nodes.push(await startNode(dir, nodeTimeoutMs));
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...nodes.map((n) => n.address),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ],
      { timeout: startTimeoutMs },
    );
    await waitHealthy();
  } catch (err) {
    await stop();
    throw err;
  }
  const live = (): RunningNode => {
    const node = nodes.find((n) => n.alive);
    if (node === undefined) throw new Error('no Redis Cluster node is alive');
    return node;
  };
  return {
    nodes,
    nodesEnv: nodes.map((n) => n.address).join(','),
    rootNodes: nodes.map((n) => ({ url: `redis://${n.address}` })),
    keySlots: (keys) => keySlots(live().port, keys),
    primaryOf: async (slot) => primaryForSlot(await cli(live().port, 'CLUSTER', 'NODES'), slot),
    primariesOf: async (slots) => {
      const text = await cli(live().port, 'CLUSTER', 'NODES');
      return slots.map((slot) => primaryForSlot(text, slot));
    },
    kill: async (address) => {
      const node = nodes.find((n) => n.address === address);
      if (node === undefined) throw new Error(`no cluster node at ${address}`);
      await killNode(node);
    },
    pause: (address) => {
      const node = nodes.find((n) => n.address === address);
      if (node === undefined) throw new Error(`no cluster node at ${address}`);
      node.child.kill('SIGSTOP');
    },
    resume: (address) => {
      const node = nodes.find((n) => n.address === address);
      if (node === undefined) throw new Error(`no cluster node at ${address}`);
      node.child.kill('SIGCONT');
    },
    restart: async (address) => {
      const index = nodes.findIndex((n) => n.address === address);
      const node = nodes[index];
      if (node === undefined) throw new Error(`no cluster node at ${address}`);
      if (node.alive) return;
      nodes[index] = await startNode(dir, nodeTimeoutMs, node);
    },
    waitHealthy,
    stop,
  };
}

/**
 * The primary serving `slot` in `CLUSTER NODES` output: lines of
 * `<id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot ranges…>`.
 */
function primaryForSlot(nodes: string, slot: number): string {
  for (const line of nodes.split('\n')) {
    const [, address, flags, , , , , , ...ranges] = line.trim().split(' ');
    if (address === undefined || flags === undefined) continue;
    if (!flags.split(',').includes('master') || flags.includes('fail')) continue;
    for (const range of ranges) {
      const [from, to] = range.split('-').map(Number);
      if (from !== undefined && slot >= from && slot <= (to ?? from))
        return address.split('@')[0] ?? address;
    }
  }
  throw new Error(`no live primary serves slot ${slot}`);
}

if (require.main === module) {
  startRedisCluster().then(
    async (cluster) => {
      process.stdout.write(`REDIS_CLUSTER_NODES=${cluster.nodesEnv}\n`);
      if (process.argv.includes('--check')) {
        await cluster.stop();
        return;
      }
      const stopOnce = (): void => void cluster.stop().then(() => process.exit(0));
      process.once('SIGINT', stopOnce);
      process.once('SIGTERM', stopOnce);
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
