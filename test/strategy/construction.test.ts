import assert from 'node:assert/strict';
import { Strategy as OAuth2Strategy } from 'passport-oauth2';
import { Strategy, TikTokClient, TikTokStrategy, type TikTokVerifyFunction } from '../../lib';
import { CaptureLogger } from '../support/capture-logger';
import { NO_TIKTOK_ENV, withEnv } from '../support/env';
import { loginDeadlineAt } from '../../lib/strategy';

const ENV = {
  TIKTOK_CLIENT_KEY: 'env-key',
  TIKTOK_CLIENT_SECRET: 'env-secret',
  TIKTOK_REDIRECT_URI: 'https://app.example/auth/tiktok/callback',
};

describe('TikTokStrategy', () => {
  describe('constructed from environment variables alone', () => {
    const strategy = withEnv({ ...NO_TIKTOK_ENV, ...ENV }, () => new TikTokStrategy());

    it('is named tiktok and is a passport-oauth2 Strategy', () => {
      assert.equal(strategy.name, 'tiktok');
      assert.ok(strategy instanceof OAuth2Strategy);
      assert.equal(Strategy, TikTokStrategy);
    });

    it('reads the key and the redirect URI', () => {
      assert.equal(strategy.client.clientKey, 'env-key');
      assert.equal(strategy.client.redirectUri, 'https://app.example/auth/tiktok/callback');
      assert.deepEqual(strategy.client.scopes, ['user.info.basic']);
    });

    it("takes the verify function alone, as passport-oauth2's new Strategy(verify) (and NestJS's super())", () => {
      const verify: TikTokVerifyFunction = async (_a, _r, profile) => Promise.resolve(profile);
      const s = withEnv({ ...NO_TIKTOK_ENV, ...ENV }, () => new TikTokStrategy(verify));
      assert.equal(s.client.clientKey, 'env-key');
      assert.equal(Reflect.get(Reflect.get(s, 'settings'), 'verify'), verify);
      // Options first and a function in their place is still refused, naming both forms.
      assert.throws(
        () =>
          withEnv({ ...NO_TIKTOK_ENV, ...ENV }, (): void => {
            Reflect.construct(TikTokStrategy, [verify, verify]);
          }),
        { name: 'TypeError', message: /pass \(options, verify\), or the verify function alone/ },
      );
    });

    it('falls back on NEXT_PUBLIC_TIKTOK_REDIRECT_URI', () => {
      const s = withEnv(
        {
          ...NO_TIKTOK_ENV,
          ...ENV,
          TIKTOK_REDIRECT_URI: undefined,
          NEXT_PUBLIC_TIKTOK_REDIRECT_URI: 'https://next.example/cb',
        },
        () => new TikTokStrategy(),
      );
      assert.equal(s.client.redirectUri, 'https://next.example/cb');
    });
  });

  describe('missing configuration is a TypeError at construction', () => {
    it('names every missing setting in one error (nothing set: a first run without a .env)', () => {
      withEnv(NO_TIKTOK_ENV, () => {
        assert.throws(() => new TikTokStrategy(), {
          name: 'TypeError',
          message:
            'TikTokStrategy requires 3 settings: a clientKey option (or the TIKTOK_CLIENT_KEY environment variable), a clientSecret option (or the TIKTOK_CLIENT_SECRET environment variable) and a callbackURL option (or the TIKTOK_REDIRECT_URI / NEXT_PUBLIC_TIKTOK_REDIRECT_URI environment variable)',
        });
      });
    });

    it('names the two missing ones when one is set (a function counts as set)', () => {
      withEnv(NO_TIKTOK_ENV, () => {
        assert.throws(() => new TikTokStrategy({ clientSecret: () => 'secret' }), {
          name: 'TypeError',
          message:
            'TikTokStrategy requires 2 settings: a clientKey option (or the TIKTOK_CLIENT_KEY environment variable) and a callbackURL option (or the TIKTOK_REDIRECT_URI / NEXT_PUBLIC_TIKTOK_REDIRECT_URI environment variable)',
        });
      });
    });

    const cases: [string, Record<string, string | undefined>, string][] = [
      [
        'client key',
        { TIKTOK_CLIENT_KEY: undefined },
        'TikTokStrategy requires a clientKey option (or the TIKTOK_CLIENT_KEY environment variable)',
      ],
      [
        'client secret',
        { TIKTOK_CLIENT_SECRET: undefined },
        'TikTokStrategy requires a clientSecret option (or the TIKTOK_CLIENT_SECRET environment variable)',
      ],
      [
        'redirect URI',
        { TIKTOK_REDIRECT_URI: undefined },
        'TikTokStrategy requires a callbackURL option (or the TIKTOK_REDIRECT_URI / NEXT_PUBLIC_TIKTOK_REDIRECT_URI environment variable)',
      ],
    ];
    for (const [what, env, message] of cases) {
      it(`names the option and the env var: ${what}`, () => {
        withEnv({ ...NO_TIKTOK_ENV, ...ENV, ...env }, () => {
          assert.throws(() => new TikTokStrategy(), { name: 'TypeError', message });
        });
      });
    }

    it('a relative callbackURL is a TypeError naming callbackURL', () => {
      withEnv({ ...NO_TIKTOK_ENV, ...ENV }, () => {
        assert.throws(() => new TikTokStrategy({ callbackURL: '/auth/tiktok/callback' }), {
          name: 'TypeError',
          message:
            'TikTokStrategy option callbackURL (or TIKTOK_REDIRECT_URI / NEXT_PUBLIC_TIKTOK_REDIRECT_URI) must be an absolute URL such as https://example.com/auth/tiktok/callback, got a relative one',
        });
      });
    });

    it('a non-http(s) callbackURL is refused with a shared client too (it never reaches the client)', () => {
      const client = new TikTokClient({
        clientKey: 'k',
        clientSecret: 's',
        redirectUri: 'https://app.example/cb',
      });
      for (const callbackURL of ['ftp://evil.example/cb', 'javascript:alert(1)', '/relative']) {
        assert.throws(
          () => new TikTokStrategy({ client, callbackURL }),
          /^TypeError: TikTokStrategy option callbackURL must be (an http\(s\) URL|an absolute URL)/,
        );
      }
      assert.doesNotThrow(
        () => new TikTokStrategy({ client, callbackURL: 'https://app.example/other-cb' }),
      );
    });

    it('a quoted TIKTOK_CLIENT_SECRET is a TypeError naming the variable', () => {
      withEnv({ ...NO_TIKTOK_ENV, ...ENV, TIKTOK_CLIENT_SECRET: '"env-secret"' }, () => {
        assert.throws(() => new TikTokStrategy(), {
          name: 'TypeError',
          message:
            'the TIKTOK_CLIENT_SECRET environment variable (TikTokStrategy option clientSecret) contains whitespace or surrounding quotes: remove them (a .env value must not be quoted twice or end with a space or newline)',
        });
      });
    });

    it('a misspelled option (passport-oauth2 habits) is a TypeError naming the option meant, not ignored for the env vars', () => {
      withEnv({ ...NO_TIKTOK_ENV, ...ENV }, () => {
        const cases = [
          ['clientId', 'clientKey'],
          ['client_key', 'clientKey'],
          ['client_secret', 'clientSecret'],
          ['callbackUrl', 'callbackURL'],
          ['redirect_uri', 'callbackURL'],
        ] as const;
        for (const [given, meant] of cases) {
          assert.throws(() => new TikTokStrategy({ [given]: 'x' }), {
            name: 'TypeError',
            message: new RegExp(`^TikTokStrategy has no option ${given}: did you mean ${meant}\\?`),
          });
        }
        // The spellings it accepts: clientID (passport-oauth2's) and redirectUri (the client's).
        assert.equal(new TikTokStrategy({ clientID: 'id-key' }).name, 'tiktok');
      });
    });

    it('a scope that is not a string or strings is a TypeError naming the option, not a crash', () => {
      withEnv({ ...NO_TIKTOK_ENV, ...ENV }, () => {
        assert.throws(() => new TikTokStrategy({ scope: [undefined] as never }), {
          name: 'TypeError',
          message:
            /^TikTokStrategy option scope must be a string or an array of strings .*, got an array of undefined$/,
        });
        assert.throws(() => new TikTokStrategy({ scope: 123 as never }), /got 123$/);
      });
    });

    it('rejects bad numbers, flags and hooks, naming the option', () => {
      withEnv({ ...NO_TIKTOK_ENV, ...ENV }, () => {
        assert.throws(
          () => new TikTokStrategy({ maxPendingLogins: 0 }),
          /option maxPendingLogins must be a positive integer/,
        );
        assert.throws(() => new TikTokStrategy({ stateTtlMs: 1.5 }), /option stateTtlMs/);
        assert.throws(() => new TikTokStrategy({ loginDeadlineMs: -1 }), /option loginDeadlineMs/);
        // NOTE: a Node.js timer of a longer delay fires after 1 ms.
        assert.throws(
          () => new TikTokStrategy({ loginDeadlineMs: 2 ** 31 }),
          /^TypeError: TikTokStrategy option loginDeadlineMs must be at most 2147483647 ms/,
        );
        // What a JavaScript caller could pass (Reflect.construct takes untyped arguments).
        const build = (...args: unknown[]): unknown => Reflect.construct(TikTokStrategy, args);
        assert.throws(() => build({ pkce: 'yes' }), /option pkce must be a boolean/);
        assert.throws(
          () => build({ skipUserProfile: 1 }),
          /option skipUserProfile must be a boolean/,
        );
        assert.throws(() => build({ tokenManager: {} }), /option tokenManager must have a save/);
        assert.throws(
          () => build({ claimStore: { claim: 1 } }),
          /option claimStore must have claim/,
        );
        assert.throws(() => build({ client: {} }), /option client must be a TikTokClient/);
        assert.throws(() => build({}, 'verify'), /verify must be a function/);
        assert.throws(
          () => build({ callbackURL: 'not-a-url' }),
          /^TypeError: TikTokStrategy option callbackURL \(or TIKTOK_REDIRECT_URI \/ NEXT_PUBLIC_TIKTOK_REDIRECT_URI\) must be an absolute URL/,
        );
      });
    });
  });

  describe('explicit options', () => {
    it('win over the environment; clientID is an alias of clientKey', () => {
      const s = withEnv(
        { ...NO_TIKTOK_ENV, ...ENV },
        () =>
          new TikTokStrategy({
            clientID: 'explicit-id',
            callbackURL: 'https://explicit.example/cb',
          }),
      );
      assert.equal(s.client.clientKey, 'explicit-id');
      assert.equal(s.client.redirectUri, 'https://explicit.example/cb');
    });

    it('clientKey wins over clientID', () => {
      const s = withEnv(
        { ...NO_TIKTOK_ENV, ...ENV },
        () => new TikTokStrategy({ clientKey: 'k', clientID: 'id' }),
      );
      assert.equal(s.client.clientKey, 'k');
    });

    it('scope accepts a comma or space separated string or an array', () => {
      withEnv({ ...NO_TIKTOK_ENV, ...ENV }, () => {
        const expected = ['user.info.basic', 'user.info.profile'];
        assert.deepEqual(
          new TikTokStrategy({ scope: 'user.info.basic,user.info.profile' }).client.scopes,
          expected,
        );
        assert.deepEqual(
          new TikTokStrategy({ scope: 'user.info.basic user.info.profile' }).client.scopes,
          expected,
        );
        assert.deepEqual(new TikTokStrategy({ scope: expected }).client.scopes, expected);
      });
    });

    it('shares a given client (no env needed)', () => {
      const client = withEnv({ ...NO_TIKTOK_ENV, ...ENV }, () => new TikTokClient());
      const s = withEnv(NO_TIKTOK_ENV, () => new TikTokStrategy({ client }));
      assert.equal(s.client, client);
    });

    it("refuses passport-oauth2's sessionKey, which it would not use, naming what keeps strategies apart", () => {
      const client = withEnv({ ...NO_TIKTOK_ENV, ...ENV }, () => new TikTokClient());
      assert.throws(() => new TikTokStrategy({ client, sessionKey: 'oauth2:admin' } as never), {
        name: 'TypeError',
        message: /has no option sessionKey: .* kept apart by its callbackURL/,
      });
    });

    it('checks maxAttempts with a shared client too (no client checks it then: every login failed)', () => {
      const client = withEnv({ ...NO_TIKTOK_ENV, ...ENV }, () => new TikTokClient());
      for (const bad of [0, -1, 1.5, '3']) {
        assert.throws(
          () => new TikTokStrategy({ client, maxAttempts: bad as number }),
          {
            name: 'TypeError',
            message: /TikTokStrategy option maxAttempts must be a positive integer/,
          },
          String(bad),
        );
      }
      assert.doesNotThrow(() => new TikTokStrategy({ client, maxAttempts: 2 }));
    });
  });

  describe('scopes without user.info.basic', () => {
    it("are a TypeError naming the fix: the profile's open_id needs that scope", () => {
      withEnv({ ...NO_TIKTOK_ENV, ...ENV }, () => {
        assert.throws(
          () => new TikTokStrategy({ scope: ['user.info.profile', 'user.info.stats'] }),
          /^TypeError: TikTokStrategy option scope must include user\.info\.basic \(got 'user\.info\.profile,user\.info\.stats'\).*skipUserProfile: true/,
        );
        const client = new TikTokClient({ scopes: ['video.list'] });
        assert.throws(
          () => new TikTokStrategy({ client }),
          /^TypeError: TikTokStrategy's client scopes must include user\.info\.basic/,
        );
      });
    });

    it('are accepted when no profile is fetched by the strategy: skipUserProfile, or a userProfile() override', () => {
      withEnv({ ...NO_TIKTOK_ENV, ...ENV }, () => {
        const skipping = new TikTokStrategy({ scope: 'video.list', skipUserProfile: true });
        assert.deepEqual(skipping.client.scopes, ['video.list']);
        class OwnProfile extends TikTokStrategy {
          override userProfile(
            _accessToken: string,
            done: (err?: unknown, profile?: never) => void,
          ): void {
            done(null);
          }
        }
        assert.doesNotThrow(() => new OwnProfile({ scope: 'video.list' }));
      });
    });
  });

  describe('a callbackURL TikTok refuses', () => {
    const REFUSED = 'TikTok will refuse the redirect URI';

    it('is logged at construction, naming the strategy option, also with a shared client', () => {
      const own = new CaptureLogger();
      withEnv(
        { ...NO_TIKTOK_ENV, ...ENV },
        () => new TikTokStrategy({ callbackURL: 'http://app.example/cb', logger: own }),
      );
      assert.equal(own.events(REFUSED).length, 1);
      assert.equal(own.events(REFUSED)[0]?.meta?.option, 'TikTokStrategy option callbackURL');

      const shared = new CaptureLogger();
      const client = withEnv(
        { ...NO_TIKTOK_ENV, ...ENV },
        () => new TikTokClient({ logger: shared }),
      );
      assert.deepEqual(shared.lines, [], 'the client redirect URI is https');
      withEnv(
        NO_TIKTOK_ENV,
        () => new TikTokStrategy({ client, callbackURL: 'https://app.example/cb?next=1' }),
      );
      const lines = shared.events(REFUSED);
      assert.equal(lines.length, 1);
      assert.equal(lines[0]?.meta?.option, 'TikTokStrategy option callbackURL');
      assert.match(String(lines[0]?.meta?.detail), /query string/);
    });

    it('with a fragment is a TypeError naming callbackURL', () => {
      withEnv({ ...NO_TIKTOK_ENV, ...ENV }, () => {
        assert.throws(
          () => new TikTokStrategy({ callbackURL: 'https://app.example/cb#top' }),
          /^TypeError: TikTokStrategy option callbackURL \(or TIKTOK_REDIRECT_URI \/ NEXT_PUBLIC_TIKTOK_REDIRECT_URI\) must not have a fragment/,
        );
        const client = new TikTokClient();
        assert.throws(
          () => new TikTokStrategy({ client, callbackURL: 'https://app.example/cb#top' }),
          /^TypeError: TikTokStrategy option callbackURL must not have a fragment/,
        );
      });
    });
  });
});

describe('loginDeadlineAt', () => {
  it('leaves 5 % of loginDeadlineMs, at most 250 ms, for answering the browser', () => {
    assert.equal(loginDeadlineAt(1000, 1500), 1000 + 1500 - 75);
    assert.equal(loginDeadlineAt(1000, 5000), 1000 + 5000 - 250);
    assert.equal(loginDeadlineAt(1000, 12_000), 1000 + 12_000 - 250);
    assert.equal(loginDeadlineAt(1000, 10), 1000 + 10);
  });
});
