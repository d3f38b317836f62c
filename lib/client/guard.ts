import { TikTokAPIError } from '../errors';
import type { SafeLogger } from '../logging';
import type { Gauge } from 'prom-client';
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
 * The breakers that are not closed, per circuit-state gauge and endpoint. Several clients (a
 * strategy's and another, or one per tenant) may share one set of instruments: the gauge shows
 * the most open of their breakers, so that one client closing its circuit, or a new client
 * starting closed, does not hide another's open circuit.
 * NOTE: weak references: a client dropped while its circuit is open stops counting once it is
 * garbage-collected (at the next transition of a breaker sharing the gauge).
 */
const notClosed = new WeakMap<Gauge<'endpoint'>, Map<string, Set<WeakRef<CircuitBreaker>>>>();

/** Sets `gauge{endpoint}` to the most open state of the breakers sharing it. */
function publishState(gauge: Gauge<'endpoint'>, endpoint: string, changed?: CircuitBreaker): void {
  let byEndpoint = notClosed.get(gauge);
  if (byEndpoint === undefined) {
    byEndpoint = new Map();
    notClosed.set(gauge, byEndpoint);
  }
  let refs = byEndpoint.get(endpoint);
  if (refs === undefined) {
    refs = new Set();
    byEndpoint.set(endpoint, refs);
  }
  let worst: number = STATE_VALUE.closed;
  let known = false;
  for (const ref of refs) {
    const breaker = ref.deref();
    if (breaker === undefined || breaker.state === 'closed') {
      refs.delete(ref);
      continue;
    }
    if (breaker === changed) known = true;
    worst = Math.max(worst, STATE_VALUE[breaker.state]);
  }
  if (changed !== undefined && !known && changed.state !== 'closed') {
    refs.add(new WeakRef(changed));
    worst = Math.max(worst, STATE_VALUE[changed.state]);
  }
  gauge.set({ endpoint }, worst);
}

/**
 * One breaker per endpoint and one retry budget per client. Transitions are logged (warn when
 * opening, info otherwise) and exported as metrics: `tiktok_oauth_circuit_state{endpoint}` is the
 * most open state of the breakers of every client sharing the instruments.
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
  const gauge = metrics?.circuitState;
  const onTransition = (breaker: CircuitBreaker, state: CircuitState): void => {
    const endpoint = breaker.endpoint;
    // NOTE: the meta key is `circuitState`: `state` is redacted (the OAuth state is a secret) and
    // would log as "[REDACTED]".
    logger.log(state === 'open' ? 'warn' : 'info', `[TikTokOAuth] circuit - ${state}`, {
      endpoint,
      circuitState: state,
    });
    if (gauge !== undefined) publishState(gauge, endpoint, breaker);
    metrics?.circuitTransitions?.inc({ endpoint, state });
  };
  // The breakers are made here, with the client, so that a bad `circuitBreaker` option is a
  // TypeError at construction rather than at the first call to each endpoint.
  if (breakerOptions !== false) {
    for (const endpoint of ENDPOINTS) {
      const breaker: CircuitBreaker = new CircuitBreaker(endpoint, breakerOptions, (state) => {
        onTransition(breaker, state);
      });
      breakers.set(endpoint, breaker);
      // The gauge has a value from the start ("closed" unless another client's circuit is not),
      // not "no data" until a first transition.
      if (gauge !== undefined) publishState(gauge, endpoint);
    }
  }
  // NOTE: one CallGuard object per endpoint, made once: every operation asks for one (hot path).
  const guards = new Map<TikTokEndpoint, CallGuard>();
  for (const endpoint of ENDPOINTS) {
    guards.set(endpoint, { breaker: breakers.get(endpoint), budget });
  }
  return (endpoint) => guards.get(endpoint) ?? { breaker: breakers.get(endpoint), budget };
}
