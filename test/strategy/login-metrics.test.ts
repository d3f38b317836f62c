import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createTikTokMetrics, TikTokClient, TikTokStrategy } from '../../lib';
import { consent, startLogin, useLoginFixture } from '../support/login';

/** `tiktok_oauth_logins_total` as `{ outcome: count }`. */
async function logins(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('tiktok_oauth_logins_total')?.get();
  return Object.fromEntries((metric?.values ?? []).map((v) => [String(v.labels.outcome), v.value]));
}

describe('TikTokStrategy', () => {
  describe('login outcomes in tiktok_oauth_logins_total', () => {
    const registry = new Registry();
    const fx = useLoginFixture({ strategy: { metrics: createTikTokMetrics(registry) } });
    beforeEach(() => registry.resetMetrics());

    it('counts a success once, a replayed callback as INVALID_STATE, and no start', async () => {
      const agent = fx.browser();
      const callback = await consent(await startLogin(agent));
      const res = await agent.get(callback).set('Accept', 'application/json');
      assert.equal(res.status, 302, res.text);
      assert.deepEqual(await logins(registry), { success: 1 });
      await startLogin(agent);
      assert.deepEqual(await logins(registry), { success: 1 }, 'a start is not an outcome');
      const replay = await agent.get(callback).set('Accept', 'application/json');
      assert.equal(replay.status, 400);
      assert.deepEqual(await logins(registry), { success: 1, INVALID_STATE: 1 });
    });

    it('counts TikTok refusing the user as ACCESS_DENIED and TikTok down as its error code', async () => {
      const agent = fx.browser();
      const url = await startLogin(agent);
      const state = url.searchParams.get('state') ?? '';
      await agent.get(`/auth/tiktok/callback?error=access_denied&state=${state}`);
      fx.tt.inject('token', { status: 503, times: Infinity });
      const failed = await agent
        .get(await consent(await startLogin(agent)))
        .set('Accept', 'application/json');
      assert.equal(failed.status, 502, failed.text);
      assert.deepEqual(await logins(registry), { ACCESS_DENIED: 1, API_ERROR: 1 });
    });
  });

  describe('the metrics of a shared client count the logins too', () => {
    it('uses the client’s metrics when the strategy has none of its own', () => {
      const registry = new Registry();
      const metrics = createTikTokMetrics(registry);
      const client = new TikTokClient({
        clientKey: 'k',
        clientSecret: 's',
        redirectUri: 'https://app.example/cb',
        metrics,
      });
      const strategy = new TikTokStrategy({ client });
      const settings: unknown = Reflect.get(strategy, 'settings');
      assert.equal(Reflect.get(Object(settings), 'metrics'), metrics);
    });
  });
});
