import assert from 'node:assert/strict';
import { Counter, Gauge, Histogram, Registry, register } from 'prom-client';
import { createTikTokMetrics, TikTokAPIError, TikTokClient } from '../lib';
import { CaptureLogger } from './support/capture-logger';
import { fakeFetch, hang, json, text } from './support/fake-fetch';
import { metricValue } from './support/metric-values';

const NAMES = [
  'tiktok_oauth_requests_total',
  'tiktok_oauth_request_duration_seconds',
  'tiktok_oauth_retries_total',
  'tiktok_oauth_timeouts_total',
  'tiktok_oauth_token_refresh_total',
  // Added with the circuit breaker and retry budget (issue 7).
  'tiktok_oauth_circuit_state',
  'tiktok_oauth_circuit_transitions_total',
  'tiktok_oauth_retry_budget_exhausted_total',
  // Added with the webhooks (issue 16).
  'tiktok_oauth_webhook_total',
  // Login outcomes: what fails before any TikTok call (a session store that is down).
  'tiktok_oauth_logins_total',
];

const TOKENS = {
  access_token: 'act.metrics',
  expires_in: 86400,
  open_id: 'open-m',
  refresh_token: 'rft.metrics',
  refresh_expires_in: 31536000,
  scope: 'user.info.basic',
  token_type: 'Bearer',
};

/** The sample lines of one metric in the exposition text, without HELP/TYPE. */
async function samples(registry: Registry, name: string): Promise<string[]> {
  const metric = registry.getSingleMetric(name);
  assert.ok(metric, name);
  const textOut = await registry.getSingleMetricAsString(name);
  return textOut.split('\n').filter((l) => l.startsWith(name) && !l.startsWith('#'));
}

describe('metrics', () => {
  describe('createTikTokMetrics', () => {
    it('registers the five design instruments and the breaker/budget ones on the given registry', () => {
      const registry = new Registry();
      const m = createTikTokMetrics(registry);
      assert.deepEqual(
        registry
          .getMetricsAsArray()
          .map((x) => x.name)
          .sort(),
        [...NAMES].sort(),
      );
      assert.ok(m.requests instanceof Counter);
      assert.ok(m.duration instanceof Histogram);
      assert.ok(m.retries instanceof Counter);
      assert.ok(m.timeouts instanceof Counter);
      assert.ok(m.tokenRefresh instanceof Counter);
      assert.ok(m.circuitState instanceof Gauge);
      assert.ok(m.circuitTransitions instanceof Counter);
      assert.ok(m.retryBudgetExhausted instanceof Counter);
      assert.ok(m.webhooks instanceof Counter);
      assert.ok(m.logins instanceof Counter);
    });

    it('called twice on one registry reuses the same instruments (no "already registered")', () => {
      const registry = new Registry();
      const a = createTikTokMetrics(registry);
      const b = createTikTokMetrics(registry);
      assert.equal(b.requests, a.requests);
      assert.equal(b.duration, a.duration);
      assert.equal(b.retries, a.retries);
      assert.equal(b.timeouts, a.timeouts);
      assert.equal(b.tokenRefresh, a.tokenRefresh);
      assert.equal(b.circuitState, a.circuitState);
      assert.equal(b.circuitTransitions, a.circuitTransitions);
      assert.equal(b.retryBudgetExhausted, a.retryBudgetExhausted);
      assert.equal(b.webhooks, a.webhooks);
      assert.equal(registry.getMetricsAsArray().length, NAMES.length);
    });

    it('a same-named metric of another kind or with other labels is refused, not reused', () => {
      const cases: Array<[string, (registry: Registry) => unknown]> = [
        [
          'tiktok_oauth_webhook_total',
          (registry) =>
            new Counter({
              name: 'tiktok_oauth_webhook_total',
              help: 'an older copy',
              labelNames: ['event'],
              registers: [registry],
            }),
        ],
        [
          'tiktok_oauth_logins_total',
          (registry) =>
            new Counter({
              name: 'tiktok_oauth_logins_total',
              help: 'before kind',
              labelNames: ['outcome'],
              registers: [registry],
            }),
        ],
        [
          'tiktok_oauth_requests_total',
          (registry) =>
            new Gauge({
              name: 'tiktok_oauth_requests_total',
              help: 'the app own',
              labelNames: ['operation', 'outcome'],
              registers: [registry],
            }),
        ],
        [
          'tiktok_oauth_circuit_state',
          (registry) =>
            new Gauge({
              name: 'tiktok_oauth_circuit_state',
              help: 'no labels',
              registers: [registry],
            }),
        ],
      ];
      for (const [name, make] of cases) {
        const registry = new Registry();
        const foreign = make(registry);
        assert.throws(
          () => createTikTokMetrics(registry),
          (err: unknown) =>
            err instanceof TypeError &&
            err.message.startsWith(
              `createTikTokMetrics: the registry already holds a metric named ${name} that is not this package's`,
            ) &&
            err.message.includes('new Registry()'),
          name,
        );
        // A refused call leaves the registry as it found it: the app's own metric, nothing else.
        assert.deepEqual(
          registry.getMetricsAsArray().map((m) => m.name),
          [name],
          `${name}: the other instruments were taken back`,
        );
        assert.equal(registry.getSingleMetric(name), foreign);
      }
      // A duration histogram with other buckets is not this package's either.
      const buckets = new Registry();
      new Histogram({
        name: 'tiktok_oauth_request_duration_seconds',
        help: 'other buckets',
        labelNames: ['operation'],
        buckets: [1000],
        registers: [buckets],
      });
      assert.throws(() => createTikTokMetrics(buckets), /tiktok_oauth_request_duration_seconds/);
      // The same label names in another order are the same instrument.
      const registry = new Registry();
      const mine = new Counter({
        name: 'tiktok_oauth_logins_total',
        help: 'same labels',
        labelNames: ['kind', 'outcome'],
        registers: [registry],
      });
      assert.equal(createTikTokMetrics(registry).logins, mine);
    });

    it("separate registries get separate instruments; the default is prom-client's", () => {
      const a = createTikTokMetrics(new Registry());
      const b = createTikTokMetrics(new Registry());
      assert.notEqual(a.requests, b.requests);
      const d = createTikTokMetrics();
      assert.equal(register.getSingleMetric('tiktok_oauth_requests_total'), d.requests);
    });
  });

  describe('after a run of the client', () => {
    const VERIFIER = 'v'.repeat(43);
    const registry = new Registry();
    const metrics = createTikTokMetrics(registry);
    const base = {
      clientKey: 'key',
      clientSecret: 'CANARY-SECRET-metrics',
      redirectUri: 'https://app.example/cb',
      tokenURL: 'https://tiktok.test/v2/oauth/token/',
      retryBaseDelayMs: 1,
      timeoutMs: 50,
      logger: new CaptureLogger(),
      metrics,
    };

    before(async () => {
      // success at once; success after a 503; a timeout then success; a final invalid_grant
      const okClient = new TikTokClient({ ...base, fetch: fakeFetch(json(200, TOKENS)).fetch });
      await okClient.exchangeCodeForTokens('code-1', { codeVerifier: VERIFIER });
      const retryClient = new TikTokClient({
        ...base,
        fetch: fakeFetch(text(503, ''), json(200, TOKENS)).fetch,
      });
      await retryClient.exchangeCodeForTokens('code-2', { codeVerifier: VERIFIER });
      const slowClient = new TikTokClient({
        ...base,
        fetch: fakeFetch(hang(), json(200, TOKENS)).fetch,
      });
      await slowClient.refreshAccessToken('rft.old-refresh');
      const badClient = new TikTokClient({
        ...base,
        fetch: fakeFetch(json(200, { error: 'invalid_grant' })).fetch,
      });
      await assert.rejects(
        badClient.exchangeCodeForTokens('code-3', { codeVerifier: VERIFIER }),
        TikTokAPIError,
      );
    });

    it('requests_total counts outcomes by operation: success or the error code', async () => {
      assert.deepEqual((await samples(registry, 'tiktok_oauth_requests_total')).sort(), [
        'tiktok_oauth_requests_total{operation="refresh",outcome="success"} 1',
        'tiktok_oauth_requests_total{operation="token_exchange",outcome="INVALID_TOKEN"} 1',
        'tiktok_oauth_requests_total{operation="token_exchange",outcome="success"} 2',
      ]);
    });

    it('retries_total counts retries by operation and reason', async () => {
      assert.deepEqual((await samples(registry, 'tiktok_oauth_retries_total')).sort(), [
        'tiktok_oauth_retries_total{operation="refresh",reason="TIMEOUT_ERROR"} 1',
        'tiktok_oauth_retries_total{operation="token_exchange",reason="API_ERROR"} 1',
      ]);
    });

    it('timeouts_total counts timed-out attempts by operation', async () => {
      assert.deepEqual(await samples(registry, 'tiktok_oauth_timeouts_total'), [
        'tiktok_oauth_timeouts_total{operation="refresh"} 1',
      ]);
    });

    it('the duration histogram observed every operation once', async () => {
      const lines = await samples(registry, 'tiktok_oauth_request_duration_seconds');
      assert.ok(
        lines.includes('tiktok_oauth_request_duration_seconds_count{operation="token_exchange"} 3'),
        lines.join('\n'),
      );
      assert.ok(
        lines.includes('tiktok_oauth_request_duration_seconds_count{operation="refresh"} 1'),
      );
    });

    it('no label carries a secret', async () => {
      const all = await registry.metrics();
      for (const secret of [
        'CANARY-SECRET-metrics',
        'code-1',
        'act.metrics',
        'rft.metrics',
        'rft.old-refresh',
      ]) {
        assert.equal(all.includes(secret), false, secret);
      }
    });
  });
  describe('tiktok_oauth_circuit_state with several clients sharing the instruments', () => {
    const base = {
      clientKey: 'key',
      clientSecret: 'CANARY-SECRET-gauge',
      redirectUri: 'https://app.example/cb',
      tokenURL: 'https://tiktok.test/v2/oauth/token/',
      retryBaseDelayMs: 1,
      maxAttempts: 1,
      retryBudget: false as const,
      circuitBreaker: { minimumRequests: 2, failureRatio: 0.5, openMs: 60_000 },
      logger: new CaptureLogger(),
    };

    /** A client whose token circuit is open (two 503s), answering `then` afterwards. */
    async function openTokenCircuit(
      metrics: ReturnType<typeof createTikTokMetrics>,
      openMs: number,
      ...then: Response[]
    ): Promise<TikTokClient> {
      const client = new TikTokClient({
        ...base,
        circuitBreaker: { ...base.circuitBreaker, openMs },
        metrics,
        fetch: fakeFetch(text(503, ''), text(503, ''), ...then).fetch,
      });
      for (let i = 0; i < 2; i++) {
        await assert.rejects(client.refreshAccessToken('rft.gauge-refresh'), { code: 'API_ERROR' });
      }
      await assert.rejects(client.refreshAccessToken('rft.gauge-refresh'), {
        code: 'CIRCUIT_OPEN',
      });
      return client;
    }

    it('a client created later does not report "closed" over an open circuit of another', async () => {
      const metrics = createTikTokMetrics(new Registry());
      const a = await openTokenCircuit(metrics, 60_000);
      const gauge = metrics.circuitState;
      assert.equal(await metricValue(gauge, { endpoint: 'token' }), 2);
      new TikTokClient({ ...base, metrics, fetch: fakeFetch().fetch });
      // Client a still fails fast: the gauge must still say so.
      await assert.rejects(a.refreshAccessToken('rft.gauge-refresh'), { code: 'CIRCUIT_OPEN' });
      assert.equal(await metricValue(gauge, { endpoint: 'token' }), 2);
      assert.equal(await metricValue(gauge, { endpoint: 'user_info' }), 0);
    });

    it('is the most open of the breakers: one closing leaves another one open showing', async () => {
      const metrics = createTikTokMetrics(new Registry());
      const gauge = metrics.circuitState;
      const a = await openTokenCircuit(metrics, 60_000);
      const b = await openTokenCircuit(metrics, 20, json(200, TOKENS));
      await new Promise((resolve) => setTimeout(resolve, 40));
      // b's probe succeeds and closes b's circuit; a's is still open.
      await b.refreshAccessToken('rft.gauge-refresh');
      await assert.rejects(a.refreshAccessToken('rft.gauge-refresh'), { code: 'CIRCUIT_OPEN' });
      assert.equal(await metricValue(gauge, { endpoint: 'token' }), 2);
      // Every breaker closed: 0 again.
      const fresh = createTikTokMetrics(new Registry());
      const c = await openTokenCircuit(fresh, 20, json(200, TOKENS));
      assert.equal(await metricValue(fresh.circuitState, { endpoint: 'token' }), 2);
      await new Promise((resolve) => setTimeout(resolve, 40));
      await c.refreshAccessToken('rft.gauge-refresh');
      assert.equal(await metricValue(fresh.circuitState, { endpoint: 'token' }), 0);
    });
  });

  describe('an operation whose clientSecret function fails', () => {
    it('is counted in requests_total and the duration histogram with its error code', async () => {
      const registry = new Registry();
      const metrics = createTikTokMetrics(registry);
      const tiktok = fakeFetch(json(200, TOKENS));
      const client = new TikTokClient({
        clientKey: 'key',
        clientSecret: () => Promise.reject(new Error('the vault is down')),
        redirectUri: 'https://app.example/cb',
        tokenURL: 'https://tiktok.test/v2/oauth/token/',
        logger: new CaptureLogger(),
        metrics,
        fetch: tiktok.fetch,
      });
      await assert.rejects(client.refreshAccessToken('rft.vault-down'), {
        code: 'SERVICE_UNAVAILABLE',
      });
      assert.equal(tiktok.calls.length, 0);
      assert.deepEqual(await samples(registry, 'tiktok_oauth_requests_total'), [
        'tiktok_oauth_requests_total{operation="refresh",outcome="SERVICE_UNAVAILABLE"} 1',
      ]);
      const lines = await samples(registry, 'tiktok_oauth_request_duration_seconds');
      assert.ok(
        lines.includes('tiktok_oauth_request_duration_seconds_count{operation="refresh"} 1'),
        lines.join('\n'),
      );
    });
  });
});
