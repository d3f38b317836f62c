import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import {
  createTikTokMetrics,
  TikTokAPIError,
  type TikTokClient,
  type TikTokClientOptions,
  type TikTokMetrics,
} from '../../lib';
import type { CircuitBreakerOptions } from '../../lib/client/circuit-breaker';
import type { TikTokEmulator } from '../../lib/testing';
import { assertBetween, timed } from '../support/assertions';
import { useEmulator } from '../support/emulator';
import { field } from '../support/json';
import { consent, startLogin, useLoginFixture } from '../support/login';
import { metricValue } from '../support/metric-values';
import { runPool } from '../support/pool';
import { seededRandom } from '../support/prng';
import { sleep } from '../support/token-fixtures';

/** Small and fast: 6 attempts in a 2 s window, a 100 ms cool-down doubling up to 400 ms. */
const OPEN_MS = 100;
const BREAKER: CircuitBreakerOptions = {
  minimumRequests: 6,
  failureRatio: 0.5,
  windowMs: 2_000,
  openMs: OPEN_MS,
  maxOpenMs: 400,
};
/**
 * The same breaker for the tests of the open state: it stays open for the whole test however slow
 * the machine (at 100 ms, a test's calls could outlast the cool-down and meet a half-open probe).
 */
const STAYS_OPEN: CircuitBreakerOptions = { ...BREAKER, openMs: 60_000, maxOpenMs: 60_000 };
const NO_RATE_LIMIT = { limit: 1_000_000, windowMs: 60_000 };

/** A refresh with a freshly minted refresh token: one token-endpoint operation that can succeed. */
function refresh(tt: TikTokEmulator, client: TikTokClient): Promise<unknown> {
  return client.refreshAccessToken(tt.issueTokens(tt.users[0]!.openId).refresh_token);
}

function userInfo(tt: TikTokEmulator, client: TikTokClient): Promise<unknown> {
  return client.getUserInfo(tt.issueTokens(tt.users[0]!.openId).access_token);
}

describe('TikTokClient', () => {
  describe('circuit breaker and retry budget (against the emulator)', () => {
    let random: () => number = Math.random;
    const h = useEmulator({ rateLimit: NO_RATE_LIMIT, random: () => random() });
    let registry: Registry;
    let metrics: TikTokMetrics;

    beforeEach(() => {
      registry = new Registry();
      metrics = createTikTokMetrics(registry);
      random = Math.random;
    });

    function guardedClient(overrides: TikTokClientOptions = {}): TikTokClient {
      return h.client({ circuitBreaker: BREAKER, retryBaseDelayMs: 1, metrics, ...overrides });
    }

    /**
     * Every call to the endpoint answers 503 until its breaker opens: 2 operations × 3 attempts are
     * the 6 failures the window needs. Returns the requests that endpoint received.
     */
    async function tripBreaker(
      client: TikTokClient,
      endpoint: 'token' | 'userinfo' = 'token',
    ): Promise<number> {
      const call = endpoint === 'token' ? refresh : userInfo;
      h.tt.inject(endpoint, { status: 503, times: Infinity });
      for (let i = 0; i < 2; i++) {
        const { error } = await timed(() => call(h.tt, client));
        assert.equal(error?.code, 'API_ERROR');
      }
      assert.equal(h.tt.count(endpoint), 6);
      assert.equal(h.logger.events('open').length, 1, 'the circuit opened');
      return h.tt.count(endpoint);
    }

    describe('opening', () => {
      it('after a burst of 503s calls fail fast with CIRCUIT_OPEN and TikTok gets no request', async () => {
        const client = guardedClient({ circuitBreaker: STAYS_OPEN });
        const sent = await tripBreaker(client);
        for (let i = 0; i < 20; i++) {
          const { ms, error } = await timed(() => refresh(h.tt, client));
          assert.ok(error instanceof TikTokAPIError);
          assert.equal(error.code, 'CIRCUIT_OPEN');
          assert.equal(error.statusCode, 503);
          assert.equal(error.retryable, true);
          assert.ok((error.retryAfterSeconds ?? 0) >= 1, String(error.retryAfterSeconds));
          assert.match(error.message, /TikTok is unavailable \(its token endpoint kept failing\)/);
          // No request (counted below) and no waiting: well under the 60 s cool-down and the
          // client's retry delays, with room for a collector pause on a busy machine.
          assert.ok(ms < 200, `${Math.round(ms)} ms`);
        }
        assert.equal(h.tt.count('token'), sent, 'no request while open');
        const failure = h.logger.events('failure').at(-1)?.meta;
        assert.equal(failure?.errorCode, 'CIRCUIT_OPEN');
        assert.equal(failure?.reason, 'circuit open');
      });

      it('logs the transition (warn) and exports it: circuit_state 2, one open transition', async () => {
        await tripBreaker(guardedClient());
        const [open] = h.logger.events('open');
        assert.equal(open?.level, 'warn');
        assert.equal(open?.message, '[TikTokOAuth] circuit - open');
        assert.deepEqual(open?.meta, { endpoint: 'token', circuitState: 'open' });
        assert.equal(await metricValue(metrics.circuitState, { endpoint: 'token' }), 2);
        const transitions = { endpoint: 'token', state: 'open' };
        assert.equal(await metricValue(metrics.circuitTransitions, transitions), 1);
        assert.match(await registry.metrics(), /tiktok_oauth_circuit_state\{endpoint="token"\} 2/);
      });

      it('is per endpoint: with token open, user info and revoke still work', async () => {
        const client = guardedClient({ circuitBreaker: STAYS_OPEN });
        await tripBreaker(client);
        const user = await userInfo(h.tt, client);
        assert.equal(field(user, 'open_id'), h.tt.users[0]!.openId);
        const { access_token } = h.tt.issueTokens(h.tt.users[0]!.openId);
        await client.revokeAccess(access_token);
        assert.equal(h.tt.count('userinfo'), 1);
        assert.equal(h.tt.count('revoke'), 1);
        const { error } = await timed(() => refresh(h.tt, client));
        assert.equal(error?.code, 'CIRCUIT_OPEN');
        assert.equal(await metricValue(metrics.circuitState, { endpoint: 'user_info' }), 0);
      });

      it('is per client: another client on the same TikTok is not affected', async () => {
        await tripBreaker(guardedClient());
        h.tt.reset();
        assert.ok(field(await refresh(h.tt, guardedClient()), 'access_token'));
      });
    });

    describe('recovery', () => {
      it('after openMs one probe goes through; its success closes the circuit, no intervention', async () => {
        const client = guardedClient();
        await tripBreaker(client);
        h.tt.reset(); // TikTok is back (faults and recorded requests cleared)
        await sleep(OPEN_MS + 10);
        assert.ok(field(await refresh(h.tt, client), 'access_token'));
        assert.equal(h.tt.count('token'), 1, 'the probe');
        const states = h.logger.lines
          .filter((l) => l.message.startsWith('[TikTokOAuth] circuit - '))
          .map((l) => `${l.level} ${String(l.meta?.circuitState)}`);
        assert.deepEqual(states, ['warn open', 'info half-open', 'info closed']);
        await Promise.all(Array.from({ length: 5 }, () => refresh(h.tt, client)));
        assert.equal(h.tt.count('token'), 6, 'service restored: every call goes through');
        assert.equal(await metricValue(metrics.circuitState, { endpoint: 'token' }), 0);
        for (const state of ['open', 'half-open', 'closed']) {
          const labels = { endpoint: 'token', state };
          assert.equal(await metricValue(metrics.circuitTransitions, labels), 1, state);
        }
      });

      it('a failed probe is one request, and re-opens the circuit for twice as long', async () => {
        // 150 ms doubling to 300 ms: "still open" is checked at ~160 ms, with room to spare.
        const openMs = 150;
        const client = guardedClient({ circuitBreaker: { ...BREAKER, openMs, maxOpenMs: 600 } });
        const sent = await tripBreaker(client);
        await sleep(openMs + 10);
        const probe = await timed(() => refresh(h.tt, client));
        assert.equal(probe.error?.code, 'CIRCUIT_OPEN', 'its retry found the circuit open again');
        assert.equal(h.tt.count('token'), sent + 1, 'only the probe was sent');
        await sleep(openMs + 10);
        const stillOpen = await timed(() => refresh(h.tt, client));
        assert.equal(stillOpen.error?.code, 'CIRCUIT_OPEN', 'the cool-down doubled');
        assert.equal(h.tt.count('token'), sent + 1);
        h.tt.reset();
        await sleep(openMs + 10);
        assert.ok(field(await refresh(h.tt, client), 'access_token'));
        const opened = await metricValue(metrics.circuitTransitions, {
          endpoint: 'token',
          state: 'open',
        });
        assert.equal(opened, 2);
      });

      it('a probe whose attempt throws unexpectedly does not leave the circuit stuck', async () => {
        const client = guardedClient({ circuitBreaker: { ...BREAKER, maxOpenMs: 200 } });
        await tripBreaker(client, 'userinfo');
        h.tt.reset();
        await sleep(OPEN_MS + 10);
        // The probe: a token no HTTP header can carry, so the attempt fails before any request.
        const probe = await client.getUserInfo('bad\ntoken').then(
          () => 'resolved',
          (err: unknown) => (err instanceof Error ? err.name : 'rejected'),
        );
        assert.notEqual(probe, 'resolved');
        await sleep(200 + 10);
        assert.equal(field(await userInfo(h.tt, client), 'open_id'), h.tt.users[0]!.openId);
      });

      it('a probe out longer than maxOpenMs is replaced; its late failure does not re-open the circuit', async () => {
        // A 1 s timeout with a 300 ms maxOpenMs: probe A is presumed lost long before it times out.
        const client = guardedClient({
          circuitBreaker: { minimumRequests: 1, failureRatio: 1, openMs: OPEN_MS, maxOpenMs: 300 },
          timeoutMs: 1_000,
          maxAttempts: 1,
          retryBudget: false,
        });
        h.tt.inject('userinfo', { hang: true });
        assert.equal((await timed(() => userInfo(h.tt, client))).error?.code, 'TIMEOUT_ERROR');
        await sleep(OPEN_MS + 50); // half-open
        h.tt.inject('userinfo', { hang: true });
        const probeA = timed(() => userInfo(h.tt, client));
        await sleep(350); // > maxOpenMs: probe A is presumed lost
        assert.equal(field(await userInfo(h.tt, client), 'open_id'), h.tt.users[0]!.openId);
        assert.equal(
          (await probeA).error?.code,
          'TIMEOUT_ERROR',
          'probe A failed after B closed it',
        );
        assert.equal(field(await userInfo(h.tt, client), 'open_id'), h.tt.users[0]!.openId);
        const states = h.logger.lines
          .filter((l) => l.message.startsWith('[TikTokOAuth] circuit - '))
          .map((l) => String(l.meta?.circuitState));
        assert.deepEqual(states, ['open', 'half-open', 'closed']);
      });

      it('concurrent callers while half-open: one probe is sent, the others fail fast', async () => {
        const client = guardedClient();
        const sent = await tripBreaker(client);
        h.tt.reset();
        h.tt.inject('token', { delayMs: 50 }); // the probe takes a while
        await sleep(OPEN_MS + 10);
        const results = await Promise.all(
          Array.from({ length: 10 }, () => timed(() => refresh(h.tt, client))),
        );
        const codes = results.map((r) => r.error?.code ?? 'ok');
        assert.equal(codes.filter((c) => c === 'ok').length, 1, codes.join());
        assert.equal(codes.filter((c) => c === 'CIRCUIT_OPEN').length, 9, codes.join());
        assert.equal(h.tt.count('token'), 1, `${sent} before, then only the probe`);
      });
    });

    describe('what does not trip it', () => {
      const refusals: [string, { error: string; status?: number }][] = [
        ['200 with invalid_grant', { error: 'invalid_grant' }],
        ['401 invalid_client', { error: 'invalid_client', status: 401 }],
        ['400 invalid_request', { error: 'invalid_request', status: 400 }],
      ];
      for (const [name, tiktokError] of refusals) {
        it(`OAuth refusals (${name}), 40 in a row: TikTok is working`, async () => {
          const client = guardedClient();
          h.tt.inject('token', { tiktokError, times: 40 });
          const codes = await runPool(40, 8, async (): Promise<string> => {
            const { error } = await timed(() => refresh(h.tt, client));
            return error?.code ?? 'ok';
          });
          assert.ok(!codes.includes('CIRCUIT_OPEN'));
          assert.equal(new Set(codes).size, 1, codes.join());
          assert.equal(h.tt.count('token'), 40, 'one attempt each, none refused by the breaker');
          assert.equal(h.logger.events('open').length, 0);
          assert.ok(field(await refresh(h.tt, client), 'access_token'));
        });
      }

      it('429s (rate limiting) are neutral', async () => {
        const client = guardedClient({ retryBudget: false });
        h.tt.inject('token', { status: 429, times: Infinity });
        for (let i = 0; i < 8; i++) {
          const { error } = await timed(() => refresh(h.tt, client));
          assert.equal(error?.code, 'RATE_LIMIT');
        }
        assert.equal(h.tt.count('token'), 24, '8 operations × 3 attempts, none refused');
        assert.equal(h.logger.events('open').length, 0);
      });

      it('circuitBreaker: false turns it off: an outage is retried to maxAttempts every time', async () => {
        const client = guardedClient({ circuitBreaker: false, retryBudget: false });
        h.tt.inject('token', { status: 503, times: Infinity });
        for (let i = 0; i < 10; i++) {
          const { error } = await timed(() => refresh(h.tt, client));
          assert.equal(error?.code, 'API_ERROR');
        }
        assert.equal(h.tt.count('token'), 30);
        assert.equal(h.logger.events('open').length, 0);
      });
    });

    describe('retry budget', () => {
      it('in a sustained outage retries stop early: 200 operations send 220 requests, not 600', async () => {
        // Generous time budgets: under CPU load a 250 ms attempt can time out, and a timeout costs
        // the budget twice a 503 — the count below is about 503s only.
        const client = guardedClient({
          circuitBreaker: false,
          timeoutMs: 10_000,
          deadlineMs: 60_000,
        });
        h.tt.inject('userinfo', { status: 503, times: Infinity });
        const N = 200;
        const codes = await runPool(
          N,
          20,
          async () => (await timed(() => userInfo(h.tt, client))).error?.code,
        );
        assert.deepEqual(new Set(codes), new Set(['API_ERROR']));
        const sent = h.tt.count('userinfo');
        // The full budget (100) pays 100 / 5 = 20 retries; after that every operation is one try.
        assert.equal(sent, N + 20);
        assert.ok(sent <= N * 1.1, `${sent} requests`);
        const refused = h.logger
          .events('failure')
          .filter((l) => l.meta?.reason === 'retry budget exhausted');
        assert.ok(refused.length >= N - 10, `${refused.length} refused`);
        const exhausted = await metricValue(metrics.retryBudgetExhausted, {
          operation: 'user_info',
        });
        assert.equal(exhausted, refused.length);
      });

      it('with 20 % random 503s it never refuses a retry and ≥ 99 % of 500 operations succeed', async () => {
        // 0.2³ = 0.8 % of operations fail all 3 attempts: ~4 of 500. The seeded rolls (one per
        // request, operations one after the other) make the run the same every time.
        random = seededRandom(0x5eed);
        // The default breaker, too; a 10 s timeout so that a request slowed by a busy machine
        // is not a timeout (an error this test does not count).
        const client = guardedClient({ circuitBreaker: {}, timeoutMs: 10_000 });
        h.tt.inject('userinfo', { status: 503, probability: 0.2 });
        let failed = 0;
        for (let i = 0; i < 500; i++) {
          const { error } = await timed(() => userInfo(h.tt, client));
          if (error !== undefined) {
            assert.equal(error.code, 'API_ERROR');
            failed += 1;
          }
        }
        assert.ok(failed <= 5, `${failed} of 500 failed`);
        const sent = h.tt.count('userinfo');
        assertBetween(sent, 500 * 1.2, 500 * 1.3, 'requests (1.25 expected per operation)');
        assert.equal(await metricValue(metrics.retryBudgetExhausted), 0);
        const reasons = h.logger.events('failure').map((l) => l.meta?.reason);
        assert.ok(
          reasons.every((r) => r === 'attempts exhausted'),
          reasons.join(),
        );
        assert.equal(h.logger.events('open').length, 0, 'the default breaker stayed closed');
      });
    });
  });
});

describe('TikTokStrategy', () => {
  describe('callback', () => {
    const fx = useLoginFixture({
      emulator: { rateLimit: NO_RATE_LIMIT },
      strategy: { circuitBreaker: STAYS_OPEN, retryBaseDelayMs: 1 },
    });

    it('with the token circuit open a login callback answers 503 CIRCUIT_OPEN at once', async () => {
      fx.tt.inject('token', { status: 503, times: Infinity });
      // Logins get 4 attempts: the first fails with 502 after 4 requests, the second opens the
      // circuit at its 2nd request (6 failures) and its retry finds it open.
      const outcomes: number[] = [];
      for (let i = 0; i < 2; i++) {
        const agent = fx.browser();
        const callback = await consent(await startLogin(agent));
        outcomes.push((await agent.get(callback).set('Accept', 'application/json')).status);
      }
      assert.deepEqual(outcomes, [502, 503]);
      const sent = fx.tt.count('token');
      assert.equal(sent, 6);

      const agent = fx.browser();
      const callback = await consent(await startLogin(agent));
      const correlationId = 'tiktok-1700000000000-0123abcd';
      const started = performance.now();
      const res = await agent
        .get(callback)
        .set('Accept', 'application/json')
        .set('X-Correlation-Id', correlationId);
      const ms = performance.now() - started;
      assert.equal(res.status, 503);
      assert.equal(field(res.body, 'error', 'code'), 'CIRCUIT_OPEN');
      assert.equal(field(res.body, 'error', 'retryable'), true);
      assert.equal(field(res.body, 'error', 'correlationId'), correlationId);
      assert.equal(res.headers['x-correlation-id'], correlationId);
      assert.ok(Number(res.headers['retry-after']) >= 1, String(res.headers['retry-after']));
      // At once: no token request (counted below), no retry delays or deadline waited out.
      assert.ok(ms < 1000, `${Math.round(ms)} ms`);
      assert.equal(fx.tt.count('token'), sent, 'no token request');
    });
  });
});
