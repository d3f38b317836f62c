import type * as PromClient from 'prom-client';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The operations the client reports on; also the `operation` label's only values. */
export type TikTokOperation =
  'token_exchange' | 'refresh' | 'user_info' | 'revoke' | 'client_token';

/**
 * Instruments fed by TikTokClient, TikTokTokenManager, TikTokStrategy and `tiktokWebhook()` when
 * passed as their `metrics` option.
 */
export interface TikTokMetrics {
  /**
   * `tiktok_oauth_requests_total{operation,outcome}`: outcome is `success` or an error code. An
   * operation failed by a `clientKey`/`clientSecret` function, before any TikTok call, counts too.
   */
  readonly requests: Counter<'operation' | 'outcome'>;
  /** `tiktok_oauth_request_duration_seconds{operation}`: whole operation, retries included. */
  readonly duration: Histogram<'operation'>;
  /** `tiktok_oauth_retries_total{operation,reason}`: reason is the error code retried. */
  readonly retries: Counter<'operation' | 'reason'>;
  /** `tiktok_oauth_timeouts_total{operation}`: attempts that ran out of time. */
  readonly timeouts: Counter<'operation'>;
  /** `tiktok_oauth_token_refresh_total{outcome}`: token-manager refreshes. */
  readonly tokenRefresh: Counter<'outcome'>;
  /**
   * `tiktok_oauth_circuit_state{endpoint}`: 0 closed, 1 half-open, 2 open; with several clients
   * sharing these instruments, the most open of their breakers.
   */
  readonly circuitState?: Gauge<'endpoint'>;
  /** `tiktok_oauth_circuit_transitions_total{endpoint,state}`: breaker state changes. */
  readonly circuitTransitions?: Counter<'endpoint' | 'state'>;
  /** `tiktok_oauth_retry_budget_exhausted_total{operation}`: retries skipped for lack of budget. */
  readonly retryBudgetExhausted?: Counter<'operation'>;
  /**
   * `tiktok_oauth_webhook_total{event,outcome}`: webhook deliveries. `event` is a known event
   * name, `other`, or `unverified` (refused before the signature held); `outcome` is
   * `processed`, `duplicate`, `aborted` or an error code.
   */
  readonly webhooks?: Counter<'event' | 'outcome'>;
  /**
   * `tiktok_oauth_logins_total{outcome,kind}`: the logins `TikTokStrategy` ended. `outcome` is
   * `success`, the error code of a failed one (`INVALID_STATE`, `ACCESS_DENIED`,
   * `SERVICE_UNAVAILABLE`, …) or `error` (the app's own, e.g. a verify that threw); `kind` is
   * `success`, `refused` (passport's `fail()`: a bad or replayed callback, the user declined,
   * verify said no) or `error` (passport's `error()`: TikTok, a store, the configuration, the
   * app), or both `aborted` (the browser closed the connection before the login's response was
   * sent: it never got the session cookie). A success is counted when its response is sent (a
   * session store failing in `req.login()` makes it an `error`). It sees what no TikTok call shows: a store that fails
   * while a login saves its state. A session that cannot even be loaded is answered 503 by
   * `tiktokSessionGuard` before the strategy runs: not counted here, logged by the guard.
   */
  readonly logins?: Counter<'outcome' | 'kind'>;
}

/**
 * The registry's metric `name` when it is this package's instrument (made by an earlier call):
 * the same kind, with the same label names. Undefined when there is none.
 * NOTE: any other metric of that name is refused (TypeError): reused, every update would throw
 * prom-client's "Added label … is not included in initial labelset" from inside a login or a
 * webhook delivery. An older copy of this package or another library sharing the registry can
 * hold one (this package's `logins` counter gained its `kind` label).
 */
function existing<T>(
  registry: Registry,
  name: string,
  kind: 'counter' | 'gauge' | 'histogram',
  isT: (m: unknown) => m is T,
  labelNames: readonly string[],
): T | undefined {
  const metric: unknown = registry.getSingleMetric(name);
  if (metric === undefined) return undefined;
  const labels: unknown =
    typeof metric === 'object' && metric !== null ? Reflect.get(metric, 'labelNames') : undefined;
  const theirs = Array.isArray(labels) ? labels.map(String) : [];
  if (
    isT(metric) &&
    theirs.length === labelNames.length &&
    labelNames.every((label) => theirs.includes(label))
  ) {
    return metric;
  }
  throw new TypeError(
    `createTikTokMetrics: the registry already holds a metric named ${name} that is not this package's ${kind} with labels ${labelNames.join(', ')} (it has labels ${theirs.length > 0 ? theirs.join(', ') : 'none'}): another library's, or an older copy of passport-tiktok's. Give createTikTokMetrics() a registry of its own (new Registry(), merged with Registry.merge() for /metrics), or remove that metric`,
  );
}

function sameNumbers(value: unknown, expected: readonly number[]): boolean {
  return (
    Array.isArray(value) &&
    value.length === expected.length &&
    value.every((n, i) => n === expected[i])
  );
}

/**
 * Creates (or, when called again on the same registry, reuses) the package's instruments.
 * Labels carry only bounded values (operation names and error codes), never a secret. A metric
 * of one of these names that is not this package's (another kind, or other label names) is
 * refused with a TypeError: give the package a registry of its own then.
 *
 * ```ts
 * const metrics = createTikTokMetrics();            // prom-client's default registry
 * passport.use(new TikTokStrategy({ metrics }));
 * app.get('/metrics', async (_req, res) => res.type('text/plain').send(await register.metrics()));
 * ```
 */
export function createTikTokMetrics(registry?: Registry): TikTokMetrics {
  // NOTE: prom-client is loaded by the first call, not when the package is imported: an app
  // without metrics never loads it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const prom = require('prom-client') as typeof PromClient;
  const target = registry ?? prom.register;
  // NOTE: what this call registered, taken back when a later name is refused: a failed call
  // leaves the registry as it found it (a retry with a registry of its own then works).
  const created: string[] = [];
  try {
    return createInstruments(prom, target, created);
  } catch (err) {
    for (const name of created) target.removeSingleMetric(name);
    throw err;
  }
}

const DURATION_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15];

function createInstruments(
  prom: typeof PromClient,
  target: Registry,
  created: string[],
): TikTokMetrics {
  const { Counter, Gauge, Histogram } = prom;
  const isCounterOf =
    <L extends string>() =>
    (m: unknown): m is Counter<L> =>
      m instanceof Counter;
  // NOTE: a histogram of other buckets is not this package's: its quantiles would be wrong.
  const isHistogram = (m: unknown): m is Histogram<'operation'> =>
    m instanceof Histogram && sameNumbers(Reflect.get(m, 'upperBounds'), DURATION_BUCKETS);
  const isGauge = (m: unknown): m is Gauge<'endpoint'> => m instanceof Gauge;
  const made = <T>(name: string, metric: T): T => {
    created.push(name);
    return metric;
  };
  const counter = <L extends string>(name: string, help: string, labelNames: L[]): Counter<L> =>
    existing(target, name, 'counter', isCounterOf<L>(), labelNames) ??
    made(name, new Counter<L>({ name, help, labelNames, registers: [target] }));
  const requests = counter('tiktok_oauth_requests_total', 'TikTok API operations by outcome', [
    'operation',
    'outcome',
  ]);
  const duration =
    existing(target, 'tiktok_oauth_request_duration_seconds', 'histogram', isHistogram, [
      'operation',
    ]) ??
    made(
      'tiktok_oauth_request_duration_seconds',
      new Histogram<'operation'>({
        name: 'tiktok_oauth_request_duration_seconds',
        help: 'Duration of TikTok API operations including retries',
        labelNames: ['operation'],
        buckets: DURATION_BUCKETS,
        registers: [target],
      }),
    );
  const retries = counter('tiktok_oauth_retries_total', 'Retried TikTok API attempts', [
    'operation',
    'reason',
  ]);
  const timeouts = counter('tiktok_oauth_timeouts_total', 'TikTok API attempts that timed out', [
    'operation',
  ]);
  const tokenRefresh = counter('tiktok_oauth_token_refresh_total', 'Token refreshes by outcome', [
    'outcome',
  ]);
  const circuitState =
    existing(target, 'tiktok_oauth_circuit_state', 'gauge', isGauge, ['endpoint']) ??
    made(
      'tiktok_oauth_circuit_state',
      new Gauge<'endpoint'>({
        name: 'tiktok_oauth_circuit_state',
        help: 'Circuit breaker state per TikTok endpoint (0 closed, 1 half-open, 2 open)',
        labelNames: ['endpoint'],
        registers: [target],
      }),
    );
  const circuitTransitions = counter(
    'tiktok_oauth_circuit_transitions_total',
    'Circuit breaker state changes per TikTok endpoint',
    ['endpoint', 'state'],
  );
  const retryBudgetExhausted = counter(
    'tiktok_oauth_retry_budget_exhausted_total',
    'Retries skipped because the retry budget was spent',
    ['operation'],
  );
  const webhooks = counter(
    'tiktok_oauth_webhook_total',
    'TikTok webhook deliveries by event and outcome',
    ['event', 'outcome'],
  );
  const logins = counter('tiktok_oauth_logins_total', 'Logins with TikTok by outcome', [
    'outcome',
    'kind',
  ]);
  return {
    logins,
    requests,
    duration,
    retries,
    timeouts,
    tokenRefresh,
    circuitState,
    circuitTransitions,
    retryBudgetExhausted,
    webhooks,
  };
}
