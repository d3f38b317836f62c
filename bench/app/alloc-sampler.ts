import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:http';

/** Callbacks served before sampling starts: module loading and the JIT's warm-up stay out. */
export const ALLOC_WARMUP_CALLBACKS = 500;
/** One sample per this many bytes allocated, on average (V8's default is 32 KiB). */
const SAMPLING_INTERVAL_BYTES = 8192;

/** What the app child writes next to `allocation.heapprofile`. */
export interface AllocationMeta {
  /** Login callbacks answered while sampling: what the report divides by. */
  readonly logins: number;
}

/**
 * `--ab … --alloc`: the app's allocations sampled by V8's heap profiler, objects collected by
 * minor and major GCs included (without them a sampling profile holds only what is still alive,
 * which says nothing about churn). Sampling starts after {@link ALLOC_WARMUP_CALLBACKS} callbacks
 * to `callbackPath`; `stop()` writes `allocation.heapprofile` and `allocation.json` to `dir`.
 */
export function allocationSampler(
  server: Server,
  callbackPath: string,
  dir: string,
): { stop(): Promise<void> } {
  const session = new Session();
  session.connect();
  let seen = 0;
  let sampledFrom: number | undefined;
  server.on('request', (req: { url?: string }) => {
    const url = req.url ?? '';
    if (url !== callbackPath && !url.startsWith(`${callbackPath}?`)) return;
    seen += 1;
    if (seen !== ALLOC_WARMUP_CALLBACKS) return;
    sampledFrom = seen;
    session.post('HeapProfiler.startSampling', {
      samplingInterval: SAMPLING_INTERVAL_BYTES,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        if (sampledFrom === undefined) {
          resolve();
          return;
        }
        const meta: AllocationMeta = { logins: seen - sampledFrom };
        session.post('HeapProfiler.stopSampling', (err, result) => {
          if (err === null) {
            writeFileSync(join(dir, 'allocation.heapprofile'), JSON.stringify(result.profile));
            writeFileSync(join(dir, 'allocation.json'), JSON.stringify(meta));
          }
          session.disconnect();
          resolve();
        });
      }),
  };
}
