import assert from 'node:assert/strict';
import { TikTokAPIError, type TikTokClient } from '../../lib';
import { authorize, useEmulator } from '../support/emulator';
import { rejection } from '../support/assertions';
import { countingFetch, losingFetch } from '../support/fetch-wrappers';
import { refusedOrigin } from '../support/net';

const CORRELATION = /^tiktok-\d{13}-[0-9a-f]{8}$/;

// docs/client.md, "Retries, timeouts and deadlines": authorization codes are single-use.
describe('TikTokClient', () => {
  describe('#exchangeCodeForTokens', () => {
    const h = useEmulator();
    const exchanges = (): number => h.tt.count('token', { grantType: 'authorization_code' });

    describe('when an attempt may have reached TikTok', () => {
      it('answer lost (timeout), retry gets invalid_grant → INVALID_TOKEN saying the lost attempt may have used the code', async () => {
        const client = h.client({ timeoutMs: 150, fetch: losingFetch(1) });
        const { code, codeVerifier } = await authorize(client);
        const err = await rejection(client.exchangeCodeForTokens(code, { codeVerifier }));
        assert.equal(err.code, 'INVALID_TOKEN');
        assert.equal(err.statusCode, 401);
        assert.equal(err.retryable, false);
        assert.equal(
          err.message,
          'Token exchange failed: TikTok refused the retry with invalid_grant. The earlier attempt ' +
            'that got no answer may have used the authorization code (codes are single-use): start ' +
            'the login again.',
        );
        assert.equal(err.tiktokError?.error, 'invalid_grant');
        assert.equal(err.upstreamStatus, 200);
        assert.match(err.logId ?? '', /^\d{14}[0-9A-F]{20}$/);
        assert.ok(err.cause instanceof TikTokAPIError && err.cause.code === 'INVALID_TOKEN');
        // Both attempts carried the same code: the first consumed it, the second was refused.
        const sent = h.tt.requests.filter((r) => r.grantType === 'authorization_code');
        assert.deepEqual(
          sent.map((r) => r.form?.code),
          [code, code],
        );
        const retry = h.logger.events('retry');
        assert.equal(retry.length, 1);
        assert.equal(retry[0]!.meta!.reason, 'TIMEOUT_ERROR');
      });

      it('timeout without the code being used → the one retry succeeds', async () => {
        const client = h.client({ timeoutMs: 150 });
        const { code, codeVerifier } = await authorize(client);
        h.tt.inject('token', { hang: true });
        const tokens = await client.exchangeCodeForTokens(code, { codeVerifier });
        assert.equal(tokens.open_id, h.tt.users[0]!.openId);
        assert.equal(exchanges(), 2);
      });

      // TikTok answered these (docs/emulator.md, "Faults: was the request processed?"): the code
      // is spent, so the one retry is refused and the error says why.
      for (const [name, options, fault, reason] of [
        ['reset mid-response', {}, { reset: 'mid-body' }, 'NETWORK_ERROR'],
        ['answer later than timeoutMs', { timeoutMs: 150 }, { delayMs: 400 }, 'TIMEOUT_ERROR'],
        [
          'answer trickled past timeoutMs',
          { timeoutMs: 150 },
          { trickle: { intervalMs: 50 } },
          'TIMEOUT_ERROR',
        ],
      ] as const) {
        it(`${name}: TikTok used the code, the one retry gets invalid_grant → INVALID_TOKEN saying so`, async () => {
          const client = h.client(options);
          const { code, codeVerifier } = await authorize(client);
          h.tt.inject('token', fault);
          const err = await rejection(client.exchangeCodeForTokens(code, { codeVerifier }));
          assert.equal(err.code, 'INVALID_TOKEN');
          assert.equal(err.retryable, false);
          assert.equal(err.tiktokError?.error, 'invalid_grant');
          assert.match(
            err.message,
            /^Token exchange failed: TikTok refused the retry with invalid_grant\. The earlier attempt that got no answer may have used the authorization code/,
          );
          assert.equal(exchanges(), 2);
          assert.deepEqual(
            h.logger.events('retry').map((e) => e.meta!.reason),
            [reason],
          );
        });
      }

      for (const [name, fault] of [
        ['hangs', { hang: true }],
        ['resets before the headers', { reset: 'before-headers' }],
        ['resets mid-body', { reset: 'mid-body' }],
      ] as const) {
        it(`at most one retry after an ambiguous failure: TikTok ${name} every time, maxAttempts 5 → 2 attempts`, async () => {
          // 500 ms: a reset must not turn into a timeout on a busy machine (TIMEOUT_ERROR instead
          // of NETWORK_ERROR), and a hang still ends the test in 1 s.
          const client = h.client({ timeoutMs: 500, maxAttempts: 5 });
          const { code, codeVerifier } = await authorize(client);
          h.tt.inject('token', { ...fault, times: Infinity });
          const err = await rejection(client.exchangeCodeForTokens(code, { codeVerifier }));
          assert.equal(err.code, 'hang' in fault ? 'TIMEOUT_ERROR' : 'NETWORK_ERROR');
          assert.equal(exchanges(), 2);
          assert.equal(
            h.logger.events('failure')[0]!.meta!.reason,
            'single-use code: one ambiguous retry already spent',
          );
        });
      }

      it('an ambiguous failure then 5xx answers: 5xx are still retried up to maxAttempts', async () => {
        // 500 ms: only the first attempt may time out; a 502 answered late must not.
        const client = h.client({ timeoutMs: 500, maxAttempts: 4 });
        const { code, codeVerifier } = await authorize(client);
        h.tt.inject('token', { hang: true });
        h.tt.inject('token', { status: 502, body: 'Bad Gateway', times: Infinity });
        const err = await rejection(client.exchangeCodeForTokens(code, { codeVerifier }));
        assert.equal(err.code, 'API_ERROR');
        assert.equal(exchanges(), 4);
      });
    });

    describe('when no attempt reached TikTok', () => {
      it('connection refused is retried up to maxAttempts (the code is intact)', async () => {
        const origin = await refusedOrigin();
        const counter = countingFetch();
        const client = h.client({
          tokenURL: `${origin}/v2/oauth/token/`,
          maxAttempts: 4,
          fetch: counter.fetch,
        });
        const { code, codeVerifier } = await authorize(client);
        const err = await rejection(client.exchangeCodeForTokens(code, { codeVerifier }));
        assert.equal(err.code, 'NETWORK_ERROR');
        assert.equal(counter.attempts, 4);
        assert.equal(exchanges(), 0);
        // The code was never used: exchanging it against the real endpoint still works.
        const tokens = await h.client().exchangeCodeForTokens(code, { codeVerifier });
        assert.equal(tokens.open_id, h.tt.users[0]!.openId);
      });
    });

    describe('correlation ID', () => {
      it('is identical on every attempt, on the error and on every log line', async () => {
        const client = h.client();
        const { code, codeVerifier } = await authorize(client);
        h.tt.inject('token', { status: 503, body: '', times: Infinity });
        const err = await rejection(client.exchangeCodeForTokens(code, { codeVerifier }));
        assert.match(err.correlationId, CORRELATION);
        const sent = h.tt.requests.filter((r) => r.grantType === 'authorization_code');
        assert.equal(sent.length, 3);
        for (const r of sent) assert.equal(r.headers['x-correlation-id'], err.correlationId);
        assert.ok(h.logger.lines.length >= 6, `${h.logger.lines.length} lines`);
        for (const line of h.logger.lines) {
          assert.equal(line.meta?.correlationId, err.correlationId, line.message);
          assert.match(line.message, /^\[TikTokOAuth\] token_exchange - /);
        }
      });

      it("uses the caller's correlation ID on every attempt and log line of a success", async () => {
        const client = h.client();
        const { code, codeVerifier } = await authorize(client);
        h.tt.inject('token', { status: 500, body: '' });
        await client.exchangeCodeForTokens(code, { codeVerifier, correlationId: 'req-abc-123' });
        const sent = h.tt.requests.filter((r) => r.grantType === 'authorization_code');
        assert.deepEqual(
          sent.map((r) => r.headers['x-correlation-id']),
          ['req-abc-123', 'req-abc-123'],
        );
        assert.deepEqual(
          [...new Set(h.logger.lines.map((l) => l.meta?.correlationId))],
          ['req-abc-123'],
        );
        assert.deepEqual(
          h.logger.lines.map((l) => l.message.replace('[TikTokOAuth] token_exchange - ', '')),
          ['start', 'response', 'retry', 'response', 'success'],
        );
      });

      it('an unsafe caller ID (CR/LF) is replaced by a fresh one, the request still goes out', async () => {
        const client = h.client();
        const { code, codeVerifier } = await authorize(client);
        const tokens = await client.exchangeCodeForTokens(code, {
          codeVerifier,
          correlationId: 'abc\r\nX-Injected: 1',
        });
        assert.equal(tokens.open_id, h.tt.users[0]!.openId);
        const sent = h.tt.requests.filter((r) => r.grantType === 'authorization_code');
        assert.equal(sent.length, 1);
        assert.match(sent[0]!.headers['x-correlation-id'] ?? '', CORRELATION);
        assert.equal(sent[0]!.headers['x-injected'], undefined);
        for (const line of h.logger.lines) {
          assert.equal(line.meta?.correlationId, sent[0]!.headers['x-correlation-id']);
        }
      });

      it('differs between operations', async () => {
        const client = h.client();
        const { code, codeVerifier } = await authorize(client);
        const tokens = await client.exchangeCodeForTokens(code, { codeVerifier });
        await client.getUserInfo(tokens.access_token);
        const ids = h.tt.requests
          .filter((r) => r.endpoint !== 'authorize')
          .map((r) => r.headers['x-correlation-id']);
        assert.equal(ids.length, 2);
        assert.notEqual(ids[0], ids[1]);
        for (const id of ids) assert.match(id ?? '', CORRELATION);
      });
    });
  });

  // Refresh tokens rotate (https://developers.tiktok.com/doc/oauth-user-access-token-management), so a refresh is as single-use as a code.
  describe('#refreshAccessToken', () => {
    const h = useEmulator();

    const lostAnswers: [string, () => TikTokClient, boolean][] = [
      [
        'the lost attempt rotated the token',
        () => h.client({ timeoutMs: 150, fetch: losingFetch(1) }),
        false,
      ],
      ['reset mid-response: TikTok rotated the token', () => h.client(), true],
    ];
    for (const [name, makeClient, resetMidBody] of lostAnswers) {
      it(`${name}: the retry is refused and the error says why`, async () => {
        const client = makeClient();
        const { refresh_token } = h.tt.issueTokens(h.tt.users[0]!.openId);
        if (resetMidBody) h.tt.inject('token', { reset: 'mid-body' });
        const err = await rejection(client.refreshAccessToken(refresh_token));
        assert.equal(err.code, 'INVALID_TOKEN');
        assert.match(
          err.message,
          /^Token refresh failed: TikTok refused the retry with invalid_grant\. The earlier attempt that got no answer may have rotated the refresh token/,
        );
        assert.equal(h.tt.count('token', { grantType: 'refresh_token' }), 2);
      });
    }

    it('hangs every time with maxAttempts 5 → only one retry (2 attempts)', async () => {
      const client = h.client({ timeoutMs: 100, maxAttempts: 5 });
      const { refresh_token } = h.tt.issueTokens(h.tt.users[0]!.openId);
      h.tt.inject('token', { hang: true, times: Infinity });
      const err = await rejection(client.refreshAccessToken(refresh_token));
      assert.equal(err.code, 'TIMEOUT_ERROR');
      assert.equal(h.tt.count('token', { grantType: 'refresh_token' }), 2);
    });
  });
});
