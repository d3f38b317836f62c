import assert from 'node:assert/strict';
import { useEmulator } from '../support/emulator';
import { TikTokAPIError } from '../../lib';

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
      assert.equal(tokens[0]!.expires_in, 7200);
      assert.equal(tokens[0]!.token_type, 'Bearer');
    });

    it('is served from the cache while fresh', async () => {
      const client = h.client();
      const first = await client.getClientAccessToken();
      const second = await client.getClientAccessToken();
      assert.equal(second, first);
      assert.equal(clientTokens(h), 1);
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

    it('separate clients keep separate caches', async () => {
      await h.client().getClientAccessToken();
      await h.client().getClientAccessToken();
      assert.equal(clientTokens(h), 2);
    });
  });
});
