import assert from 'node:assert/strict';
import { Strategy as OAuth2Strategy } from 'passport-oauth2';
import { parseProfile, TikTokStrategy, type TikTokAuthenticateOptions } from '../../lib';
import type { TikTokProfile } from '../../lib';
import { CaptureLogger } from '../support/capture-logger';
import { field } from '../support/json';
import { assertErrorJson, consent, login, startLogin, useLoginFixture } from '../support/login';

type Done = (err?: unknown, profile?: TikTokProfile) => void;

/** What the subclass below does in the current test (reset before each). */
interface Hooks {
  authorizationParams: (options: TikTokAuthenticateOptions) => Record<string, string>;
  tokenParams: (options: TikTokAuthenticateOptions) => Record<string, string>;
  /** undefined: userProfile is not overridden (the strategy's user-info request is used). */
  userProfile: ((accessToken: string, done: Done) => void) | undefined;
  /** What the `skipUserProfile` function option answers. */
  skip: (accessToken: string, done: (err: unknown, skip?: boolean) => void) => void;
}

const none = (): Record<string, string> => ({});
const defaults = (): Hooks => ({
  authorizationParams: none,
  tokenParams: none,
  userProfile: undefined,
  skip: (_accessToken, done) => done(null, false),
});
let hooks = defaults();
const calls: { hook: string; options: TikTokAuthenticateOptions }[] = [];

/** A subclass overriding passport-oauth2's hooks, as a provider package or an app would. */
class HookedStrategy extends TikTokStrategy {
  override authorizationParams(options: TikTokAuthenticateOptions): Record<string, string> {
    calls.push({ hook: 'authorizationParams', options });
    return hooks.authorizationParams(options);
  }

  override tokenParams(options: TikTokAuthenticateOptions): Record<string, string> {
    calls.push({ hook: 'tokenParams', options });
    return hooks.tokenParams(options);
  }

  override userProfile(accessToken: string, done: Done): void {
    const override = hooks.userProfile;
    if (override === undefined) super.userProfile(accessToken, done);
    else override(accessToken, done);
  }
}

/** The same subclass without a userProfile override: the strategy's own request is used. */
class ParamsOnlyStrategy extends TikTokStrategy {
  override authorizationParams(options: TikTokAuthenticateOptions): Record<string, string> {
    return hooks.authorizationParams(options);
  }
}

describe('TikTokStrategy', () => {
  describe('subclassing (passport-oauth2 hooks)', () => {
    const logger = new CaptureLogger();
    const fx = useLoginFixture({
      strategyClass: HookedStrategy,
      reportAppErrors: true,
      strategy: {
        logger,
        skipUserProfile: (accessToken, done) => hooks.skip(accessToken, done),
      },
    });
    beforeEach(() => {
      hooks = defaults();
      calls.length = 0;
      logger.lines.length = 0;
    });

    it('keeps instanceof TikTokStrategy and passport-oauth2 Strategy', () => {
      assert.ok(fx.app.strategy instanceof HookedStrategy);
      assert.ok(fx.app.strategy instanceof TikTokStrategy);
      assert.ok(fx.app.strategy instanceof OAuth2Strategy);
    });

    describe('authorizationParams(options)', () => {
      it('adds its parameters to the authorize URL and the login completes', async () => {
        hooks.authorizationParams = () => ({ lang: 'fr', campaign: 'a b&c' });
        const agent = fx.browser();
        const authorize = await startLogin(agent, '/auth/tiktok?returnTo=/account');
        assert.equal(authorize.searchParams.get('lang'), 'fr');
        assert.equal(authorize.searchParams.get('campaign'), 'a b&c');
        assert.equal(authorize.searchParams.get('client_key'), fx.tt.clientKey);
        assert.deepEqual(calls, [{ hook: 'authorizationParams', options: {} }]);
        const callback = await agent
          .get(await consent(authorize))
          .set('Accept', 'application/json');
        assert.equal(callback.status, 302);
        assert.equal(callback.headers.location, '/account');
      });

      it("never overrides the strategy's own parameters (and logs their names)", async () => {
        hooks.authorizationParams = () => ({
          client_key: 'someone-else',
          scope: 'video.list',
          response_type: 'token',
          redirect_uri: 'https://evil.example/cb',
          state: 'attacker-state',
          code_challenge: 'x',
          code_challenge_method: 'plain',
          disable_auto_auth: '1',
          lang: 'de',
        });
        const agent = fx.browser();
        const authorize = await startLogin(agent);
        const q = authorize.searchParams;
        assert.deepEqual([...q.keys()].sort(), [
          'client_key',
          'code_challenge',
          'code_challenge_method',
          'lang',
          'redirect_uri',
          'response_type',
          'scope',
          'state',
        ]);
        assert.equal(q.get('client_key'), fx.tt.clientKey);
        assert.equal(q.get('scope'), 'user.info.basic');
        assert.equal(q.get('response_type'), 'code');
        assert.equal(q.get('redirect_uri'), 'https://app.test/auth/tiktok/callback');
        assert.match(q.get('state') ?? '', /^[0-9a-f]{64}$/);
        assert.match(q.get('code_challenge') ?? '', /^[0-9a-f]{64}$/);
        assert.equal(q.get('code_challenge_method'), 'S256');
        assert.equal(q.get('lang'), 'de');
        const [warning] = logger.events(
          'authorizationParams() parameters the strategy sets, ignored',
        );
        assert.equal(
          warning?.meta?.ignored,
          'client_key,scope,response_type,redirect_uri,state,code_challenge,code_challenge_method,disable_auto_auth',
        );
        const callback = await agent
          .get(await consent(authorize))
          .set('Accept', 'application/json');
        assert.equal(callback.status, 302);
      });

      it('a hook that throws fails the start with that error, no redirect', async () => {
        hooks.authorizationParams = () => {
          throw new Error('campaign lookup failed');
        };
        const res = await fx.browser().get('/auth/tiktok');
        assert.equal(res.status, 500);
        assert.deepEqual(res.body, { appError: 'campaign lookup failed' });
        assert.equal(res.headers.location, undefined);
      });
    });

    describe('tokenParams(options)', () => {
      it('adds its fields to the code exchange form body', async () => {
        hooks.tokenParams = () => ({ device_id: 'dev-42' });
        const callback = await login(fx.browser());
        assert.equal(callback.status, 302);
        const [exchange] = fx.tt.requests.filter((r) => r.endpoint === 'token');
        assert.equal(exchange?.form?.device_id, 'dev-42');
        assert.equal(exchange?.form?.grant_type, 'authorization_code');
        assert.deepEqual(
          calls.map((c) => c.hook),
          ['authorizationParams', 'tokenParams'],
        );
        // passport.authenticate()'s options of the callback route reach the hook.
        assert.equal(Reflect.get(calls[1]?.options ?? {}, 'failWithError'), true);
      });

      it("never overrides the strategy's own fields", async () => {
        hooks.tokenParams = () => ({
          client_key: 'someone-else',
          client_secret: 'guess',
          code: 'forged-code',
          grant_type: 'client_credentials',
          redirect_uri: 'https://evil.example/cb',
          code_verifier: 'forged-verifier',
          device_id: 'dev-7',
        });
        const callback = await login(fx.browser());
        assert.equal(callback.status, 302, callback.text);
        const [exchange] = fx.tt.requests.filter((r) => r.endpoint === 'token');
        const form = exchange?.form ?? {};
        assert.equal(form.client_key, fx.tt.clientKey);
        assert.equal(form.client_secret, fx.tt.clientSecret);
        assert.notEqual(form.code, 'forged-code');
        assert.notEqual(form.code_verifier, 'forged-verifier');
        assert.equal(form.grant_type, 'authorization_code');
        assert.equal(form.redirect_uri, 'https://app.test/auth/tiktok/callback');
        assert.equal(form.device_id, 'dev-7');
        const [warning] = logger.events('tokenParams() parameters the strategy sets, ignored');
        assert.equal(
          warning?.meta?.ignored,
          'client_key,client_secret,code,grant_type,redirect_uri,code_verifier',
        );
      });
    });

    describe('userProfile(accessToken, done)', () => {
      it('an override replaces the user-info request: its profile reaches verify', async () => {
        let token: string | undefined;
        hooks.userProfile = (accessToken, done) => {
          token = accessToken;
          done(null, { ...parseProfile({ open_id: 'from-hook' }), displayName: 'Hook User' });
        };
        const agent = fx.browser();
        const callback = await login(agent);
        assert.equal(callback.status, 302, callback.text);
        assert.equal(fx.tt.count('userinfo'), 0);
        assert.match(token ?? '', /^act\./);
        const me = await agent.get('/me');
        assert.equal(field(me.body, 'user', 'id'), 'from-hook');
        assert.equal(field(me.body, 'user', 'displayName'), 'Hook User');
      });

      it("an override's error fails the login with passport's error(), as passport-oauth2 does", async () => {
        hooks.userProfile = (_accessToken, done) => done(new Error('profile backend down'));
        const agent = fx.browser();
        const callback = await login(agent);
        assert.equal(callback.status, 500);
        assert.deepEqual(callback.body, { appError: 'profile backend down' });
        assert.equal(fx.tt.count('userinfo'), 0);
        const me = await agent.get('/me');
        assert.equal(field(me.body, 'user'), null);
      });

      it('an override that throws fails the login the same way', async () => {
        hooks.userProfile = () => {
          throw new Error('profile lookup threw');
        };
        const callback = await login(fx.browser());
        assert.equal(callback.status, 500);
        assert.deepEqual(callback.body, { appError: 'profile lookup threw' });
      });

      it("an override's done(false, profile) is no error (passport-oauth2 tests `err` by truthiness)", async () => {
        hooks.userProfile = (_accessToken, done) =>
          done(false, { ...parseProfile({ open_id: 'from-hook' }), displayName: 'Hook User' });
        const agent = fx.browser();
        const callback = await login(agent);
        assert.equal(callback.status, 302, callback.text);
        assert.equal(field((await agent.get('/me')).body, 'user', 'id'), 'from-hook');
      });

      it('not overridden: the user-info request of the granted scopes is made', async () => {
        const callback = await login(fx.browser());
        assert.equal(callback.status, 302);
        assert.equal(fx.tt.count('userinfo'), 1);
      });
    });

    describe('skipUserProfile (option)', () => {
      it('a function answering true skips the profile: no user-info call, the profile is the open_id', async () => {
        let token: string | undefined;
        hooks.skip = (accessToken, done) => {
          token = accessToken;
          done(null, true);
        };
        hooks.userProfile = () => assert.fail('userProfile must not be called when skipped');
        const agent = fx.browser();
        const callback = await login(agent);
        assert.equal(callback.status, 302, callback.text);
        assert.match(token ?? '', /^act\./);
        assert.equal(fx.tt.count('userinfo'), 0);
        const me = await agent.get('/me');
        assert.deepEqual(
          field(me.body, 'user'),
          JSON.parse(JSON.stringify(parseProfile({ open_id: 'emulator-open-id-1' }))),
        );
      });

      it('a function answering false loads it', async () => {
        const callback = await login(fx.browser());
        assert.equal(callback.status, 302);
        assert.equal(fx.tt.count('userinfo'), 1);
      });

      it('its done(false, true) skips the profile: a falsy err is no error', async () => {
        hooks.skip = (_accessToken, done) => done(false, true);
        const callback = await login(fx.browser());
        assert.equal(callback.status, 302, callback.text);
        assert.equal(fx.tt.count('userinfo'), 0);
      });

      it("its error fails the login with passport's error()", async () => {
        hooks.skip = (_accessToken, done) => done(new Error('feature flags unavailable'));
        const callback = await login(fx.browser());
        assert.equal(callback.status, 500);
        assert.deepEqual(callback.body, { appError: 'feature flags unavailable' });
        assert.equal(fx.tt.count('userinfo'), 0);
      });
    });
  });

  /** A TypeScript subclass whose userProfile is async: its rejection is the login's error. */
  class AsyncProfileStrategy extends TikTokStrategy {
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- the async override under test
    override userProfile(): Promise<void> {
      return Promise.reject(new Error('profile lookup rejected'));
    }
  }

  describe('subclassing: an async userProfile', () => {
    const fx = useLoginFixture({
      strategyClass: AsyncProfileStrategy,
      reportAppErrors: true,
    });
    it("its rejection fails the login with passport's error()", async () => {
      const callback = await login(fx.browser());
      assert.equal(callback.status, 500);
      assert.deepEqual(callback.body, { appError: 'profile lookup rejected' });
      assert.equal(fx.tt.count('userinfo'), 0);
    });
  });

  describe('no subclass: the default hooks', () => {
    const fx = useLoginFixture();
    it('are not called: they add nothing (a login calls neither authorizationParams nor tokenParams)', async () => {
      const proto = TikTokStrategy.prototype;
      const hookNames = ['authorizationParams', 'tokenParams'] as const;
      const saved = hookNames.map((name) => Object.getOwnPropertyDescriptor(proto, name));
      const called: string[] = [];
      // Spies in place of the defaults, answering what they answer: nothing to add.
      for (const name of hookNames) {
        Object.defineProperty(proto, name, {
          configurable: true,
          writable: true,
          value: (): Record<string, string> => {
            called.push(name);
            return {};
          },
        });
      }
      try {
        const callback = await login(fx.browser());
        assert.equal(callback.status, 302, callback.text);
      } finally {
        hookNames.forEach((name, i) => {
          const descriptor = saved[i];
          if (descriptor !== undefined) Object.defineProperty(proto, name, descriptor);
        });
      }
      assert.deepEqual(called, []);
      assert.equal(fx.tt.count('token'), 1);
    });
  });

  /** docs/strategy.md "Subclassing": an override building on the strategy's own request. */
  class TrimmingStrategy extends TikTokStrategy {
    override userProfile(accessToken: string, done: Done): void {
      super.userProfile(accessToken, (err, profile) =>
        err
          ? done(err)
          : done(null, profile && { ...profile, displayName: `${profile.displayName.trim()}!` }),
      );
    }
  }

  describe('subclassing: an override calling super.userProfile() (the documented example)', () => {
    const scope = ['user.info.basic', 'user.info.profile'];
    const fx = useLoginFixture({
      strategyClass: TrimmingStrategy,
      reportAppErrors: true,
      strategy: { scope, loginDeadlineMs: 1500 },
    });
    const fieldsOf = (i: number): string[] =>
      String(fx.tt.requests.filter((r) => r.endpoint === 'userinfo')[i]?.query.fields).split(',');

    it("a partial consent: fetches the granted scopes' fields, with the login's correlation ID", async () => {
      fx.tt.setConsent({ decision: 'approve', grantedScopes: ['user.info.basic'] });
      const agent = fx.browser();
      const callback = await consent(await startLogin(agent));
      const res = await agent
        .get(callback)
        .set('Accept', 'application/json')
        .set('X-Correlation-Id', 'trace-super-1');
      assert.equal(res.status, 302, `${res.status} ${res.text}`);
      assert.equal(fx.tt.count('userinfo'), 1);
      assert.equal(fieldsOf(0).includes('username'), false);
      const [userInfo] = fx.tt.requests.filter((r) => r.endpoint === 'userinfo');
      assert.equal(userInfo?.headers['x-correlation-id'], 'trace-super-1');
      const me = await agent.get('/me');
      assert.equal(field(me.body, 'user', 'id'), 'emulator-open-id-1');
      assert.match(String(field(me.body, 'user', 'displayName')), /!$/);
    });

    it('all scopes granted: their fields are fetched and the override sees them', async () => {
      const res = await login(fx.browser());
      assert.equal(res.status, 302, res.text);
      assert.ok(fieldsOf(0).includes('username'));
    });

    it("TikTok's user info hanging: the login ends within loginDeadlineMs", async () => {
      fx.tt.inject('userinfo', { hang: true, times: 10 });
      const started = Date.now();
      const res = await login(fx.browser());
      assertErrorJson(res, 504, 'TIMEOUT_ERROR');
      assert.ok(Date.now() - started < 1500 + 1000, `${Date.now() - started} ms`);
    });

    it("called directly, outside a login: the client's scopes, as before", async () => {
      const { strategy } = fx.app;
      const err = await new Promise<unknown>((resolve) => {
        strategy.userProfile('act.not-a-login-token', (e) => resolve(e));
      });
      assert.ok(err instanceof Error);
      assert.ok(fieldsOf(0).includes('username'));
    });
  });

  describe('subclassing: skipUserProfile forms', () => {
    for (const [name, skipUserProfile, userInfoCalls] of [
      ['true', true, 0],
      ['() => true', () => true, 0],
      ['async () => true', async () => Promise.resolve(true), 0],
      ['async () => false', async () => Promise.resolve(false), 1],
    ] as const) {
      describe(name, () => {
        const fx = useLoginFixture({
          strategyClass: ParamsOnlyStrategy,
          strategy: { skipUserProfile },
        });
        it(`makes ${userInfoCalls} user-info call(s)`, async () => {
          hooks = defaults();
          const callback = await login(fx.browser());
          assert.equal(callback.status, 302, callback.text);
          assert.equal(fx.tt.count('userinfo'), userInfoCalls);
        });
      });
    }

    it('refuses anything but a boolean or a function', () => {
      assert.throws(
        () =>
          new TikTokStrategy({
            clientKey: 'ck',
            clientSecret: 'cs',
            callbackURL: 'https://app.example/cb',
            skipUserProfile: 'yes' as unknown as boolean,
          }),
        /TikTokStrategy option skipUserProfile must be a boolean or a function/,
      );
    });
  });
});
