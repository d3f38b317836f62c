import { readFileSync } from 'node:fs';
import { areaOf } from './cpuprofile';

/** The parts of a V8 sampling heap profile (`HeapProfiler.stopSampling`) the summary reads. */
interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children?: HeapNode[];
}

export interface AllocationSummary {
  /** Sampled bytes allocated per login, all frames. */
  readonly bytesPerLogin: number;
  /** Bytes per login by area (npm package, node module, this package's dist/…). */
  readonly byArea: Map<string, number>;
  /** Bytes per login by function (`name area`, without the line: builds line up by name). */
  readonly byFunction: Map<string, number>;
}

/**
 * Allocation per login from a sampling heap profile of `logins` logins. NOTE: V8 attributes an
 * allocation to the frame that made it, after inlining: a callee inlined into this package's
 * function counts as that function's.
 */
export function summarizeAllocation(path: string, logins: number): AllocationSummary {
  const root = (JSON.parse(readFileSync(path, 'utf8')) as { head: HeapNode }).head;
  const perLogin = Math.max(1, logins);
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  const stack: HeapNode[] = [root];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    stack.push(...(node.children ?? []));
    if (node.selfSize === 0) continue;
    const { functionName, url } = node.callFrame;
    const area = areaOf(url, functionName);
    const fn = url === '' ? area : `${functionName || '(anonymous)'} ${area}`;
    const bytes = node.selfSize / perLogin;
    total += bytes;
    byArea.set(area, (byArea.get(area) ?? 0) + bytes);
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + bytes);
  }
  return { bytesPerLogin: total, byArea, byFunction };
}
