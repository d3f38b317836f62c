import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import type { Machine } from '../results';

function cpuModel(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const line = info.split('\n').find((l) => l.startsWith('model name'));
    if (line !== undefined) return line.slice(line.indexOf(':') + 1).trim();
  } catch {
    // Not Linux: fall back on what os.cpus() says.
  }
  return cpus()[0]?.model ?? 'unknown';
}

// Read when this module loads, before the bench pins itself to some CPUs:
// availableParallelism() follows the process's CPU affinity (it said 1 in a pinned run).
const NPROC = availableParallelism();

/** `nproc` (before pinning), the CPU model from /proc/cpuinfo, and the node version. */
export function machine(): Machine {
  return {
    nproc: NPROC,
    cpu: cpuModel(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}
