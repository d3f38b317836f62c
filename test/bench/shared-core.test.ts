import assert from 'node:assert/strict';
import childProcess from 'node:child_process';
import { EventEmitter } from 'node:events';
import { AppProcess } from '../../bench/children';
import { sharedCore, type Bench, type SharedEntry } from '../../bench/measure';
import { planFrom } from '../../bench/plan';
import type { SharedCoreRound } from '../../bench/results';
import { ZERO_COUNTERS, type AppStats, type LoadJob, type LoadResult } from '../../bench/types';

const STATS: AppStats = {
  rssBytes: 0,
  heapUsedBytes: 0,
  heapTotalBytes: 0,
  externalBytes: 0,
  peakRssBytes: 0,
  cpuMicros: 0,
  outboundConnections: 0,
  counters: ZERO_COUNTERS,
  uncaughtExceptions: 0,
};

const LOAD: LoadResult = {
  attempted: 10,
  succeeded: 10,
  failed: 0,
  elapsedMs: 1000,
  loginsPerSec: 10,
  p50Ms: 1,
  p99Ms: 1,
  slowestRequestMs: 1,
  slowestStep: '',
  errors: {},
};

interface Log {
  started: string[];
  stopped: string[];
  /** The base URLs of the apps loaded (measured or warmed up), in order. */
  loaded: string[];
}

/** A bench whose app processes, driver and emulator are stand-ins: no process is forked. */
function fakeBench(env: NodeJS.ProcessEnv, log: Log, failOnStart?: number): Bench {
  const plan = planFrom([], env);
  let starts = 0;
  const start = (config: { competitor: string }): Promise<AppProcess> => {
    starts += 1;
    if (starts === failOnStart) return Promise.reject(new Error('start failed'));
    const baseUrl = `https://127.0.0.1:${1000 + starts}/${config.competitor}`;
    log.started.push(baseUrl);
    return Promise.resolve({
      baseUrl,
      stats: () => Promise.resolve(STATS),
      stop: () => {
        log.stopped.push(baseUrl);
        return Promise.resolve();
      },
    } as unknown as AppProcess);
  };
  Reflect.set(AppProcess, 'start', start);
  const emulator = {
    reset: () => undefined,
    registerRedirectUri: () => undefined,
    endpoints: {},
    clientKey: 'k',
    clientSecret: 's',
  };
  return {
    plan,
    tls: { keyPath: 'key', certPath: 'cert' },
    emulators: { http: emulator, https: emulator },
    driver: {
      run: (job: LoadJob) => {
        if (job.target.kind !== 'app') return Promise.resolve(LOAD);
        log.loaded.push(job.target.baseUrl);
        // This package's app does 100 logins/s, the other 50: the roles show in the results.
        const ours = job.target.baseUrl.endsWith('/passport-tiktok');
        return Promise.resolve({ ...LOAD, loginsPerSec: ours ? 100 : 50 });
      },
    },
    layout: { app: undefined },
  } as unknown as Bench;
}

const ENTRIES: SharedEntry[] = [
  { label: 'ours', competitor: 'passport-tiktok' },
  { label: 'theirs', competitor: 'passport-oauth2' },
];

describe('bench: measure', () => {
  const original = AppProcess.start.bind(AppProcess);
  afterEach(() => {
    Reflect.set(AppProcess, 'start', original);
  });

  it('sharedCore spreads every round over the pairs; ours is the first entry; rounds numbered 0…n-1', async () => {
    for (const [rounds, pairs] of [
      [18, 6],
      [7, 3],
      [5, 1],
    ] as const) {
      const log: Log = { started: [], stopped: [], loaded: [] };
      const bench = fakeBench(
        { BENCH_SHARED_ROUNDS: String(rounds), BENCH_SHARED_PAIRS: String(pairs) },
        log,
      );
      const numbers: number[] = [];
      const results = await sharedCore(bench, ENTRIES, 4, (round) => numbers.push(round));
      const theirs: SharedCoreRound[] = results[1] ?? [];
      assert.equal(theirs.length, rounds);
      assert.deepEqual(
        numbers,
        Array.from({ length: rounds }, (_, i) => i),
      );
      assert.equal(new Set(theirs.map((r) => r.pair)).size, pairs);
      assert.ok(theirs.every((r) => r.loginsPerSec === 50 && r.oursLoginsPerSec === 100));
      assert.equal(log.started.length, 2 * pairs);
      assert.deepEqual([...log.stopped].sort(), [...log.started].sort());
    }
  });

  it('sharedCore starts no process pair that would run no round (more pairs than rounds)', async () => {
    const log: Log = { started: [], stopped: [], loaded: [] };
    const bench = fakeBench({ BENCH_SHARED_ROUNDS: '4', BENCH_SHARED_PAIRS: '6' }, log);
    const results = await sharedCore(bench, ENTRIES, 4);
    assert.equal(results[1]?.length, 4);
    // Four pairs of one round each: no pair started, warmed up and stopped for nothing.
    assert.equal(log.started.length, 8);
    assert.equal(bench.plan.sharedPairs, 4);
  });

  it('sharedCore stops the first app of a pair when the second fails to start', async () => {
    const log: Log = { started: [], stopped: [], loaded: [] };
    const bench = fakeBench({ BENCH_SHARED_ROUNDS: '6', BENCH_SHARED_PAIRS: '3' }, log, 4);
    await assert.rejects(sharedCore(bench, ENTRIES, 4), /start failed/);
    assert.equal(log.started.length, 3);
    assert.deepEqual([...log.stopped].sort(), [...log.started].sort());
  });
});

describe('bench: children', () => {
  const original = childProcess.fork;
  afterEach(() => {
    Reflect.set(childProcess, 'fork', original);
  });

  it('an app process whose start() fails is killed, not left running with its IPC channel open', async () => {
    const killed: (string | undefined)[] = [];
    const child = Object.assign(new EventEmitter(), {
      pid: undefined,
      exitCode: null,
      signalCode: null,
      connected: true,
      send: (message: { id: number }) => {
        // The app's start() failed (say, a build that does not load): the child answers an error.
        setImmediate(() => child.emit('message', { id: message.id, error: 'no dist/' }));
        return true;
      },
      kill: (signal?: string) => {
        killed.push(signal);
        setImmediate(() => child.emit('exit', null, signal ?? 'SIGTERM'));
        return true;
      },
      disconnect: () => undefined,
    });
    Reflect.set(childProcess, 'fork', () => child);
    await assert.rejects(AppProcess.start({} as never, {}, undefined), /start: no dist\//);
    assert.equal(killed.length, 1);
  });
});
