import assert from 'node:assert/strict';
import { MemoryStore, type SessionData } from 'express-session';
import { Registry } from 'prom-client';
import { createTikTokMetrics, TikTokClient, TikTokStrategy } from '../../lib';
import {
  consent,
  getAndDisconnect,
  sessionCookie,
  startLogin,
  useLoginFixture,
} from '../support/login';

/** `tiktok_oauth_logins_total` as `{ 'kind outcome': count }`. */
async function logins(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('tiktok_oauth_logins_total')?.get();
  return Object.fromEntries(
    (metric?.values ?? []).map((v) => [
      `${String(v.labels.kind)} ${String(v.labels.outcome)}`,
      v.value,
    ]),
  );
}

/**
 * `logins()` once it equals `expected`, or after 1 s: a success is counted when its response
 * is finished on the server, which can be just after the browser has it.
 */
async function loginsSettled(
  registry: Registry,
  expected: Record<string, number>,
): Promise<Record<string, number>> {
  const deadline = Date.now() + 1000;
  let seen = await logins(registry);
  while (JSON.stringify(seen) !== JSON.stringify(expected) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    seen = await logins(registry);
  }
  return seen;
}

/** Asserts the counts, once they have settled (see {@link loginsSettled}). */
async function assertLogins(registry: Registry, expected: Record<string, number>): Promise<void> {
  assert.deepEqual(await loginsSettled(registry, expected), expected);
}

/** A MemoryStore whose destroy (what regenerate calls) can be made to fail. */
class FailingDestroy extends MemoryStore {
  fail = false;
  override destroy(sid: string, cb?: (err?: unknown) => void): void {
    if (this.fail) cb?.(new Error('store down'));
    else super.destroy(sid, cb);
  }
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
      await assertLogins(registry, { 'success success': 1 });
      await startLogin(agent);
      assert.deepEqual(
        await logins(registry),
        { 'success success': 1 },
        'a start is not an outcome',
      );
      const replay = await agent.get(callback).set('Accept', 'application/json');
      assert.equal(replay.status, 400);
      await assertLogins(registry, {
        'success success': 1,
        'refused INVALID_STATE': 1,
      });
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
      await assertLogins(registry, {
        'refused ACCESS_DENIED': 1,
        'error API_ERROR': 1,
      });
    });

    it('counts a made-up code TikTok refuses as refused INVALID_TOKEN, not as our error', async () => {
      // Anyone can start a login for a state of their own and send a callback with any code: the
      // alerts on server-side failures must not fire on demand.
      const agent = fx.browser();
      for (let i = 0; i < 3; i++) {
        const state = (await startLogin(agent)).searchParams.get('state') ?? '';
        const forged = await agent
          .get(`/auth/tiktok/callback?state=${state}&code=made-up-${i}`)
          .set('Accept', 'application/json');
        assert.equal(forged.status, 401, forged.text);
      }
      await assertLogins(registry, { 'refused INVALID_TOKEN': 3 });
    });
  });

  describe('a login whose req.login() fails in the session store', () => {
    const registry = new Registry();
    const store = new FailingDestroy();
    const fx = useLoginFixture({ strategy: { metrics: createTikTokMetrics(registry) }, store });

    it('is counted as the 503 it answered, not as a success', async () => {
      const agent = fx.browser();
      const callback = await consent(await startLogin(agent));
      store.fail = true;
      const res = await agent.get(callback).set('Accept', 'application/json');
      store.fail = false;
      assert.equal(res.status, 503, res.text);
      await assertLogins(registry, { 'error SERVICE_UNAVAILABLE': 1 });
    });
  });

  describe('a browser that leaves before the login completes', () => {
    const registry = new Registry();
    /** A MemoryStore whose writes of a logged-in session can be made to wait. */
    class SlowLoginSave extends MemoryStore {
      delayMs = 0;
      override set(sid: string, data: SessionData, cb?: (err?: unknown) => void): void {
        const wait = 'passport' in data ? this.delayMs : 0;
        setTimeout(() => super.set(sid, data, cb), wait);
      }
    }
    const store = new SlowLoginSave();
    const fx = useLoginFixture({ strategy: { metrics: createTikTokMetrics(registry) }, store });
    beforeEach(() => {
      registry.resetMetrics();
      store.delayMs = 0;
    });

    async function leaveDuringCallback(): Promise<void> {
      const agent = fx.browser();
      const start = await agent.get('/auth/tiktok');
      const cookie = `connect.sid=${sessionCookie(start) ?? ''}`;
      const callback = await consent(new URL(String(start.headers.location)));
      await getAndDisconnect(fx.app, callback, cookie, 100);
    }

    it('during the token request: counted as aborted, not left out', async () => {
      fx.tt.inject('token', { delayMs: 300 });
      await leaveDuringCallback();
      await assertLogins(registry, { 'aborted aborted': 1 });
    });

    it('while req.login() saves the new session: counted as aborted, not as a success', async () => {
      store.delayMs = 300;
      await leaveDuringCallback();
      await assertLogins(registry, { 'aborted aborted': 1 });
      await new Promise((resolve) => setTimeout(resolve, 400)); // the save ends, passport redirects
      assert.deepEqual(await logins(registry), { 'aborted aborted': 1 });
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
