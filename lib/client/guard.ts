import { TikTokAPIError } from '../errors';
import type { SafeLogger } from '../logging';
import type { TikTokMetrics } from '../metrics';
import { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from './circuit-breaker';
import type { AttemptFailure } from './interpret';
import { RetryBudget, type RetryBudgetOptions } from './retry-budget';

/** The per-endpoint breaker and the client-wide retry budget an operation runs under. */
export interface CallGuard {
  readonly breaker: CircuitBreaker | undefined;
  readonly budget: RetryBudget | undefined;
}

/**
 * What an attempt's outcome says about TikTok's health. Only "TikTok is not working" counts
 * against the breaker: connection failures, timeouts and 5xx-like answers. TikTok answering an
 * OAuth error (`invalid_grant`, `invalid_client`, 4xx…) is TikTok working; a 429 or an
 * undocumented body says nothing either way.
 */
export function healthOf(failure: AttemptFailure): 'failure' | 'success' | 'neutral' {
  const code = failure.error.code;
  if (failure.transport !== undefined) return 'failure';
  if (code === 'API_ERROR' && failure.error.retryable) return 'failure';
  if (code === 'RATE_LIMIT' || code === 'MALFORMED_RESPONSE' || code === 'CONFIGURATION_ERROR') {
    return 'neutral';
  }
  return 'success';
}

/** The fail-fast error while the endpoint's circuit is open. */
export function circuitOpenError(
  label: string,
  endpoint: string,
  correlationId: string,
  retryInMs: number,
): TikTokAPIError {
  const seconds = Math.max(1, Math.ceil(retryInMs / 1000));
  return new TikTokAPIError({
    code: 'CIRCUIT_OPEN',
    message: `${label} failed: TikTok is unavailable (its ${endpoint} endpoint kept failing), so it is not being called for now. Try again in ${seconds} s.`,
    correlationId,
    retryAfterSeconds: seconds,
  });
}

/** The endpoints a client calls; breaker keys and the `endpoint` metric label. */
export type TikTokEndpoint = 'token' | 'revoke' | 'user_info';
const ENDPOINTS: readonly TikTokEndpoint[] = ['token', 'revoke', 'user_info'];

const STATE_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

/**
 * One breaker per endpoint and one retry budget per client. Transitions are logged (warn when
 * opening, info otherwise) and exported as metrics.
 */
export function createGuards(
  options: {
    circuitBreaker?: CircuitBreakerOptions | false;
    retryBudget?: RetryBudgetOptions | false;
  },
  logger: SafeLogger,
  metrics: TikTokMetrics | undefined,
): (endpoint: TikTokEndpoint) => CallGuard {
  const budget = options.retryBudget === false ? undefined : new RetryBudget(options.retryBudget);
  const breakers = new Map<TikTokEndpoint, CircuitBreaker>();
  const breakerOptions = options.circuitBreaker;
  const onTransition = (state: CircuitState, endpoint: string): void => {
    // NOTE: the meta key is `circuitState`: `state` is redacted (the OAuth state is a secret) and
    // would log as "[REDACTED]".
    logger.log(state === 'open' ? 'warn' : 'info', `[TikTokOAuth] circuit - ${state}`, {
      endpoint,
      circuitState: state,
    });
    metrics?.circuitState?.set({ endpoint }, STATE_VALUE[state]);
    metrics?.circuitTransitions?.inc({ endpoint, state });
  };
  // The breakers are made here, with the client, so that a bad `circuitBreaker` option is a
  // TypeError at construction rather than at the first call to each endpoint.
  if (breakerOptions !== false) {
    for (const endpoint of ENDPOINTS) {
      breakers.set(endpoint, new CircuitBreaker(endpoint, breakerOptions, onTransition));
      // The gauge reads "closed" from the start, not "no data" until a first transition.
      metrics?.circuitState?.set({ endpoint }, STATE_VALUE.closed);
    }
  }
  // NOTE: one CallGuard object per endpoint, made once: every operation asks for one (hot path).
  const guards = new Map<TikTokEndpoint, CallGuard>();
  for (const endpoint of ENDPOINTS) {
    guards.set(endpoint, { breaker: breakers.get(endpoint), budget });
  }
  return (endpoint) => guards.get(endpoint) ?? { breaker: breakers.get(endpoint), budget };
}
