import assert from 'node:assert/strict';
import { consent, startLogin, useLoginFixture, type TestResponse } from '../support/login';

const MARKUP = '<img src=x onerror=alert(1)><script>alert(2)</script><iframe src="//evil.example">';

function assertHardened(res: TestResponse): void {
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.equal(res.headers['referrer-policy'], 'no-referrer');
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
}

describe('tiktokErrorHandler', () => {
  describe('error pages (HTML injection, clickjacking, caching, Referer)', () => {
    // verify refuses with a message that carries markup (apps build such messages from user data).
    const fx = useLoginFixture({
      verify: (_accessToken, _refreshToken, _profile, done) =>
        done(null, false, { message: MARKUP }),
    });

    async function failedCallback(accept: string): Promise<TestResponse> {
      const agent = fx.browser();
      const callback = await consent(await startLogin(agent));
      return agent.get(callback).set('Accept', accept);
    }

    it('the HTML page escapes what it shows, runs and loads nothing, and cannot be framed', async () => {
      const res = await failedCallback('text/html');
      assert.equal(res.status, 403);
      assertHardened(res);
      assert.ok(res.text.includes('&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;'));
      for (const tag of ['<script', '<img', '<iframe', '<form', '<link', '<a ']) {
        assert.ok(!res.text.includes(tag), `the page contains ${tag}`);
      }
      assert.doesNotMatch(
        res.text,
        /<[^>]*\s(src|href|action)=/,
        'no markup loads or links anything',
      );
      const csp = String(res.headers['content-security-policy']);
      for (const directive of ["default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"]) {
        assert.ok(csp.includes(directive), `CSP lacks ${directive}: ${csp}`);
      }
      assert.ok(!csp.includes('script-src'), 'no script source is allowed');
      assert.equal(res.headers['x-frame-options'], 'DENY');
    });

    it('the JSON answer carries the message as data, with the same caching and Referer rules', async () => {
      const res = await failedCallback('application/json');
      assert.equal(res.status, 403);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      assertHardened(res);
    });

    it('a failed callback never leaves the code or state in a cacheable answer', async () => {
      const agent = fx.browser();
      const callback = await consent(await startLogin(agent));
      const res = await agent.get(callback).set('Accept', 'text/html');
      const query = new URL(callback, 'http://app.test').searchParams;
      for (const name of ['code', 'state']) {
        const value = query.get(name) ?? '';
        assert.ok(value.length > 20);
        assert.ok(!res.text.includes(value), `${name} in the page`);
        assert.ok(!JSON.stringify(res.headers).includes(value), `${name} in a header`);
      }
      assert.equal(res.headers['cache-control'], 'no-store');
    });
  });
});
