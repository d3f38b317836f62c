import assert from 'node:assert/strict';
import { useExampleApp } from '../support/example-app';
import { field } from '../support/json';
import { startLogin, stateOf } from '../support/login';

// Issue #12 item 2: 620 cookieless start + callback pairs with garbage codes in ~3 s made 640
// TikTok token calls, and the next real user got 429 RATE_LIMIT. The example limits both login
// routes per client IP.
const LIMIT = 4;
const FIXED = 'Too many logins right now. Please try again in a moment.';

describe('example app: /auth/tiktok', () => {
  describe('login routes rate-limited per client IP', () => {
    const fx = useExampleApp({
      // Behind one trusted proxy: X-Forwarded-For names the client, as in production.
      app: () => ({ trustProxy: 1, loginRateLimit: { limit: LIMIT, windowMs: 60_000 } }),
    });

    it(`request ${LIMIT + 1} answers 429 with Retry-After (JSON and HTML), no token call; another IP is unaffected`, async () => {
      const agent = fx.browser().set('X-Forwarded-For', '203.0.113.7');
      const states = [];
      for (let i = 0; i < LIMIT - 1; i++) states.push(stateOf(await startLogin(agent)));
      const garbage = (state: string | undefined): string =>
        `/auth/tiktok/callback?code=garbage-${String(state).slice(0, 6)}&state=${String(state)}`;
      const spent = await agent.get(garbage(states[0])).set('Accept', 'application/json');
      assert.equal(spent.status, 401, 'the last allowed request reaches TikTok');
      const tokenCalls = fx.tt.count('token', { grantType: 'authorization_code' });
      assert.equal(tokenCalls, 1);

      const json = await agent.get(garbage(states[1])).set('Accept', 'application/json');
      assert.equal(json.status, 429);
      const retryAfter = Number(json.headers['retry-after']);
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${String(retryAfter)}`);
      assert.deepEqual(field(json.body, 'error'), {
        code: 'RATE_LIMIT',
        message: FIXED,
        correlationId: json.headers['x-correlation-id'],
        retryable: true,
      });

      const html = await agent.get('/auth/tiktok').set('Accept', 'text/html');
      assert.equal(html.status, 429);
      assert.ok(Number(html.headers['retry-after']) >= 1);
      assert.match(String(html.headers['content-type']), /^text\/html/);
      assert.ok(html.text.includes(FIXED), html.text);
      assert.equal(html.headers.location, undefined, 'a page, not a redirect');

      assert.equal(
        fx.tt.count('token', { grantType: 'authorization_code' }),
        tokenCalls,
        'no token call beyond the limit',
      );

      const other = fx.browser().set('X-Forwarded-For', '198.51.100.9');
      const start = await other.get('/auth/tiktok');
      assert.equal(start.status, 302, 'another IP is not limited');
      assert.equal(
        (await fx.browser().set('X-Forwarded-For', '203.0.113.7').get('/')).status,
        200,
        'other routes are not limited',
      );
    });
  });
});
