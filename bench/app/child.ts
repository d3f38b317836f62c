import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join, resolve } from 'node:path';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { constants as perfConstants, PerformanceObserver } from 'node:perf_hooks';
import {
  machineCode,
  summarize,
  V8_LOG_PATTERN,
  type Footprint,
  type ScriptCoverage,
} from '../footprint/summary';
import { serve } from '../ipc';
import { allocationSampler } from './alloc-sampler';
import { countOutboundConnections } from './connections';
import type { AppStartConfig, AppStats, ProcessCounters } from '../types';
import { createBenchApp } from './factory';
import { PLUGINS } from './plugins';

// An app without this handler would crash (and lose every login in flight); the bench counts
// such exceptions instead and keeps measuring.
let uncaughtExceptions = 0;
process.on('uncaughtException', () => {
  uncaughtExceptions += 1;
});

const outboundConnections = countOutboundConnections();

/**
 * Main-thread GC pauses as V8 reports them (node's `gc` performance entries), the collections
 * forced by {@link settledStats} left out. Concurrent marking and sweeping on helper threads is not a
 * pause: it shows in the CPU figures only.
 */
const gc = { minorMicros: 0, majorMicros: 0, minor: 0, major: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const detail: unknown = Reflect.get(entry, 'detail');
    const kind: unknown =
      typeof detail === 'object' && detail !== null ? Reflect.get(detail, 'kind') : 0;
    const flags: unknown =
      typeof detail === 'object' && detail !== null ? Reflect.get(detail, 'flags') : 0;
    if (
      typeof flags === 'number' &&
      (flags & perfConstants.NODE_PERFORMANCE_GC_FLAGS_FORCED) !== 0
    ) {
      continue;
    }
    const micros = entry.duration * 1000;
    if (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) {
      gc.minorMicros += micros;
      gc.minor += 1;
    } else if (
      kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR ||
      kind === perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL
    ) {
      gc.majorMicros += micros;
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) gc.major += 1;
    }
  }
}).observe({ entryTypes: ['gc'] });
const CALLBACK_PATH = '/auth/tiktok/callback';
let server: Server | undefined;
let sampler: { stop(): Promise<void> } | undefined;

function listen(s: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      resolve((s.address() as AddressInfo).port);
    });
  });
}

async function start(params: unknown): Promise<{ baseUrl: string }> {
  const config = params as AppStartConfig;
  const s =
    config.tls === undefined
      ? createHttpServer()
      : createHttpsServer({
          key: readFileSync(config.tls.keyPath),
          cert: readFileSync(config.tls.certPath),
        });
  s.keepAliveTimeout = 60_000;
  server = s;
  const port = await listen(s);
  const baseUrl = `${config.protocol}://127.0.0.1:${port}`;
  const app = createBenchApp(PLUGINS[config.competitor], {
    upstream: config.upstream,
    callbackURL: `${baseUrl}${CALLBACK_PATH}`,
    scopes: config.scopes,
    attemptTimeoutMs: config.attemptTimeoutMs,
    deadlineMs: config.deadlineMs,
  });
  s.on('request', app);
  const allocDir = process.env.BENCH_ALLOC_DIR;
  if (allocDir !== undefined && allocDir !== '') {
    sampler = allocationSampler(s, CALLBACK_PATH, allocDir);
  }
  return { baseUrl };
}

/**
 * The counters between two loads (CPU, GCs, syscalls). NOTE: no forced GC here. A full GC of an
 * app that has just gone idle finds no live object of the request shapes, so V8 drops those
 * hidden classes and deoptimizes every function that embedded them (about 130 per app, read
 * with `--log-deopt`; 4 in 20 s of load without it), and the next round started with the app
 * re-optimizing its code and regrowing its young generation: 35 % fewer logins per second for
 * both stacks, and more for the stack with more optimized code. A server under steady load
 * never goes through that. Memory is read at rest by {@link settledStats}, with its own GCs.
 */
async function stats(): Promise<AppStats> {
  // node delivers gc entries to observers a couple of event-loop turns after the collection:
  // let the load's last ones arrive before the counters are read.
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
  return snapshot(process.memoryUsage());
}

/**
 * Memory at rest, for the leak readings: the load has stopped; five full GCs 200 ms apart let
 * V8's concurrent sweeper finish and give pages back, and the lowest RSS seen is kept (heap
 * figures with it). A reading straight after one GC moved by ±10 % between identical runs.
 */
async function settledStats(): Promise<AppStats> {
  let lowest: NodeJS.MemoryUsage | undefined;
  for (let i = 0; i < 5; i++) {
    globalThis.gc?.();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const memory = process.memoryUsage();
    if (lowest === undefined || memory.rss < lowest.rss) lowest = memory;
  }
  return snapshot(lowest ?? process.memoryUsage());
}

/** `syscr`/`syscw` of `/proc/self/io` (Linux; 0 elsewhere or when it cannot be read). */
function ioCalls(): { readCalls: number; writeCalls: number } {
  let text = '';
  try {
    text = readFileSync('/proc/self/io', 'utf8');
  } catch {
    // Not Linux, or /proc is not mounted: the report shows 0.
  }
  const field = (name: string): number =>
    Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  return { readCalls: field('syscr'), writeCalls: field('syscw') };
}

function counters(): ProcessCounters {
  const usage = process.resourceUsage();
  return {
    userMicros: usage.userCPUTime,
    systemMicros: usage.systemCPUTime,
    voluntarySwitches: usage.voluntaryContextSwitches,
    involuntarySwitches: usage.involuntaryContextSwitches,
    ...ioCalls(),
    gcMinorMicros: Math.round(gc.minorMicros),
    gcMajorMicros: Math.round(gc.majorMicros),
    minorGcs: gc.minor,
    majorGcs: gc.major,
  };
}

function snapshot(memory: NodeJS.MemoryUsage): AppStats {
  const cpu = process.cpuUsage();
  return {
    cpuMicros: cpu.user + cpu.system,
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    heapTotalBytes: memory.heapTotal,
    externalBytes: memory.external,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    outboundConnections: outboundConnections(),
    counters: counters(),
    uncaughtExceptions,
  };
}

async function exit(): Promise<null> {
  await sampler?.stop();
  // `--footprint`: V8's event log, and its perf map if the run stopped before reading it.
  rmSync(PERF_MAP, { force: true });
  rmSync(V8_LOG_PATTERN.replace('%p', String(process.pid)), { force: true });
  // A normal exit, so that --cpu-prof writes its profile.
  setImmediate(() => process.exit(0));
  server?.closeAllConnections();
  return null;
}

/** The build of this package the app loads (bench/dist.ts resolves BENCH_PACKAGE_DIR the same way). */
const PACKAGE_DIR = resolve(join(__dirname, '..'), process.env.BENCH_PACKAGE_DIR ?? '../dist');

/** Where `--perf-basic-prof` makes V8 write the code it generates (`--footprint`). */
const PERF_MAP = `/tmp/perf-${process.pid}.map`;

let coverage: Session | undefined;
let code: Footprint['machineCode'];

/**
 * The optimized machine code of the warm app, when it runs with `--perf-basic-prof` (V8 then
 * writes `/tmp/perf-<pid>.map`, removed here once read).
 */
function readMachineCode(): Footprint['machineCode'] {
  let text: string;
  try {
    text = readFileSync(PERF_MAP, 'utf8');
  } catch {
    return undefined;
  }
  // BENCH_KEEP_PERF_MAP=<file> (with one stack in BENCH_FOOTPRINT_STACKS): a copy for reading
  // per function (largest optimized code first:
  // `grep '\\*' <file>`, the size is the second column, in hex).
  const keep = process.env.BENCH_KEEP_PERF_MAP;
  if (keep !== undefined && keep !== '') writeFileSync(keep, text);
  rmSync(PERF_MAP, { force: true });
  return machineCode(text, PACKAGE_DIR);
}

/**
 * Starts counting calls (`--footprint`); the counts start from zero at this call. The machine
 * code is read first, so that counting cannot change what V8 compiled.
 */
async function coverageStart(): Promise<null> {
  code = readMachineCode();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: false });
  // Precise coverage resets the counts at each take: this one drops what came before.
  await session.post('Profiler.takePreciseCoverage');
  coverage = session;
  return null;
}

/** The calls counted since coverageStart(), per login of `logins`, and stops counting. */
async function coverageTake(params: unknown): Promise<Footprint> {
  const session = coverage;
  if (session === undefined) throw new Error('coverageStart was not called');
  const { result } = await session.post('Profiler.takePreciseCoverage');
  await session.post('Profiler.stopPreciseCoverage');
  session.disconnect();
  coverage = undefined;
  const scripts: ScriptCoverage[] = result;
  const logins: unknown =
    typeof params === 'object' && params !== null ? Reflect.get(params, 'logins') : undefined;
  if (typeof logins !== 'number' || !(logins > 0)) {
    throw new Error(`coverageTake needs the number of logins counted, got ${String(logins)}`);
  }
  const footprint = summarize(scripts, logins, PACKAGE_DIR);
  return code === undefined ? footprint : { ...footprint, machineCode: code };
}

serve({ start, stats, settledStats, exit, coverageStart, coverageTake });
