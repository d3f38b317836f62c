import assert from 'node:assert/strict';
import { CircuitBreaker } from '../../lib/client/circuit-breaker';
import { backoffDelay } from '../../lib/client/operation';
import { RetryBudget } from '../../lib/client/retry-budget';
import { TikTokAPIError } from '../../lib';
import { fakeFetch, hang, json, netError, text } from '../support/fake-fetch';
import { rejection } from '../support/assertions';
import { operationHarness } from '../support/operation-harness';

const INVALID_GRANT = json(200, {
  error: 'invalid_grant',
  error_description: 'Authorization code is used.',
});
const OK = json(200, { ok: 1 });

describe('client/operation', () => {
  describe('backoffDelay', () => {
    it('doubles from the base with at most 20 % jitter', () => {
      for (let i = 0; i < 200; i++) {
        for (const [retry, min] of [
          [1, 100],
          [2, 200],
          [3, 400],
        ] as const) {
          const d = backoffDelay(100, retry);
          assert.ok(d >= min && d <= min * 1.2, `retry ${retry}: ${d}`);
        }
      }
    });
  });

  describe('runOperation', () => {
    it('logs start, retry and success with the correlation ID, and retries with backoff', async () => {
      const h = operationHarness();
      const f = fakeFetch(text(503, 'busy'), OK);
      assert.deepEqual(await h.run(f.fetch, { retryBaseDelayMs: 20 }), { ok: 1 });
      assert.equal(f.calls.length, 2);
      const messages = h.logger.lines.map((l) => `${l.level} ${l.message}`);
      assert.deepEqual(messages, [
        'debug [TikTokOAuth] token_exchange - start',
        'debug [TikTokOAuth] token_exchange - response',
        'warn [TikTokOAuth] token_exchange - retry',
        'debug [TikTokOAuth] token_exchange - response',
        'debug [TikTokOAuth] token_exchange - success',
      ]);
      for (const line of h.logger.lines) assert.equal(line.meta?.correlationId, 'corr-op');
      const retry = h.logger.events('retry')[0]!.meta!;
      assert.equal(retry.reason, 'API_ERROR');
      assert.equal(retry.upstreamStatus, 503);
      assert.ok(Number(retry.delayMs) >= 20 && Number(retry.delayMs) <= 24, String(retry.delayMs));
      assert.equal(h.logger.events('success')[0]!.meta!.attempt, 2);
    });

    it('does not wait for a Retry-After past the deadline', async () => {
      const h = operationHarness();
      const f = fakeFetch(text(429, '', 'text/plain', { 'retry-after': '120' }), OK);
      const err = await rejection(h.run(f.fetch, { deadlineMs: 3000 }));
      assert.equal(err.code, 'RATE_LIMIT');
      assert.equal(err.retryAfterSeconds, 120);
      assert.equal(f.calls.length, 1);
      assert.equal(h.logger.events('failure')[0]!.meta!.reason, 'Retry-After beyond the deadline');
    });

    it('does not sleep a backoff that would end past the deadline', async () => {
      const h = operationHarness();
      const f = fakeFetch(text(503, ''));
      const err = await rejection(h.run(f.fetch, { retryBaseDelayMs: 1000, deadlineMs: 500 }));
      assert.equal(err.code, 'API_ERROR');
      assert.equal(f.calls.length, 1);
      assert.equal(h.logger.events('failure')[0]!.meta!.reason, 'deadline');
    });

    it('shortens the last attempt to the deadline and says so', async () => {
      const h = operationHarness();
      const f = fakeFetch(hang());
      const started = Date.now();
      const err = await rejection(
        h.run(f.fetch, { timeoutMs: 1000, deadlineMs: 100, maxAttempts: 1 }),
      );
      assert.ok(Date.now() - started < 600);
      assert.equal(err.code, 'TIMEOUT_ERROR');
      assert.match(err.message, /the operation deadline ran out/);
    });

    it('a retry the circuit breaker refuses is never sent: its retry-budget tokens come back', async () => {
      const h = operationHarness();
      // Opens at the first failure: the retry paid for after it is refused.
      const breaker = new CircuitBreaker('token', { minimumRequests: 1, failureRatio: 0.5 });
      const budget = new RetryBudget();
      const f = fakeFetch(text(503, 'busy'), OK);
      const err = await rejection(h.run(f.fetch, { guard: { breaker, budget } }));
      assert.equal(err.code, 'CIRCUIT_OPEN');
      assert.equal(f.calls.length, 1, 'the retry was never sent');
      assert.equal(budget.available, 100, 'the paid retry was refunded');
    });

    it('never retries a non-retryable code', async () => {
      const h = operationHarness();
      const f = fakeFetch(json(401, { error: 'invalid_client' }), OK);
      const err = await rejection(h.run(f.fetch));
      assert.equal(err.code, 'INVALID_CREDENTIALS');
      assert.equal(f.calls.length, 1);
      assert.equal(h.logger.events('failure')[0]!.meta!.reason, 'not retryable');
      assert.equal(h.logger.events('failure')[0]!.level, 'warn');
    });

    it('stops after maxAttempts and logs the failure at error level', async () => {
      const h = operationHarness();
      const f = fakeFetch(text(502, ''));
      const err = await rejection(h.run(f.fetch, { maxAttempts: 4 }));
      assert.equal(err.code, 'API_ERROR');
      assert.equal(f.calls.length, 4);
      const fail = h.logger.events('failure')[0]!;
      assert.equal(fail.level, 'error');
      assert.equal(fail.meta!.reason, 'attempts exhausted');
      assert.equal(fail.meta!.attempt, 4);
      assert.equal(fail.meta!.errorCode, 'API_ERROR');
    });

    describe('single-use mode (authorization code)', () => {
      it('retries refused connections like any transient failure', async () => {
        const h = operationHarness();
        const f = fakeFetch(netError('ECONNREFUSED'), netError('ECONNREFUSED'), OK);
        assert.deepEqual(await h.run(f.fetch, { mode: 'singleUse' }), { ok: 1 });
        assert.equal(f.calls.length, 3);
      });

      it('retries an ambiguous failure once only', async () => {
        const h = operationHarness();
        const f = fakeFetch(netError('ECONNRESET'));
        const err = await rejection(h.run(f.fetch, { mode: 'singleUse', maxAttempts: 5 }));
        assert.equal(err.code, 'NETWORK_ERROR');
        assert.equal(f.calls.length, 2);
        assert.equal(
          h.logger.events('failure')[0]!.meta!.reason,
          'single-use code: one ambiguous retry already spent',
        );
      });

      it('after an ambiguous failure, invalid_grant says the lost attempt may have used the code', async () => {
        const h = operationHarness();
        const f = fakeFetch(hang(), INVALID_GRANT);
        const err = await rejection(h.run(f.fetch, { mode: 'singleUse', timeoutMs: 50 }));
        assert.equal(err.code, 'INVALID_TOKEN');
        assert.match(
          err.message,
          /refused the retry with invalid_grant\. The earlier attempt that got no answer may have used the single-use credential/,
        );
        assert.equal(err.upstreamStatus, 200);
        assert.equal(err.tiktokError?.error, 'invalid_grant');
        assert.ok(err.cause instanceof TikTokAPIError);
      });

      it('a first-attempt invalid_grant keeps the plain message', async () => {
        const h = operationHarness();
        const err = await rejection(h.run(fakeFetch(INVALID_GRANT).fetch, { mode: 'singleUse' }));
        assert.equal(err.code, 'INVALID_TOKEN');
        assert.doesNotMatch(err.message, /earlier attempt/);
      });

      it('idempotent mode retries ambiguous failures up to maxAttempts', async () => {
        const h = operationHarness();
        const f = fakeFetch(netError('ECONNRESET'));
        await rejection(h.run(f.fetch, { maxAttempts: 4 }));
        assert.equal(f.calls.length, 4);
      });
    });

    it('maps an oversized body to MALFORMED_RESPONSE without retrying', async () => {
      const h = operationHarness();
      const big = (): Response =>
        new Response('x', { status: 200, headers: { 'content-length': String(2 * 1024 * 1024) } });
      const f = fakeFetch(big);
      const err = await rejection(h.run(f.fetch));
      assert.equal(err.code, 'MALFORMED_RESPONSE');
      assert.match(err.message, /larger than 1 MiB/);
      assert.equal(f.calls.length, 1);
    });

    it('a throwing fetch implementation is an ambiguous NETWORK_ERROR, retried', async () => {
      const h = operationHarness();
      const f = fakeFetch(() => {
        throw new RangeError('proxy agent bug');
      });
      const err = await rejection(h.run(f.fetch));
      assert.equal(err.code, 'NETWORK_ERROR');
      assert.match(err.message, /request failed \(proxy agent bug\)/);
      assert.equal(f.calls.length, 3);
    });
  });
});
