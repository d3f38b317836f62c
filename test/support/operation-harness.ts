/** Runs lib/client/operation.ts's retry loop over a fake fetch, for unit tests. */
import { Registry } from 'prom-client';
import { fetchTransport } from '../../lib/client/http';
import type { CallGuard } from '../../lib/client/guard';
import { runOperation, type RetryMode } from '../../lib/client/operation';
import { Scrubber } from '../../lib/logging';
import { createTikTokMetrics, type TikTokMetrics } from '../../lib/metrics';
import { CaptureLogger } from './capture-logger';

export interface HarnessOptions {
  mode?: RetryMode;
  maxAttempts?: number;
  timeoutMs?: number;
  retryBaseDelayMs?: number;
  /** Operation budget from now. Default 5 s. */
  deadlineMs?: number;
  /** The endpoint's circuit breaker and the client's retry budget. Default: none. */
  guard?: CallGuard;
}

export interface Harness {
  readonly logger: CaptureLogger;
  readonly registry: Registry;
  readonly metrics: TikTokMetrics;
  /** Runs one operation; the value is the parsed JSON body. */
  run(fetchImpl: typeof fetch, opts?: HarnessOptions): Promise<unknown>;
}

export function operationHarness(): Harness {
  const logger = new CaptureLogger();
  const registry = new Registry();
  const metrics = createTikTokMetrics(registry);
  return {
    logger,
    registry,
    metrics,
    run(fetchImpl, opts = {}) {
      const correlationId = 'corr-op';
      return runOperation(
        {
          transport: fetchTransport(fetchImpl),
          timeoutMs: opts.timeoutMs ?? 500,
          maxAttempts: opts.maxAttempts ?? 3,
          retryBaseDelayMs: opts.retryBaseDelayMs ?? 5,
          logger,
          metrics,
          ...(opts.guard === undefined ? {} : { guard: opts.guard }),
        },
        {
          operation: 'token_exchange',
          label: 'Token exchange',
          correlationId,
          mode: opts.mode ?? 'idempotent',
          deadlineAt: Date.now() + (opts.deadlineMs ?? 5000),
          request: {
            url: 'https://tiktok.test/v2/oauth/token/',
            method: 'POST',
            headers: {},
            body: 'x=1',
          },
          scrubber: new Scrubber(),
          urlOption: 'tokenURL',
          parse: (body) => body,
        },
      );
    },
  };
}
