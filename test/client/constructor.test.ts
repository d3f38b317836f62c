import assert from 'node:assert/strict';
import { TikTokClient } from '../../lib';
import { NO_TIKTOK_ENV, withEnv } from '../support/env';
import { rejection } from '../support/assertions';
import { CaptureLogger } from '../support/capture-logger';

const EXPLICIT = {
  clientKey: 'key-explicit',
  clientSecret: 'secret-explicit',
  redirectUri: 'https://app.example/auth/tiktok/callback',
};

/** The TypeError `fn` throws (fails the test when it throws anything else, or nothing). */
function rejectionOf(fn: () => unknown): TypeError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TypeError) return err;
    throw err;
  }
  assert.fail('expected a TypeError');
}

function typeError(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof TypeError && message.test(err.message));
}

describe('TikTokClient', () => {
  describe('constructed without configuration', () => {
    it('throws a TypeError naming clientKey and TIKTOK_CLIENT_KEY', () => {
      withEnv(NO_TIKTOK_ENV, () =>
        typeError(
          () => new TikTokClient({ clientSecret: 's', redirectUri: EXPLICIT.redirectUri }),
          /^TikTokClient requires a clientKey option \(or the TIKTOK_CLIENT_KEY environment variable\)$/,
        ),
      );
    });

    it('throws a TypeError naming clientSecret and TIKTOK_CLIENT_SECRET', () => {
      withEnv(NO_TIKTOK_ENV, () =>
        typeError(
          () => new TikTokClient({ clientKey: 'k', redirectUri: EXPLICIT.redirectUri }),
          /^TikTokClient requires a clientSecret option \(or the TIKTOK_CLIENT_SECRET environment variable\)$/,
        ),
      );
    });

    it('throws a TypeError naming redirectUri and both redirect env vars', () => {
      withEnv(NO_TIKTOK_ENV, () =>
        typeError(
          () => new TikTokClient({ clientKey: 'k', clientSecret: 's' }),
          /^TikTokClient requires a redirectUri option \(or the TIKTOK_REDIRECT_URI \/ NEXT_PUBLIC_TIKTOK_REDIRECT_URI environment variable\)$/,
        ),
      );
    });

    it('treats empty strings as missing', () => {
      withEnv({ ...NO_TIKTOK_ENV, TIKTOK_CLIENT_KEY: '' }, () =>
        typeError(() => new TikTokClient({ ...EXPLICIT, clientKey: '' }), /clientKey option/),
      );
    });

    it('names the owner and callbackURL when built for the strategy', () => {
      withEnv(NO_TIKTOK_ENV, () =>
        typeError(
          () => new TikTokClient({ clientKey: 'k', clientSecret: 's' }, 'TikTokStrategy'),
          /^TikTokStrategy requires a callbackURL option \(or the TIKTOK_REDIRECT_URI/,
        ),
      );
    });
  });

  describe('constructed with a quoted or padded credential (a common .env mistake)', () => {
    const SECRET = 'secret-value-1234';
    for (const [what, value] of [
      ['surrounding double quotes', `"${SECRET}"`],
      ['surrounding single quotes', `'${SECRET}'`],
      ['a trailing newline', `${SECRET}\n`],
      ['a leading space', ` ${SECRET}`],
    ] as const) {
      it(`TIKTOK_CLIENT_SECRET with ${what}: a TypeError naming the variable, never the value`, () => {
        const err = withEnv({ ...NO_TIKTOK_ENV, TIKTOK_CLIENT_SECRET: value }, () =>
          rejectionOf(
            () => new TikTokClient({ clientKey: 'k', redirectUri: EXPLICIT.redirectUri }),
          ),
        );
        assert.equal(
          err.message,
          'the TIKTOK_CLIENT_SECRET environment variable (TikTokClient option clientSecret) contains whitespace or surrounding quotes: remove them (a .env value must not be quoted twice or end with a space or newline)',
        );
        assert.ok(!err.message.includes(SECRET));
      });
    }

    it('an explicit clientKey option with quotes names the option (and the owner)', () => {
      const err = withEnv(NO_TIKTOK_ENV, () =>
        rejectionOf(
          () => new TikTokClient({ ...EXPLICIT, clientKey: '"aw1234"' }, 'TikTokStrategy'),
        ),
      );
      assert.match(
        err.message,
        /^TikTokStrategy option clientKey contains whitespace or surrounding quotes/,
      );
      assert.ok(!err.message.includes('aw1234'));
    });

    it('TIKTOK_CLIENT_KEY with a trailing space names TIKTOK_CLIENT_KEY', () => {
      const err = withEnv({ ...NO_TIKTOK_ENV, TIKTOK_CLIENT_KEY: 'aw1234 ' }, () =>
        rejectionOf(
          () => new TikTokClient({ clientSecret: 's', redirectUri: EXPLICIT.redirectUri }),
        ),
      );
      assert.match(
        err.message,
        /^the TIKTOK_CLIENT_KEY environment variable \(TikTokClient option clientKey\) contains whitespace/,
      );
    });
  });

  describe('constructed from the environment', () => {
    it('reads TIKTOK_CLIENT_KEY, TIKTOK_CLIENT_SECRET and TIKTOK_REDIRECT_URI', () => {
      const client = withEnv(
        {
          ...NO_TIKTOK_ENV,
          TIKTOK_CLIENT_KEY: 'key-env',
          TIKTOK_CLIENT_SECRET: 'secret-env',
          TIKTOK_REDIRECT_URI: 'https://env.example/cb',
          NEXT_PUBLIC_TIKTOK_REDIRECT_URI: 'https://next.example/cb',
        },
        () => new TikTokClient(),
      );
      assert.equal(client.clientKey, 'key-env');
      assert.equal(client.redirectUri, 'https://env.example/cb');
      assert.deepEqual(client.scopes, ['user.info.basic']);
    });

    it('falls back on NEXT_PUBLIC_TIKTOK_REDIRECT_URI', () => {
      const client = withEnv(
        {
          ...NO_TIKTOK_ENV,
          TIKTOK_CLIENT_KEY: 'key-env',
          TIKTOK_CLIENT_SECRET: 'secret-env',
          NEXT_PUBLIC_TIKTOK_REDIRECT_URI: 'https://next.example/cb',
        },
        () => new TikTokClient(),
      );
      assert.equal(client.redirectUri, 'https://next.example/cb');
    });

    it('lets explicit options win over the environment', () => {
      const client = withEnv(
        {
          TIKTOK_CLIENT_KEY: 'key-env',
          TIKTOK_CLIENT_SECRET: 'secret-env',
          TIKTOK_REDIRECT_URI: 'https://env.example/cb',
        },
        () => new TikTokClient(EXPLICIT),
      );
      assert.equal(client.clientKey, 'key-explicit');
      assert.equal(client.redirectUri, EXPLICIT.redirectUri);
    });
  });

  describe('constructed with bad options', () => {
    it("a number given as a string says it is a string: the message's value does not look valid", () => {
      typeError(
        () => new TikTokClient({ ...EXPLICIT, timeoutMs: '5000' as never }),
        /^TikTokClient option timeoutMs must be a positive integer, got the string '5000'$/,
      );
    });

    it('a misspelled option (callbackURL, clientId, scope) is a TypeError naming the option meant', () => {
      for (const [given, meant] of [
        ['callbackURL', 'redirectUri'],
        ['clientId', 'clientKey'],
        ['scope', 'scopes'],
      ] as const) {
        typeError(
          () => new TikTokClient({ ...EXPLICIT, [meant]: undefined, [given]: 'x' }),
          new RegExp(`^TikTokClient has no option ${given}: did you mean ${meant}\\?`),
        );
        // Beside the option meant it is only ignored: one options object may serve a strategy too.
        assert.doesNotThrow(
          () => new TikTokClient({ ...EXPLICIT, scopes: ['user.info.basic'], [given]: 'x' }),
        );
      }
    });

    for (const option of ['timeoutMs', 'maxAttempts', 'retryBaseDelayMs', 'deadlineMs'] as const) {
      it(`${option}: 0, -1, 1.5 and NaN are TypeErrors naming the option`, () => {
        for (const value of [0, -1, 1.5, Number.NaN]) {
          typeError(
            () => new TikTokClient({ ...EXPLICIT, [option]: value }),
            new RegExp(
              `^TikTokClient option ${option} must be a positive integer, got ${String(value)}$`,
            ),
          );
        }
      });
    }

    for (const option of ['timeoutMs', 'retryBaseDelayMs'] as const) {
      it(`${option}: above 2^31 − 1 ms is a TypeError naming the option (a Node.js timer would fire after 1 ms)`, () => {
        typeError(
          () => new TikTokClient({ ...EXPLICIT, [option]: 2 ** 31 }),
          new RegExp(
            `^TikTokClient option ${option} must be at most 2147483647 ms .*, got 2147483648$`,
          ),
        );
        assert.ok(new TikTokClient({ ...EXPLICIT, [option]: 2 ** 31 - 1 }) instanceof TikTokClient);
      });
    }

    for (const option of [
      'redirectUri',
      'authorizationURL',
      'tokenURL',
      'revokeURL',
      'userInfoURL',
    ] as const) {
      it(`${option}: a relative or non-http URL is a TypeError naming the option`, () => {
        typeError(
          () => new TikTokClient({ ...EXPLICIT, [option]: '/v2/oauth/token/' }),
          new RegExp(
            `^TikTokClient option ${option}( \\(or [A-Z_ /]+\\))? must be an absolute URL`,
          ),
        );
        typeError(
          () => new TikTokClient({ ...EXPLICIT, [option]: 'ftp://x.example/' }),
          new RegExp(
            `^TikTokClient option ${option}( \\(or [A-Z_ /]+\\))? must be an http\\(s\\) URL`,
          ),
        );
      });
    }

    it('normalises scopes (comma or space separated, deduplicated), empty → default', () => {
      const client = new TikTokClient({
        ...EXPLICIT,
        scopes: ['user.info.basic, user.info.profile', 'user.info.basic'],
      });
      assert.deepEqual(client.scopes, ['user.info.basic', 'user.info.profile']);
      assert.deepEqual(new TikTokClient({ ...EXPLICIT, scopes: [' '] }).scopes, [
        'user.info.basic',
      ]);
    });
  });

  describe('refusing bad input before any request', () => {
    const client = new TikTokClient({
      ...EXPLICIT,
      fetch: () => Promise.reject(new Error('must not be called')),
    });

    it('an empty or over-2-KiB code is VALIDATION_ERROR with the caller correlation ID', async () => {
      for (const code of ['', 'c'.repeat(2049)]) {
        const err = await rejection(client.exchangeCodeForTokens(code, { correlationId: 'mine' }));
        assert.equal(err.code, 'VALIDATION_ERROR');
        assert.equal(err.statusCode, 400);
        assert.equal(err.correlationId, 'mine');
        assert.equal(err.message, 'The authorization code is missing, empty or longer than 2 KiB.');
      }
    });

    it('an empty, over-4-KiB or non-token-character token is VALIDATION_ERROR, nothing sent', async () => {
      const calls: [string, Promise<unknown>][] = [
        ['refresh token', client.refreshAccessToken('')],
        ['access token', client.getUserInfo('t'.repeat(4097))],
        ['access token', client.revokeAccess('')],
        // CR/LF or non-Latin-1 would make the HTTP layer throw a raw TypeError (fuzzer finding).
        ['access token', client.getUserInfo('act.bad\r\ntoken')],
        ['refresh token', client.refreshAccessToken('rft.é')],
        ['access token', client.revokeAccess('act. space')],
      ];
      for (const [what, call] of calls) {
        const err = await rejection(call);
        assert.equal(err.code, 'VALIDATION_ERROR');
        assert.equal(
          err.message,
          `The ${what} is missing, empty, too long or contains characters a token cannot have.`,
        );
        assert.match(err.correlationId, /^tiktok-\d{13}-[0-9a-f]{8}$/);
      }
    });
  });
});

describe('TikTokClient', () => {
  describe('redirect URI checks', () => {
    const REFUSED = 'TikTok will refuse the redirect URI';

    function warningsFor(redirectUri: string, extra: Record<string, string> = {}): CaptureLogger {
      const logger = new CaptureLogger();
      new TikTokClient({ ...EXPLICIT, redirectUri, logger, ...extra });
      return logger;
    }

    it('warns at construction about a redirect URI TikTok refuses, naming the rule', () => {
      const cases: Array<[string, RegExp]> = [
        [
          'http://app.example/auth/tiktok/callback',
          /it is http, and TikTok takes https redirect URIs only/,
        ],
        ['https://app.example/auth/tiktok/callback?tenant=1', /query string/],
        ['http://localhost/auth/tiktok/callback', /only with a port number/],
        [
          `https://app.example/${'a'.repeat(520)}`,
          /characters long, and TikTok takes redirect URIs under 512/,
        ],
      ];
      for (const [uri, detail] of cases) {
        const lines = warningsFor(uri).events(REFUSED);
        assert.equal(lines.length, 1, uri);
        assert.equal(lines[0]?.level, 'warn', uri);
        assert.equal(lines[0]?.meta?.option, 'TikTokClient option redirectUri', uri);
        assert.equal(lines[0]?.meta?.redirectUri, uri, uri);
        assert.match(String(lines[0]?.meta?.detail), detail, uri);
      }
    });

    it('says nothing about a redirect URI TikTok registers, or for another authorization endpoint', () => {
      for (const uri of [
        'https://app.example/auth/tiktok/callback',
        'https://app.example/auth/tiktok/callback/',
        'http://localhost:3000/auth/tiktok/callback',
        'http://127.0.0.1:3455/callback/',
      ]) {
        assert.deepEqual(warningsFor(uri).lines, [], uri);
      }
      // The emulator (or a proxy of TikTok's page) takes any http(s) redirect URI.
      const emulated = warningsFor('http://app.example/auth/tiktok/callback?x=1', {
        authorizationURL: 'http://127.0.0.1:4000/v2/auth/authorize/',
      });
      assert.deepEqual(emulated.lines, []);
    });

    it('refuses a redirect URI with a fragment (RFC 6749 3.1.2), whatever the endpoints', () => {
      for (const uri of ['https://app.example/cb#x', 'https://app.example/cb#']) {
        typeError(
          () => new TikTokClient({ ...EXPLICIT, redirectUri: uri }),
          /^TikTokClient option redirectUri \(or TIKTOK_REDIRECT_URI \/ NEXT_PUBLIC_TIKTOK_REDIRECT_URI\) must not have a fragment/,
        );
      }
    });
  });
});
