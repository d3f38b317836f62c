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

/** `nproc`, the CPU model from /proc/cpuinfo, and the node version. */
export function machine(): Machine {
  return {
    nproc: availableParallelism(),
    cpu: cpuModel(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}
