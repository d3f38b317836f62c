import type { LoadResult } from '../types';
import { StepError, type FlowContext } from './flows';

export interface LoadPlan {
  readonly concurrency: number;
  readonly logins?: number;
  readonly seconds?: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? 0;
}

const round = (ms: number): number => Math.round(ms * 10) / 10;

/**
 * Runs `concurrency` independent browsers, each doing one login after another, until `logins`
 * have started or `seconds` have passed (logins in flight then finish). Throughput counts
 * successful logins over the whole wall time.
 */
export async function runLoad(
  plan: LoadPlan,
  makeContext: (onRequest: FlowContext['onRequest']) => FlowContext,
  login: (ctx: FlowContext) => Promise<void>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  let slowest = { ms: 0, step: '' };
  const ctx = makeContext((step, ms) => {
    if (ms > slowest.ms) slowest = { ms, step };
  });
  let toStart = plan.logins ?? Number.POSITIVE_INFINITY;
  const started = performance.now();
  const stopAt =
    plan.seconds === undefined ? Number.POSITIVE_INFINITY : started + plan.seconds * 1000;
  const browser = async (): Promise<void> => {
    while (toStart > 0 && performance.now() < stopAt) {
      toStart -= 1;
      const t0 = performance.now();
      try {
        await login(ctx);
        latencies.push(performance.now() - t0);
      } catch (err) {
        const key = err instanceof StepError ? err.message : `driver: ${String(err)}`;
        errors[key] = (errors[key] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: plan.concurrency }, browser));
  const elapsedMs = performance.now() - started;
  const sorted = Float64Array.from(latencies).sort();
  const failed = Object.values(errors).reduce((a, b) => a + b, 0);
  return {
    attempted: latencies.length + failed,
    succeeded: latencies.length,
    failed,
    elapsedMs: round(elapsedMs),
    loginsPerSec: round((latencies.length * 1000) / elapsedMs),
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    slowestRequestMs: round(slowest.ms),
    slowestStep: slowest.step,
    errors,
  };
}
