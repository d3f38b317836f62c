import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/**
 * CPU pinning (Linux `taskset`). On a 2-core machine the app under test, the driver and the
 * emulator otherwise fight over both cores, and which process the scheduler favours moves a
 * 4-second throughput point by ±15 % (seen on a shared 2-vCPU VM: the same stack measured 168
 * and 196 logins/s back to back). Pinned, the app has a core of its own — as it would in
 * production, where TikTok and the browsers are other machines — and the driver and emulator
 * share the rest. Every competitor gets the same layout. The ceiling, which has no app, runs on
 * every core: it is the machine's limit, not the pinned layout's.
 */
export interface CpuLayout {
  /** CPUs of the app under test, as a taskset list ("1"); undefined when not pinned. */
  readonly app: string | undefined;
  /** CPUs of the orchestrator (emulators) and the driver ("0"). */
  readonly load: string | undefined;
  /** Every CPU ("0-1"): the ceiling's. */
  readonly all: string | undefined;
  /** One line for the report. */
  readonly description: string;
}

const TASKSET = ['/usr/bin/taskset', '/bin/taskset'].find((p) => existsSync(p));

export function cpuLayout(env: NodeJS.ProcessEnv = process.env): CpuLayout {
  const n = availableParallelism();
  const off = (why: string): CpuLayout => ({
    app: undefined,
    load: undefined,
    all: undefined,
    description: `not pinned (${why})`,
  });
  if (env.BENCH_PIN === '0') return off('BENCH_PIN=0');
  if (process.platform !== 'linux' || TASKSET === undefined) return off('no taskset');
  if (n < 2) return off('one CPU');
  const last = n - 1;
  const load = last === 1 ? '0' : `0-${last - 1}`;
  return {
    app: String(last),
    load,
    all: `0-${last}`,
    description: `app on CPU ${last}; driver and emulator on CPU ${load}; the ceiling on all`,
  };
}

/** Pins every thread of `pid` to `cpus` (threads it starts later inherit it). No-op when unset. */
export function pin(pid: number | undefined, cpus: string | undefined): void {
  if (pid === undefined || cpus === undefined || TASKSET === undefined) return;
  execFileSync(TASKSET, ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}
