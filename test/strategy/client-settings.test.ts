import assert from 'node:assert/strict';
import { TikTokClient, type TikTokStrategyOptions } from '../../lib';
import { startTikTokEmulator, type TikTokEmulator } from '../../lib/testing';
import { CaptureLogger } from '../support/capture-logger';
import { realNow } from '../support/clock';
import {
  assertErrorJson,
  browser,
  CALLBACK_URL,
  consent,
  emulatorOptions,
  startLogin,
  startLoginApp,
  type LoginApp,
} from '../support/login';

/** An emulator (PKCE optional unless `requirePkce`) and a login app per test, closed after it. */
function useApp(requirePkce: boolean): {
  tt: () => TikTokEmulator;
  start: (strategy: (tt: TikTokEmulator) => TikTokStrategyOptions) => Promise<LoginApp>;
} {
  let tt: TikTokEmulator | undefined;
  let app: LoginApp | undefined;
  before(async () => {
    tt = await startTikTokEmulator({
      autoApprove: true,
      clock: realNow,
      requirePkce,
      redirectUris: [CALLBACK_URL],
    });
  });
  beforeEach(() => tt?.reset());
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  after(async () => {
    await tt?.close();
  });
  const emulator = (): TikTokEmulator => {
    if (tt === undefined) throw new Error('the emulator is started in before()');
    return tt;
  };
  return {
    tt: emulator,
    start: async (strategy) => {
      app = await startLoginApp({ tt: emulator(), strategy: strategy(emulator()) });
      return app;
    },
  };
}

/** A whole login; returns the authorize URL the app redirected to and the callback answer. */
async function loginThrough(app: LoginApp): Promise<{ authorize: URL; status: number }> {
  const agent = browser(app.server);
  const authorize = await startLogin(agent);
  const callback = await agent.get(await consent(authorize)).set('Accept', 'application/json');
  return { authorize, status: callback.status };
}

function exchangeForm(tt: TikTokEmulator): URLSearchParams {
  const request = tt.requests.find((r) => r.endpoint === 'token');
  assert.ok(request !== undefined, 'a code exchange reached TikTok');
  return new URLSearchParams(request.body);
}

function sharedClient(tt: TikTokEmulator, pkce?: boolean): TikTokClient {
  return new TikTokClient({
    ...emulatorOptions(tt),
    redirectUri: CALLBACK_URL,
    ...(pkce === undefined ? {} : { pkce }),
  });
}

describe('TikTokStrategy', () => {
  describe('client settings', () => {
    describe('pkce reaches the client', () => {
      const h = useApp(false);

      it('pkce: false: no challenge, the exchange sends no verifier, the login succeeds', async () => {
        const app = await h.start((tt) => ({ ...emulatorOptions(tt), pkce: false }));
        assert.equal(app.strategy.client.pkce, false);
        const { authorize, status } = await loginThrough(app);
        assert.equal(authorize.searchParams.get('code_challenge'), null);
        assert.equal(status, 302);
        assert.equal(exchangeForm(h.tt()).has('code_verifier'), false);
        const direct = await app.strategy.client.getAuthorizationUrl();
        assert.equal(direct.codeVerifier, undefined, 'the built client has pkce: false too');
      });

      it('a shared client with pkce: false is followed when the strategy sets none', async () => {
        const app = await h.start((tt) => ({ client: sharedClient(tt, false) }));
        const { authorize, status } = await loginThrough(app);
        assert.equal(authorize.searchParams.get('code_challenge'), null);
        assert.equal(status, 302);
      });

      it('an explicit strategy pkce: false wins over a shared client with PKCE on', async () => {
        const app = await h.start((tt) => ({ client: sharedClient(tt), pkce: false }));
        assert.equal(app.strategy.client.pkce, true);
        const { authorize, status } = await loginThrough(app);
        assert.equal(authorize.searchParams.get('code_challenge'), null);
        assert.equal(status, 302, 'the exchange is not refused for a missing verifier');
        assert.equal(exchangeForm(h.tt()).has('code_verifier'), false);
      });

      it('an explicit strategy pkce: true wins over a shared client with pkce: false', async () => {
        const app = await h.start((tt) => ({ client: sharedClient(tt, false), pkce: true }));
        const { authorize, status } = await loginThrough(app);
        assert.match(authorize.searchParams.get('code_challenge') ?? '', /^[0-9a-f]{64}$/);
        assert.equal(status, 302);
        assert.match(exchangeForm(h.tt()).get('code_verifier') ?? '', /^[A-Za-z0-9._~-]{43,128}$/);
      });
    });

    describe('clientKey / clientSecret functions', () => {
      const h = useApp(true);

      it('are resolved before the redirect; two logins call each once', async () => {
        const calls = { key: 0, secret: 0 };
        const app = await h.start((tt) => ({
          ...emulatorOptions(tt),
          clientKey: () => {
            calls.key += 1;
            return Promise.resolve(tt.clientKey);
          },
          clientSecret: () => {
            calls.secret += 1;
            return Promise.resolve(tt.clientSecret);
          },
        }));
        for (let i = 0; i < 2; i++) {
          const { authorize, status } = await loginThrough(app);
          assert.equal(authorize.searchParams.get('client_key'), h.tt().clientKey);
          assert.equal(status, 302);
        }
        assert.deepEqual(calls, { key: 1, secret: 1 });
        assert.equal(app.strategy.client.clientKey, h.tt().clientKey);
      });

      it('a clientKey function that fails: the login start answers 503, no redirect', async () => {
        const logger = new CaptureLogger();
        const app = await h.start((tt) => ({
          ...emulatorOptions(tt),
          clientKey: () => Promise.reject(new Error('vault unreachable')),
          logger,
        }));
        const res = await browser(app.server).get('/auth/tiktok').set('Accept', 'application/json');
        const error = assertErrorJson(res, 503, 'SERVICE_UNAVAILABLE');
        // People see the fixed text; the cause is in the failure log line.
        assert.equal(
          error.message,
          'This service is temporarily unavailable. Please try again in a moment.',
        );
        assert.match(logger.text(), /Could not get the TikTok clientKey/);
        assert.equal(error.retryable, true);
        assert.equal(h.tt().count('authorize'), 0);
      });
    });
  });
});
