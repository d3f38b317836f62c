import assert from 'node:assert/strict';
import { startTikTokEmulator, type TikTokEmulator } from '../../lib/testing';
import {
  browser,
  CALLBACK_URL,
  consent,
  emulatorOptions as emulatorClientOptions,
  EXPRESS_VERSIONS,
  login,
  startLogin,
  startLoginApp,
  type Agent,
  type LoginApp,
} from '../support/login';
import { MemoryTokenStore, TikTokClient, TikTokTokenManager } from '../../lib';
import { field } from '../support/json';

describe('TikTokStrategy', () => {
  for (const version of EXPRESS_VERSIONS) {
    describe(`login flow (${version}, MemoryStore)`, () => {
      let tt: TikTokEmulator;
      let app: LoginApp;

      before(async () => {
        tt = await startTikTokEmulator({ autoApprove: true, redirectUris: [CALLBACK_URL] });
        app = await startLoginApp({ tt, express: version });
      });
      after(async () => {
        await app.close();
        await tt.close();
      });
      beforeEach(() => tt.reset());

      describe('start → consent → callback → logout', () => {
        let agent: Agent;
        before(() => {
          agent = browser(app.server);
        });

        it('logs in: one token call, one user-info call, req.user is the profile', async () => {
          const callback = await login(agent);
          assert.equal(callback.status, 302);
          assert.equal(callback.headers.location, '/');
          assert.equal(tt.count('token', { grantType: 'authorization_code' }), 1);
          assert.equal(tt.count('userinfo'), 1);
          const me = await agent.get('/me');
          assert.equal(field(me.body, 'user', 'provider'), 'tiktok');
          assert.equal(field(me.body, 'user', 'id'), 'emulator-open-id-1');
          assert.equal(field(me.body, 'user', 'displayName'), 'Emulator User');
          assert.equal(field(me.body, 'session', 'tiktok:pending'), undefined);
        });

        it('logs out: the session no longer has a user', async () => {
          const out = await agent.post('/logout');
          assert.deepEqual(out.body, { ok: true });
          const me = await agent.get('/me');
          assert.equal(field(me.body, 'user'), null);
        });
      });

      describe('issuing the authorization request', () => {
        it('saves the pending login before redirecting (the next request sees it)', async () => {
          const agent = browser(app.server);
          const authorize = await startLogin(agent);
          const me = await agent.get('/me');
          const pending: unknown = field(me.body, 'session', 'tiktok:pending');
          assert.ok(Array.isArray(pending) && pending.length === 1);
          assert.equal(Reflect.get(pending[0], 'state'), authorize.searchParams.get('state'));
          assert.equal(typeof Reflect.get(pending[0], 'codeVerifier'), 'string');
          // The strategy's own scopes are not copied into every pending login.
          assert.equal(Reflect.get(pending[0], 'scopes'), undefined);
        });

        it('sends the exchange the verifier whose hex challenge went to authorize', async () => {
          const agent = browser(app.server);
          const authorize = await startLogin(agent);
          await agent.get(await consent(authorize));
          const token = tt.requests.find((r) => r.endpoint === 'token');
          assert.equal(token?.form?.code_verifier?.length, 64);
          assert.equal(authorize.searchParams.get('code_challenge')?.length, 64);
          assert.equal(token?.form?.redirect_uri, 'https://app.test/auth/tiktok/callback');
        });
      });
    });
  }

  describe('login flow with a TikTokTokenManager (shared client)', () => {
    let tt: TikTokEmulator;
    let app: LoginApp;
    let manager: TikTokTokenManager;

    before(async () => {
      tt = await startTikTokEmulator({ autoApprove: true, redirectUris: [CALLBACK_URL] });
      const client = new TikTokClient({ ...emulatorClientOptions(tt), redirectUri: CALLBACK_URL });
      manager = new TikTokTokenManager({ client, store: new MemoryTokenStore() });
      app = await startLoginApp({ tt, strategy: { client, tokenManager: manager } });
    });
    after(async () => {
      await app.close();
      await tt.close();
    });

    it('saves the grant at login; the manager can then refresh it', async () => {
      const res = await login(browser(app.server));
      assert.equal(res.status, 302);
      const stored = await manager.get('emulator-open-id-1');
      assert.ok(stored !== undefined);
      assert.match(stored.access_token, /^act\./);
      const refreshed = await manager.refresh('emulator-open-id-1');
      assert.notEqual(refreshed.refresh_token, stored.refresh_token);
      assert.equal(tt.count('token', { grantType: 'refresh_token' }), 1);
    });
  });

  describe('login flow with the tokenStore shorthand', () => {
    let tt: TikTokEmulator;
    let app: LoginApp;

    before(async () => {
      tt = await startTikTokEmulator({ autoApprove: true, redirectUris: [CALLBACK_URL] });
      app = await startLoginApp({ tt, strategy: { tokenStore: new MemoryTokenStore() } });
    });
    after(async () => {
      await app.close();
      await tt.close();
    });

    it('makes a TikTokTokenManager on the strategy client; it holds the grant after login', async () => {
      const manager = app.strategy.tokenManager;
      assert.ok(manager instanceof TikTokTokenManager);
      assert.equal((await login(browser(app.server))).status, 302);
      const stored = await manager.get('emulator-open-id-1');
      assert.match(stored?.access_token ?? '', /^act\./);
      // It refreshes through the strategy's own client (the emulator's credentials).
      const refreshed = await manager.refresh('emulator-open-id-1');
      assert.notEqual(refreshed.refresh_token, stored?.refresh_token);
      assert.equal(tt.count('token', { grantType: 'refresh_token' }), 1);
    });
  });
});
