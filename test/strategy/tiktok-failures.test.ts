import assert from 'node:assert/strict';
import { field } from '../support/json';
import {
  assertErrorJson,
  CALLBACK_URL,
  consent,
  EXPRESS_VERSIONS,
  login,
  startLogin,
  useLoginFixture,
} from '../support/login';
import { MemoryClaimStore } from '../../lib/state/claims';
import { realNow } from '../support/clock';
import { timeNextRequest } from '../support/servers';

describe('TikTokStrategy', () => {
  describe('callback', () => {
    for (const version of EXPRESS_VERSIONS) {
      describe(`TikTok failures through the strategy and tiktokErrorHandler (${version})`, () => {
        const fx = useLoginFixture({ express: version, strategy: { loginDeadlineMs: 1500 } });

        describe('transient failures', () => {
          it('two 503s from the token endpoint, then success: logged in after 3 attempts', async () => {
            fx.tt.inject('token', { status: 503, times: 2 });
            const res = await login(fx.browser());
            assert.equal(res.status, 302);
            assert.equal(fx.tt.count('token'), 3);
          });

          it('a 503 from user info, then success: logged in', async () => {
            fx.tt.inject('userinfo', { status: 503 });
            const res = await login(fx.browser());
            assert.equal(res.status, 302);
            assert.equal(fx.tt.count('userinfo'), 2);
          });

          it('503 on every attempt → 502 API_ERROR, retryable, with Retry-After, after loginMaxAttempts (4)', async () => {
            fx.tt.inject('token', { status: 503, times: 4 });
            const res = await login(fx.browser());
            const error = assertErrorJson(res, 502, 'API_ERROR');
            assert.equal(error.retryable, true);
            assert.equal(res.headers['retry-after'], '5');
            assert.equal(fx.tt.count('token'), 4);
          });

          it('three 503s then success: logins get one attempt more than background calls', async () => {
            fx.tt.inject('token', { status: 503, times: 3 });
            const res = await login(fx.browser());
            assert.equal(res.status, 302);
            assert.equal(fx.tt.count('token'), 4);
          });

          it('429 with Retry-After past the deadline → 429 RATE_LIMIT at once, Retry-After kept', async () => {
            fx.tt.inject('token', { status: 429, retryAfter: 120 });
            const res = await login(fx.browser());
            assertErrorJson(res, 429, 'RATE_LIMIT');
            assert.equal(res.headers['retry-after'], '120');
            assert.equal(fx.tt.count('token'), 1);
          });
        });

        // The browser has its answer within loginDeadlineMs, not just the TikTok calls: they stop
        // 5 % (150 ms) early to leave time for the response. NOTE: timed on the app's server, from
        // the callback's arrival to its response's last byte, with a deadline long enough for a
        // reserve that a GC pause or a busy CI machine does not eat (at 1 500 ms it was 75 ms).
        describe('TikTok hanging: the whole callback within loginDeadlineMs', () => {
          const slow = useLoginFixture({ express: version, strategy: { loginDeadlineMs: 3000 } });
          const hangs = [
            { endpoint: 'token', times: 3, tokenCalls: 1 },
            { endpoint: 'userinfo', times: 4, tokenCalls: 1 },
          ] as const;
          for (const { endpoint, times, tokenCalls } of hangs) {
            it(`${endpoint} hanging on every attempt → 504 TIMEOUT_ERROR within loginDeadlineMs`, async () => {
              slow.tt.inject(endpoint, { hang: true, times });
              const agent = slow.browser();
              const callback = await consent(await startLogin(agent));
              const served = timeNextRequest(slow.app.server, new URL(CALLBACK_URL).pathname);
              const res = await agent.get(callback);
              const elapsed = await served;
              assertErrorJson(res, 504, 'TIMEOUT_ERROR');
              assert.ok(
                elapsed >= 2700 && elapsed < 3000,
                `answered after ${Math.round(elapsed)} ms`,
              );
              assert.equal(slow.tt.count('token'), tokenCalls);
            });
          }

          describe('the wall clock stepped back an hour while the state is claimed', () => {
            const claims = new MemoryClaimStore();
            let stepBack = false;
            const stepping = useLoginFixture({
              express: version,
              strategy: {
                loginDeadlineMs: 3000,
                claimStore: {
                  claim: (key, ttlMs) => {
                    // NTP steps the wall clock back an hour before any TikTok call.
                    if (stepBack) Date.now = () => realNow() - 3_600_000;
                    return claims.claim(key, ttlMs);
                  },
                  release: (key) => claims.release(key),
                },
              },
            });
            afterEach(() => {
              stepBack = false;
              Date.now = realNow;
            });

            it('user info hanging on every attempt → 504 TIMEOUT_ERROR still within loginDeadlineMs', async () => {
              stepping.tt.inject('userinfo', { hang: true, times: 4 });
              const agent = stepping.browser();
              const callback = await consent(await startLogin(agent));
              const served = timeNextRequest(stepping.app.server, new URL(CALLBACK_URL).pathname);
              stepBack = true;
              const res = await agent.get(callback);
              const elapsed = await served;
              assertErrorJson(res, 504, 'TIMEOUT_ERROR');
              assert.ok(elapsed < 3000, `answered after ${Math.round(elapsed)} ms`);
            });
          });
        });

        describe('TikTok says no', () => {
          it('invalid_grant with HTTP 200 → 401 INVALID_TOKEN, correlation id in body and header', async () => {
            fx.tt.inject('token', {
              tiktokError: {
                error: 'invalid_grant',
                description: 'Authorization code is expired.',
              },
            });
            const res = await login(fx.browser());
            const error = assertErrorJson(res, 401, 'INVALID_TOKEN');
            assert.equal(error.retryable, false);
            assert.match(error.correlationId, /^tiktok-\d+-[0-9a-f]{8}$/);
            assert.equal(res.headers['retry-after'], undefined);
            assert.equal(fx.tt.count('token'), 1);
          });

          it('the incoming X-Correlation-Id is used end to end (TikTok receives it too)', async () => {
            fx.tt.inject('token', { tiktokError: { error: 'invalid_grant' } });
            const agent = fx.browser();
            const callback = await consent(await startLogin(agent));
            const res = await agent.get(callback).set('X-Correlation-Id', 'trace-abc-123');
            const error = assertErrorJson(res, 401, 'INVALID_TOKEN');
            assert.equal(error.correlationId, 'trace-abc-123');
            const token = fx.tt.requests.find((r) => r.endpoint === 'token');
            assert.equal(token?.headers['x-correlation-id'], 'trace-abc-123');
          });

          it('an HTML client gets a small escaped error page with the code and reference', async () => {
            fx.tt.inject('token', {
              tiktokError: { error: 'invalid_grant', description: '<img src=x onerror=alert(1)>' },
            });
            const agent = fx.browser();
            const callback = await consent(await startLogin(agent));
            const res = await agent.get(callback).set('Accept', 'text/html,application/xhtml+xml');
            assert.equal(res.status, 401);
            assert.match(String(res.headers['content-type']), /^text\/html/);
            assert.equal(res.headers['cache-control'], 'no-store');
            assert.ok(res.text.includes('<code id="code">INVALID_TOKEN</code>'));
            assert.ok(res.text.includes('<h1>We could not log you in with TikTok</h1>'));
            const id = String(res.headers['x-correlation-id']);
            assert.ok(res.text.includes(`<code id="correlation-id">${id}</code>`));
            assert.ok(!res.text.includes('<img'));
            assert.ok(!/at .*\.ts:\d+/.test(res.text), 'no stack trace');
          });

          it('a profile for another open_id than the token → 502 MALFORMED_RESPONSE, not logged in', async () => {
            fx.tt.inject('userinfo', {
              body: {
                data: { user: { open_id: 'someone-else' } },
                error: { code: 'ok', message: '' },
              },
            });
            const agent = fx.browser();
            const res = await login(agent);
            assertErrorJson(res, 502, 'MALFORMED_RESPONSE');
            const me = await agent.get('/me');
            assert.equal(field(me.body, 'user'), null);
          });

          it('a granted field of another type than documented (a count that is not a number) → 502 MALFORMED_RESPONSE, one user-info call', async () => {
            fx.tt.inject('userinfo', {
              body: {
                data: { user: { open_id: 'emulator-open-id-1', follower_count: 'twelve' } },
                error: { code: 'ok', message: '' },
              },
            });
            const agent = fx.browser();
            const res = await login(agent);
            assertErrorJson(res, 502, 'MALFORMED_RESPONSE');
            assert.equal(fx.tt.count('userinfo'), 1);
            const me = await agent.get('/me');
            assert.equal(field(me.body, 'user'), null);
          });
        });
      });
    }
  });
});
