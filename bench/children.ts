import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pin } from './affinity';
import type { Footprint } from './footprint/summary';
import { call } from './ipc';
import type { AppStartConfig, AppStats, LoadJob, LoadResult } from './types';

export interface ForkOptions {
  readonly execArgv?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

/** Forks a bench TypeScript file (through tsx's CommonJS hook: no loader thread). */
function forkTs(file: string, options: ForkOptions = {}): ChildProcess {
  return fork(join(__dirname, file), [], {
    execArgv: ['--require', 'tsx/cjs', ...(options.execArgv ?? [])],
    env: { ...process.env, ...options.env },
    // stdout is discarded: this package logs at info by default, and writing those lines is
    // part of its cost, but reading them would load the orchestrator's core.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** One app under test, in a process of its own (so memory figures are its own). */
export class AppProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly baseUrl: string,
  ) {}

  /** `cpus`: a taskset list the app is pinned to (bench/affinity.ts), or undefined. */
  static async start(
    config: AppStartConfig,
    options: ForkOptions,
    cpus: string | undefined,
  ): Promise<AppProcess> {
    // --expose-gc: memory at rest is read after forced GCs, so that figures compare live data.
    // BENCH_APP_NODE_ARGS: more node or V8 flags for the app processes only (diagnostics such
    // as `--log-deopt --logfile=/tmp/v8-%p.log --no-logfile-per-isolate`).
    const extra = process.env.BENCH_APP_NODE_ARGS?.split(' ').filter((a) => a !== '') ?? [];
    const execArgv = ['--expose-gc', ...extra, ...(options.execArgv ?? [])];
    const child = forkTs('app/child.ts', { ...options, execArgv });
    pin(child.pid, cpus);
    try {
      const { baseUrl } = await call<{ baseUrl: string }>(child, 'start', config);
      return new AppProcess(child, baseUrl);
    } catch (err) {
      // The caller gets no AppProcess to stop: a child whose start() failed (a build that does
      // not load, say) would otherwise keep running, and its IPC channel keep the bench alive.
      const gone = exited(child);
      child.kill('SIGKILL');
      await gone;
      throw err;
    }
  }

  stats(): Promise<AppStats> {
    return call<AppStats>(this.child, 'stats');
  }

  /** Memory at rest (about 1 s: repeated GCs, lowest RSS), for the leak readings. */
  settledStats(): Promise<AppStats> {
    return call<AppStats>(this.child, 'settledStats');
  }

  /** Starts counting the app's function calls (`--footprint`). */
  coverageStart(): Promise<null> {
    return call<null>(this.child, 'coverageStart');
  }

  /** The calls counted since {@link coverageStart}, per login of `logins`. */
  coverageTake(logins: number): Promise<Footprint> {
    return call<Footprint>(this.child, 'coverageTake', { logins });
  }

  /** A normal exit (so `--cpu-prof` writes its profile); killed if it does not come. */
  async stop(): Promise<void> {
    const gone = exited(this.child);
    await call(this.child, 'exit').catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  }
}

/** The load driver, one process for the whole run. */
export class DriverProcess {
  private readonly child = forkTs('driver/child.ts');

  get pid(): number | undefined {
    return this.child.pid;
  }

  run(job: LoadJob): Promise<LoadResult> {
    return call<LoadResult>(this.child, 'run', job);
  }

  async stop(): Promise<void> {
    const gone = exited(this.child);
    this.child.kill();
    await gone;
  }
}
