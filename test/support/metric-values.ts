/** Reads prom-client instruments back as numbers, for assertions. */
import type { Counter, Gauge } from 'prom-client';

/** The value of the sample whose labels include `labels` (0 when there is none), summed. */
export async function metricValue(
  metric: Counter | Gauge | undefined,
  labels: Readonly<Record<string, string>> = {},
): Promise<number> {
  if (metric === undefined) throw new Error('the instrument is missing from the metrics');
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([name, value]) => v.labels[name] === value))
    .reduce((sum, v) => sum + v.value, 0);
}
