import assert from 'node:assert/strict';
import { useEmulator } from '../support/emulator';
import { TikTokAPIError } from '../../lib';
import { timed } from '../support/assertions';
import { sleep } from '../support/token-fixtures';

const clientTokens = (h: ReturnType<typeof useEmulator>): number =>
  h.tt.count('token', { grantType: 'client_credentials' });

// getClientAccessToken() is cached and single-flight.
describe('TikTokClient', () => {
  describe('#getClientAccessToken', () => {
    const h = useEmulator();

    it('10 concurrent calls → 1 request, the same token for all', async () => {
      const client = h.client();
      const tokens = await Promise.all(
        Array.from({ length: 10 }, () => client.getClientAccessToken()),
      );
      assert.equal(clientTokens(h), 1);
      assert.equal(new Set(tokens.map((t) => t.access_token)).size, 1);
      assert.match(tokens[0]!.access_token, /^clt\./);
      // The time it has left, rounded down: 7200 s, or 7199 once a millisecond has passed.
      assert.ok([7199, 7200].includes(tokens[0]!.expires_in), String(tokens[0]!.expires_in));
      assert.equal(tokens[0]!.token_type, 'Bearer');
    });

    it('is served from the cache while fresh', async () => {
      const client = h.client();
      const first = await client.getClientAccessToken();
      const second = await client.getClientAccessToken();
      assert.equal(second.access_token, first.access_token);
      assert.equal(clientTokens(h), 1);
    });

    it('each call gets its own copy: changing one changes neither the cache nor the others', async () => {
      const client = h.client();
      const first = await client.getClientAccessToken();
      const token = first.access_token;
      first.access_token = 'changed';
      first.expires_in = 1_000_000;
      const second = await client.getClientAccessToken();
      assert.notEqual(second, first);
      assert.equal(second.access_token, token);
      assert.ok(second.expires_in <= 7200);
    });

    it('expires_in is the time the cached token has left, rounded down', async () => {
      const client = h.client();
      // 3 s: renewed after 1.5 s (half of it); served from the cache until then.
      h.tt.inject('token', {
        body: { access_token: 'clt.three-seconds', expires_in: 3, token_type: 'Bearer' },
      });
      const first = await client.getClientAccessToken();
      assert.ok([2, 3].includes(first.expires_in), String(first.expires_in));
      await sleep(1_100);
      const cached = await client.getClientAccessToken();
      assert.equal(cached.access_token, 'clt.three-seconds');
      assert.equal(cached.expires_in, 1, '1.9 s left or less');
      assert.equal(clientTokens(h), 1);
    });

    it('expires_in is never 0 while the token is served, even under 1 s from expiry', async () => {
      const client = h.client();
      h.tt.inject('token', {
        body: { access_token: 'clt.one-second', expires_in: 1, token_type: 'Bearer' },
      });
      await client.getClientAccessToken();
      await sleep(300); // 0.7 s left, renewed after 0.5 s
      const cached = await client.getClientAccessToken();
      assert.equal(cached.access_token, 'clt.one-second');
      assert.equal(cached.expires_in, 1);
    });

    it('is fetched again when near expiry', async () => {
      const client = h.client();
      // expires_in 1 s: renewed after half of it (the early-renewal margin is capped at lifetime / 2)
      h.tt.inject('token', {
        body: { access_token: 'clt.short-lived', expires_in: 1, token_type: 'Bearer' },
      });
      const short = await client.getClientAccessToken();
      assert.equal(short.access_token, 'clt.short-lived');
      assert.equal((await client.getClientAccessToken()).access_token, 'clt.short-lived');
      assert.equal(clientTokens(h), 1);
      await new Promise((resolve) => setTimeout(resolve, 550));
      const renewed = await client.getClientAccessToken();
      assert.notEqual(renewed.access_token, 'clt.short-lived');
      assert.equal(clientTokens(h), 2);
    });

    it('is fetched again when near expiry, even after the wall clock stepped back an hour', async () => {
      const client = h.client();
      h.tt.inject('token', {
        body: { access_token: 'clt.short-lived', expires_in: 1, token_type: 'Bearer' },
      });
      assert.equal((await client.getClientAccessToken()).access_token, 'clt.short-lived');
      const real = Date.now.bind(Date);
      Date.now = () => real() - 3_600_000; // NTP steps the wall clock back an hour
      try {
        await new Promise((resolve) => setTimeout(resolve, 1_100)); // the token has expired
        const renewed = await client.getClientAccessToken();
        assert.notEqual(renewed.access_token, 'clt.short-lived');
        assert.equal(clientTokens(h), 2);
      } finally {
        Date.now = real;
      }
    });

    it('a renewal that fails serves the cached token until it expires, then the error', async () => {
      const client = h.client({ maxAttempts: 1 });
      // 2 s: renewed after 1 s (half of it); TikTok then answers 503.
      h.tt.inject('token', {
        body: { access_token: 'clt.two-seconds', expires_in: 2, token_type: 'Bearer' },
      });
      await client.getClientAccessToken();
      await sleep(1_100);
      h.tt.inject('token', { status: 503, body: '', times: Infinity });
      const served = await client.getClientAccessToken({ correlationId: 'renewal-1' });
      assert.equal(served.access_token, 'clt.two-seconds', 'the cached token, still valid');
      assert.equal(served.expires_in, 1);
      assert.equal(clientTokens(h), 2, 'the renewal was tried');
      const warned = h.logger.lines.filter((l) => l.message.includes('renewal failed'));
      assert.equal(warned.length, 1);
      assert.equal(warned[0]?.level, 'warn');
      assert.equal(warned[0]?.meta?.correlationId, 'renewal-1');
      assert.equal(warned[0]?.meta?.errorCode, 'API_ERROR');
      await sleep(1_000); // expired now
      await assert.rejects(client.getClientAccessToken(), { code: 'API_ERROR' });
    });

    it('a failure is shared by the concurrent callers and not cached', async () => {
      const client = h.client();
      h.tt.inject('token', { status: 503, body: '', times: 3 });
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, () => client.getClientAccessToken()),
      );
      assert.equal(clientTokens(h), 3);
      const reasons = results.map((r): unknown => (r.status === 'rejected' ? r.reason : undefined));
      assert.equal(new Set(reasons).size, 1);
      assert.ok(reasons[0] instanceof TikTokAPIError);
      assert.equal(reasons[0].code, 'API_ERROR');
      const token = await client.getClientAccessToken();
      assert.match(token.access_token, /^clt\./);
      assert.equal(clientTokens(h), 4);
    });

    describe('deadlines of concurrent calls', () => {
      it('a call joining the request waits until its own deadlineAt, not the one of the request', async () => {
        const client = h.client({ timeoutMs: 5_000, deadlineMs: 10_000 });
        h.tt.inject('token', { delayMs: 1_500 });
        const first = timed(() => client.getClientAccessToken()); // the client's 10 s
        const joining = await timed(() =>
          client.getClientAccessToken({ deadlineAt: Date.now() + 200, correlationId: 'joiner-1' }),
        );
        assert.ok(joining.ms < 800, `waited ${Math.round(joining.ms)} ms`);
        assert.equal(joining.error?.code, 'TIMEOUT_ERROR');
        assert.equal(joining.error?.retryable, true);
        assert.equal(joining.error?.correlationId, 'joiner-1');
        assert.match(joining.error?.message ?? '', /^Client token failed: .*deadline ran out/);
        const { value, error } = await first;
        assert.equal(error, undefined);
        assert.match(value?.access_token ?? '', /^clt\./);
        assert.equal(clientTokens(h), 1);
      });

      it('a short deadline of the call that starts it neither cuts the request short nor empties the cache', async () => {
        const client = h.client({ timeoutMs: 5_000, deadlineMs: 10_000 });
        h.tt.inject('token', { delayMs: 1_500 });
        const starting = timed(() => client.getClientAccessToken({ deadlineAt: Date.now() + 200 }));
        const joining = timed(() => client.getClientAccessToken());
        const started = await starting;
        assert.equal(started.error?.code, 'TIMEOUT_ERROR');
        assert.ok(started.ms < 800, `waited ${Math.round(started.ms)} ms`);
        const joined = await joining;
        assert.equal(joined.error, undefined, joined.error?.message);
        assert.match(joined.value?.access_token ?? '', /^clt\./);
        const next = await client.getClientAccessToken({ deadlineAt: Date.now() + 50 });
        assert.equal(next.access_token, joined.value?.access_token, 'from the cache');
        assert.equal(clientTokens(h), 1);
      });

      it('a call alone whose deadline passes first still fills the cache for the next one', async () => {
        const client = h.client({ timeoutMs: 5_000, deadlineMs: 10_000 });
        h.tt.inject('token', { delayMs: 500 });
        const { error } = await timed(() =>
          client.getClientAccessToken({ deadlineAt: Date.now() + 100 }),
        );
        assert.equal(error?.code, 'TIMEOUT_ERROR');
        await sleep(700);
        const { value, ms } = await timed(() => client.getClientAccessToken());
        assert.match(value?.access_token ?? '', /^clt\./);
        assert.ok(ms < 200, `${Math.round(ms)} ms: not from the cache`);
        assert.equal(clientTokens(h), 1);
      });
    });

    it('separate clients keep separate caches', async () => {
      await h.client().getClientAccessToken();
      await h.client().getClientAccessToken();
      assert.equal(clientTokens(h), 2);
    });
  });
});
