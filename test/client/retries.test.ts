import assert from 'node:assert/strict';
import { FAST, useEmulator } from '../support/emulator';
import { assertBetween, rejection, timed } from '../support/assertions';
import { countingFetch } from '../support/fetch-wrappers';
import { refusedOrigin } from '../support/net';
import { attempts, OPERATIONS } from '../support/operations';

// docs/client.md, "Retries, timeouts and deadlines", for every operation of the client.
describe('TikTokClient', () => {
  describe('TikTok failures', () => {
    const h = useEmulator();
    const TIMEOUT_MS = 150;
    // Two waits at most: ~10 ms and ~20 ms, each with up to 20 % jitter.
    const MAX_BACKOFF_MS = 12 + 24;
    // Scheduling and localhost round trips.
    const SLACK_MS = 250;

    it("a call's maxAttempts is its own, whichever counts the calls before it used", async () => {
      // The client keeps its operation settings per endpoint and attempt count: a count must
      // never be served from another's. (No breaker or budget: only the count limits attempts.)
      const client = h.client({ maxAttempts: 3, circuitBreaker: false, retryBudget: false });
      const { access_token: token } = h.tt.issueTokens(h.tt.users[0]!.openId);
      const attemptsWith = async (maxAttempts: number | undefined): Promise<number> => {
        const before = h.tt.count('userinfo');
        // One 503 more than expected would be answered 200: too many attempts fail the call too.
        h.tt.inject('userinfo', { status: 503, body: 'Service Unavailable', times: 4 });
        await rejection(
          client.getUserInfo(token, maxAttempts === undefined ? {} : { maxAttempts }),
        );
        const made = h.tt.count('userinfo') - before;
        // The 503s this call did not use are answered now, so the next call starts clean.
        for (let left = 4 - made; left > 0; left--) {
          await rejection(client.getUserInfo(token, { maxAttempts: 1 }));
        }
        return made;
      };
      assert.deepEqual(
        [
          await attemptsWith(4),
          await attemptsWith(1),
          await attemptsWith(undefined),
          await attemptsWith(4),
          await attemptsWith(2),
        ],
        [4, 1, 3, 4, 2],
      );
    });

    for (const op of OPERATIONS) {
      describe(op.name, () => {
        it('503 then 200 → success in 2 attempts, one retry logged', async () => {
          const client = h.client();
          const call = await op.prepare(h.tt, client);
          h.tt.inject(op.endpoint, { status: 503, body: 'Service Unavailable' });
          await call();
          assert.equal(attempts(h.tt, op), 2);
          const retries = h.logger.events('retry');
          assert.equal(retries.length, 1);
          assert.equal(retries[0]!.meta!.reason, 'API_ERROR');
          assert.equal(retries[0]!.meta!.upstreamStatus, 503);
        });

        it('3 × 503 → API_ERROR after exactly maxAttempts', async () => {
          const client = h.client();
          const call = await op.prepare(h.tt, client);
          h.tt.inject(op.endpoint, { status: 503, body: 'Service Unavailable', times: Infinity });
          const err = await rejection(call());
          assert.equal(err.code, 'API_ERROR');
          assert.equal(err.statusCode, 502);
          assert.equal(err.retryable, true);
          assert.equal(err.upstreamStatus, 503);
          assert.match(err.logId ?? '', /^\d{14}[0-9A-F]{20}$/);
          assert.equal(attempts(h.tt, op), FAST.maxAttempts);
        });

        it(`HTTP 200 with ${op.invalidTokenError} → INVALID_TOKEN, one attempt, logId kept`, async () => {
          const client = h.client();
          const call = await op.prepare(h.tt, client);
          h.tt.inject(op.endpoint, {
            tiktokError: { error: op.invalidTokenError, description: 'Token is dead.' },
          });
          const err = await rejection(call());
          assert.equal(err.code, 'INVALID_TOKEN');
          assert.equal(err.statusCode, 401);
          assert.equal(err.retryable, false);
          assert.equal(err.upstreamStatus, 200);
          assert.deepEqual(err.tiktokError, {
            error: op.invalidTokenError,
            description: 'Token is dead.',
          });
          assert.match(err.logId ?? '', /^\d{14}[0-9A-F]{20}$/);
          assert.ok(err.message.includes(`(TikTok log_id ${err.logId ?? '?'})`), err.message);
          assert.equal(attempts(h.tt, op), 1);
        });

        it('401 invalid_client → INVALID_CREDENTIALS, no retry', async () => {
          const client = h.client();
          const call = await op.prepare(h.tt, client);
          h.tt.inject(op.endpoint, {
            tiktokError: { error: 'invalid_client', status: 401 },
            times: Infinity,
          });
          const err = await rejection(call());
          assert.equal(err.code, 'INVALID_CREDENTIALS');
          assert.equal(err.statusCode, 500);
          assert.equal(err.retryable, false);
          assert.equal(err.upstreamStatus, 401);
          assert.equal(attempts(h.tt, op), 1);
        });

        it('connection refused → NETWORK_ERROR after maxAttempts (never reached TikTok)', async () => {
          const origin = await refusedOrigin();
          const counter = countingFetch();
          // authorize still goes to the emulator (the code must exist); the API calls are refused.
          const client = h.client({
            tokenURL: `${origin}/v2/oauth/token/`,
            revokeURL: `${origin}/v2/oauth/revoke/`,
            userInfoURL: `${origin}/v2/user/info/`,
            fetch: counter.fetch,
          });
          const call = await op.prepare(h.tt, client);
          const err = await rejection(call());
          assert.equal(err.code, 'NETWORK_ERROR');
          assert.equal(err.statusCode, 503);
          assert.equal(err.retryable, true);
          assert.equal(err.upstreamStatus, undefined);
          assert.match(err.message, /could not reach TikTok \(request failed \(ECONNREFUSED\)\)/);
          assert.equal(counter.attempts, FAST.maxAttempts);
        });

        it(`connection reset before the headers → NETWORK_ERROR after ${op.ambiguousAttempts} attempts`, async () => {
          const client = h.client();
          const call = await op.prepare(h.tt, client);
          h.tt.inject(op.endpoint, { reset: 'before-headers', times: Infinity });
          const err = await rejection(call());
          assert.equal(err.code, 'NETWORK_ERROR');
          assert.equal(err.retryable, true);
          assert.equal(attempts(h.tt, op), op.ambiguousAttempts);
        });

        it(`reset mid-response → NETWORK_ERROR after ${op.ambiguousAttempts} attempts`, async () => {
          const client = h.client();
          const call = await op.prepare(h.tt, client);
          h.tt.inject(op.endpoint, { reset: 'mid-body', times: Infinity });
          const err = await rejection(call());
          assert.equal(err.code, 'NETWORK_ERROR');
          assert.equal(attempts(h.tt, op), op.ambiguousAttempts);
        });

        it(`a server that never answers → TIMEOUT_ERROR within timeoutMs × ${op.ambiguousAttempts} + backoff`, async () => {
          const client = h.client({ timeoutMs: TIMEOUT_MS });
          const call = await op.prepare(h.tt, client);
          h.tt.inject(op.endpoint, { hang: true, times: Infinity });
          const { ms, error } = await timed(call);
          assert.equal(error?.code, 'TIMEOUT_ERROR');
          assert.equal(error.statusCode, 504);
          assert.match(error.message, new RegExp(`no complete answer within ${TIMEOUT_MS} ms`));
          assert.equal(attempts(h.tt, op), op.ambiguousAttempts);
          const floor = TIMEOUT_MS * op.ambiguousAttempts;
          assertBetween(ms, floor - 10, floor + MAX_BACKOFF_MS + SLACK_MS, 'elapsed ms');
        });
      });
    }

    describe('429 and Retry-After', () => {
      it('Retry-After: 1 → waits a second, then retries and succeeds', async () => {
        const client = h.client();
        const { access_token } = h.tt.issueTokens(h.tt.users[0]!.openId);
        h.tt.inject('userinfo', {
          tiktokError: { error: 'rate_limit_exceeded', status: 429 },
          retryAfter: 1,
        });
        const { ms, value } = await timed(() => client.getUserInfo(access_token));
        assert.equal(value?.open_id, h.tt.users[0]!.openId);
        assert.equal(h.tt.count('userinfo'), 2);
        assertBetween(ms, 990, 1000 + SLACK_MS, 'elapsed ms');
        const retry = h.logger.events('retry')[0]!;
        assert.equal(retry.meta!.reason, 'RATE_LIMIT');
        assert.equal(retry.meta!.delayMs, 1000);
        const [first, second] = h.tt.requests.filter((r) => r.endpoint === 'userinfo');
        assert.ok(second!.at - first!.at >= 990, `${second!.at - first!.at} ms between attempts`);
      });

      it('429 without Retry-After → waits at least a second (a one-minute window), not the short backoff', async () => {
        const client = h.client();
        const { access_token } = h.tt.issueTokens(h.tt.users[0]!.openId);
        h.tt.inject('userinfo', { tiktokError: { error: 'rate_limit_exceeded', status: 429 } });
        const { value } = await timed(() => client.getUserInfo(access_token));
        assert.equal(value?.open_id, h.tt.users[0]!.openId);
        const retry = h.logger.events('retry')[0]!;
        assert.equal(retry.meta!.reason, 'RATE_LIMIT');
        assert.ok(Number(retry.meta!.delayMs) >= 1000, `delayMs ${String(retry.meta!.delayMs)}`);
        const [first, second] = h.tt.requests.filter((r) => r.endpoint === 'userinfo');
        assert.ok(second!.at - first!.at >= 990, `${second!.at - first!.at} ms between attempts`);
      });

      it('Retry-After: 120, past the deadline → RATE_LIMIT at once, one attempt', async () => {
        const client = h.client();
        const { refresh_token } = h.tt.issueTokens(h.tt.users[0]!.openId);
        h.tt.inject('token', { status: 429, body: '', retryAfter: 120, times: Infinity });
        const { ms, error } = await timed(() => client.refreshAccessToken(refresh_token));
        assert.equal(error?.code, 'RATE_LIMIT');
        assert.equal(error.statusCode, 429);
        assert.equal(error.retryable, true);
        assert.equal(error.retryAfterSeconds, 120);
        assert.equal(error.upstreamStatus, 429);
        assert.equal(h.tt.count('token'), 1);
        assert.ok(ms < 200 + SLACK_MS, `${Math.round(ms)} ms`);
        assert.equal(
          h.logger.events('failure')[0]!.meta!.reason,
          'Retry-After beyond the deadline',
        );
      });

      it('Retry-After of 30 days within a far deadlineAt → RATE_LIMIT at once, one attempt (no 1 ms timer)', async () => {
        const client = h.client();
        const { refresh_token } = h.tt.issueTokens(h.tt.users[0]!.openId);
        const month = 30 * 24 * 3600;
        h.tt.inject('token', { status: 429, body: '', retryAfter: month, times: Infinity });
        const deadlineAt = Date.now() + 2 * month * 1000;
        const { error } = await timed(() =>
          client.refreshAccessToken(refresh_token, { deadlineAt }),
        );
        assert.equal(error?.code, 'RATE_LIMIT');
        assert.equal(error.retryAfterSeconds, month);
        assert.equal(h.tt.count('token'), 1);
        assert.equal(
          h.logger.events('failure')[0]!.meta!.reason,
          'wait longer than a timer can hold',
        );
      });

      it('429 without Retry-After backs off and retries', async () => {
        const client = h.client();
        const call = await OPERATIONS[0]!.prepare(h.tt, client);
        h.tt.inject('token', { tiktokError: { error: 'rate_limit_exceeded', status: 429 } });
        await call();
        assert.equal(h.tt.count('token', { grantType: 'authorization_code' }), 2);
      });
    });

    describe('slow bodies', () => {
      for (const op of OPERATIONS.filter(
        (o) => o.name === 'token_exchange' || o.name === 'user_info',
      )) {
        it(`${op.name}: a body trickled at 1 byte/s → TIMEOUT_ERROR, bounded by timeoutMs × attempts + backoff`, async () => {
          const client = h.client({ timeoutMs: TIMEOUT_MS });
          const call = await op.prepare(h.tt, client);
          h.tt.inject(op.endpoint, { trickle: { intervalMs: 1000 }, times: Infinity });
          const { ms, error } = await timed(call);
          assert.equal(error?.code, 'TIMEOUT_ERROR');
          assert.equal(attempts(h.tt, op), op.ambiguousAttempts);
          const floor = TIMEOUT_MS * op.ambiguousAttempts;
          assertBetween(ms, floor - 10, floor + MAX_BACKOFF_MS + SLACK_MS, 'elapsed ms');
        });

        it(`${op.name}: a byte every 50 ms, never idle for timeoutMs → still TIMEOUT_ERROR (one timer for the whole answer)`, async () => {
          // Each byte comes well inside timeoutMs: a timeout that restarts on every chunk would
          // wait out the whole body (seconds) instead of failing the attempt at timeoutMs.
          const client = h.client({ timeoutMs: TIMEOUT_MS });
          const call = await op.prepare(h.tt, client);
          h.tt.inject(op.endpoint, { trickle: { intervalMs: 50 }, times: Infinity });
          const { ms, error } = await timed(call);
          assert.equal(error?.code, 'TIMEOUT_ERROR');
          assert.equal(attempts(h.tt, op), op.ambiguousAttempts);
          const floor = TIMEOUT_MS * op.ambiguousAttempts;
          assertBetween(ms, floor - 10, floor + MAX_BACKOFF_MS + SLACK_MS, 'elapsed ms');
        });
      }
    });
  });
});
