import assert from 'node:assert/strict';
import { TikTokAPIError } from '../../lib';
import { MIN_ATTEMPT_MS } from '../../lib/client/operation';
import { authorize, useEmulator } from '../support/emulator';

const codeOf = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'resolved',
    (err: unknown) => (err instanceof TikTokAPIError ? err.code : String(err)),
  );

describe('TikTokClient', () => {
  describe('the operation deadline', () => {
    const h = useEmulator();

    it(`no attempt starts with less than ${MIN_ATTEMPT_MS} ms left: TIMEOUT_ERROR, the code not sent (still usable)`, async () => {
      const client = h.client();
      const { code, codeVerifier } = await authorize(client);
      await client.getClientAccessToken(); // a warm keep-alive connection to the token endpoint
      for (const left of [-1, 0, MIN_ATTEMPT_MS - 10]) {
        assert.equal(
          await codeOf(
            client.exchangeCodeForTokens(code, { codeVerifier, deadlineAt: Date.now() + left }),
          ),
          'TIMEOUT_ERROR',
        );
      }
      assert.equal(h.tt.count('token', { grantType: 'authorization_code' }), 0);
      const [line] = h.logger.events('failure');
      assert.equal(line?.meta?.reason, 'deadline');
      assert.match(String(line?.meta?.detail), /deadline ran out before TikTok could be called/);
      const tokens = await client.exchangeCodeForTokens(code, { codeVerifier });
      assert.equal(typeof tokens.access_token, 'string');
    });

    it('a deadlineAt that is NaN or not a number is a TypeError, and nothing is sent (the code still usable)', async () => {
      const client = h.client();
      const { code, codeVerifier } = await authorize(client);
      const { refresh_token } = h.tt.issueTokens(h.tt.users[0]!.openId);
      for (const [deadlineAt, got] of [
        [Number.NaN, 'NaN'],
        ['soon' as unknown as number, 'a string'],
      ] as const) {
        for (const call of [
          () => client.exchangeCodeForTokens(code, { codeVerifier, deadlineAt }),
          () => client.refreshAccessToken(refresh_token, { deadlineAt }),
        ]) {
          await assert.rejects(call(), {
            name: 'TypeError',
            message: `TikTokClient option deadlineAt must be a time in epoch milliseconds, got ${got}`,
          });
        }
      }
      assert.equal(h.tt.count('token'), 0);
      const tokens = await client.exchangeCodeForTokens(code, { codeVerifier });
      assert.equal(typeof tokens.access_token, 'string');
    });

    it('calls whose deadline ran out elsewhere never open the breaker of a healthy TikTok', async () => {
      const client = h.client();
      const openId = h.tt.users[0]!.openId;
      const { access_token } = h.tt.issueTokens(openId, ['user.info.basic']);
      for (let i = 0; i < 30; i++) {
        await codeOf(client.getUserInfo(access_token, { deadlineAt: Date.now() - 1 }));
      }
      assert.equal(h.tt.count('userinfo'), 0);
      assert.equal((await client.getUserInfo(access_token)).open_id, openId);
    });

    it('timeouts cut short by the deadline (TikTok hanging) do not count against TikTok in the breaker', async () => {
      const client = h.client({ timeoutMs: 5000 });
      const openId = h.tt.users[0]!.openId;
      const { access_token } = h.tt.issueTokens(openId, ['user.info.basic']);
      h.tt.inject('userinfo', { hang: true, times: 30 });
      for (let i = 0; i < 30; i++) {
        assert.equal(
          await codeOf(client.getUserInfo(access_token, { deadlineAt: Date.now() + 60 })),
          'TIMEOUT_ERROR',
        );
      }
      // The hanging requests are cut; the faults are used up: TikTok answers again.
      assert.equal((await client.getUserInfo(access_token)).open_id, openId);
    });

    it('a wall clock stepped back an hour during the operation does not stretch its deadline', async () => {
      const real = Date.now.bind(Date);
      let step = 0;
      // TikTok hangs; NTP steps the wall clock back an hour while the first attempt waits.
      const fetch = (_url: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
        step = -3_600_000;
        return new Promise((_resolve, reject) => {
          init.signal?.addEventListener('abort', () =>
            reject(new DOMException('aborted', 'AbortError')),
          );
        });
      };
      const client = h.client({
        fetch,
        timeoutMs: 200,
        maxAttempts: 5,
        retryBaseDelayMs: 10,
        deadlineMs: 300,
        circuitBreaker: false,
        retryBudget: false,
      });
      Date.now = () => real() + step;
      try {
        assert.equal(await codeOf(client.revokeAccess('act.some-token')), 'TIMEOUT_ERROR');
      } finally {
        Date.now = real;
      }
      // 300 ms: a 200 ms attempt, then one cut to what is left; 5 × 200 ms past the deadline else.
      const [line] = h.logger.events('failure');
      assert.ok(Number(line?.meta?.attempt) <= 2, `attempts: ${String(line?.meta?.attempt)}`);
    });
  });
});
