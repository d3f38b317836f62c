import type { EmulatorFault } from './fault';
import type { EmulatorEndpoint, RecordedRequest } from './types';

interface QueuedFault {
  readonly fault: EmulatorFault;
  remaining: number;
}

/**
 * Faults waiting per endpoint. A request takes the first queued fault that matches it; a fault
 * with `probability` stays queued and only applies when the roll hits, otherwise the next queued
 * fault gets its chance.
 */
export class FaultQueue {
  private readonly queues = new Map<EmulatorEndpoint, QueuedFault[]>();

  constructor(private readonly random: () => number) {}

  add(endpoint: EmulatorEndpoint, fault: EmulatorFault): void {
    const defaultTimes = fault.probability === undefined ? 1 : Infinity;
    const queue = this.queues.get(endpoint) ?? [];
    queue.push({ fault, remaining: fault.times ?? defaultTimes });
    this.queues.set(endpoint, queue);
  }

  /** The fault to apply to this request, if any; consumes one use of it. */
  take(endpoint: EmulatorEndpoint, request: RecordedRequest): EmulatorFault | undefined {
    const queue = this.queues.get(endpoint);
    if (queue === undefined) return undefined;
    for (const [index, entry] of queue.entries()) {
      const { fault } = entry;
      if (fault.match !== undefined && !fault.match(request)) continue;
      if (fault.probability !== undefined && !(this.random() < fault.probability)) continue;
      entry.remaining -= 1;
      if (entry.remaining <= 0) queue.splice(index, 1);
      return fault;
    }
    return undefined;
  }

  clear(): void {
    this.queues.clear();
  }
}
