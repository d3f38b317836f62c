import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readConfig } from '../../example/config';

const TOKEN_KEY = randomBytes(32).toString('base64');
const REAL = {
  TIKTOK_CLIENT_KEY: 'aw-key',
  TIKTOK_CLIENT_SECRET: 'aw-secret',
  TIKTOK_REDIRECT_URI: 'https://demo.ngrok.app/auth/tiktok/callback',
  TIKTOK_TOKEN_KEY: TOKEN_KEY,
};

describe('example app: readConfig', () => {
  describe('a fresh machine (no variables)', () => {
    it('emulator mode on port 3000, memory sessions, login on, info logs, no secure cookies', () => {
      assert.deepEqual(readConfig({}), {
        port: 3000,
        host: undefined,
        emulatorPort: undefined,
        tiktok: undefined,
        redisUrl: undefined,
        tokenKey: undefined,
        redisClusterNodes: undefined,
        sessionSecret: undefined,
        previousSessionSecrets: [],
        production: false,
        trustProxy: undefined,
        secureCookies: false,
        loginRateLimit: { limit: 30, windowMs: 60_000 },
        oauthEnabled: true,
        logLevel: 'info',
      });
    });

    it('blank values count as unset', () => {
      assert.equal(readConfig({ PORT: '', TIKTOK_CLIENT_KEY: '  ' }).tiktok, undefined);
    });
  });

  describe('the real TikTok', () => {
    it('TIKTOK_CLIENT_KEY/SECRET/REDIRECT_URI switch the emulator off', () => {
      assert.deepEqual(readConfig(REAL).tiktok, {
        clientKey: 'aw-key',
        clientSecret: 'aw-secret',
        redirectUri: 'https://demo.ngrok.app/auth/tiktok/callback',
      });
    });

    it('NEXT_PUBLIC_TIKTOK_REDIRECT_URI is the fallback redirect URI', () => {
      const { TIKTOK_REDIRECT_URI, ...rest } = REAL;
      const config = readConfig({ ...rest, NEXT_PUBLIC_TIKTOK_REDIRECT_URI: TIKTOK_REDIRECT_URI });
      assert.equal(config.tiktok?.redirectUri, TIKTOK_REDIRECT_URI);
    });

    it('a key without secret and redirect URI names both', () => {
      assert.throws(() => readConfig({ TIKTOK_CLIENT_KEY: 'k' }), {
        name: 'TypeError',
        message:
          'TIKTOK_CLIENT_KEY is set, so TIKTOK_CLIENT_SECRET and TIKTOK_REDIRECT_URI must be set too',
      });
    });

    it('a secret without a key is refused', () => {
      assert.throws(() => readConfig({ TIKTOK_CLIENT_SECRET: 's' }), /TIKTOK_CLIENT_KEY is not/);
    });

    it('TIKTOK_TOKEN_KEY is required with real credentials, saying how to make one', () => {
      assert.throws(() => readConfig({ ...REAL, TIKTOK_TOKEN_KEY: undefined }), {
        name: 'TypeError',
        message:
          'TIKTOK_TOKEN_KEY is required with real TikTok credentials: it encrypts the TikTok tokens at rest. Make one with `openssl rand -base64 32`',
      });
      assert.equal(readConfig(REAL).tokenKey, TOKEN_KEY);
      const hex = randomBytes(32).toString('hex');
      assert.equal(readConfig({ ...REAL, TIKTOK_TOKEN_KEY: hex }).tokenKey, hex);
    });

    it('a TIKTOK_TOKEN_KEY that is not 32 bytes is refused (emulator mode too)', () => {
      for (const bad of ['short', randomBytes(16).toString('base64'), 'x'.repeat(64)]) {
        assert.throws(
          () => readConfig({ TIKTOK_TOKEN_KEY: bad }),
          /^TypeError: TIKTOK_TOKEN_KEY must be 32 random bytes as base64 or 64 hex characters/,
        );
      }
    });

    it('LOGIN_RATE_LIMIT / LOGIN_RATE_WINDOW_SECONDS set the login rate limit; 0 turns it off', () => {
      assert.deepEqual(
        readConfig({ LOGIN_RATE_LIMIT: '5', LOGIN_RATE_WINDOW_SECONDS: '10' }).loginRateLimit,
        { limit: 5, windowMs: 10_000 },
      );
      assert.equal(readConfig({ LOGIN_RATE_LIMIT: '0' }).loginRateLimit, false);
      assert.throws(
        () => readConfig({ LOGIN_RATE_LIMIT: 'many' }),
        /LOGIN_RATE_LIMIT must be a whole number/,
      );
      assert.throws(
        () => readConfig({ LOGIN_RATE_WINDOW_SECONDS: '0' }),
        /LOGIN_RATE_WINDOW_SECONDS must be at least 1/,
      );
    });

    it('a relative redirect URI is refused', () => {
      assert.throws(() => readConfig({ ...REAL, TIKTOK_REDIRECT_URI: '/cb' }), /absolute URL/);
    });
  });

  describe('production (NODE_ENV=production)', () => {
    const prod = { ...REAL, NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(32) };

    it('requires SESSION_SECRET, with a clear error', () => {
      assert.throws(() => readConfig({ ...prod, SESSION_SECRET: undefined }), {
        name: 'TypeError',
        message: /^SESSION_SECRET is required when NODE_ENV=production/,
      });
    });

    it('requires the real TikTok (no emulator)', () => {
      assert.throws(
        () => readConfig({ NODE_ENV: 'production', SESSION_SECRET: 's'.repeat(32) }),
        /TIKTOK_CLIENT_KEY is required when NODE_ENV=production/,
      );
    });

    it('refuses a SESSION_SECRET shorter than 32 characters, naming it', () => {
      assert.throws(() => readConfig({ ...prod, SESSION_SECRET: 'x'.repeat(31) }), {
        name: 'TypeError',
        message: /^SESSION_SECRET must be at least 32 characters when NODE_ENV=production/,
      });
      // Not in development, and not the former secrets: rotating away from a weak one works.
      assert.equal(readConfig({ SESSION_SECRET: 'short' }).sessionSecret, 'short');
      assert.deepEqual(
        readConfig({ ...prod, SESSION_SECRET_PREVIOUS: 'weak' }).previousSessionSecrets,
        ['weak'],
      );
    });

    it('SESSION_SECRET_PREVIOUS: former secrets (comma-separated) still verify; the current one signs', () => {
      const fresh = 'new-secret-'.padEnd(32, '0');
      const config = readConfig({
        ...prod,
        SESSION_SECRET: fresh,
        SESSION_SECRET_PREVIOUS: ` old-1 , old-2,,${fresh}`,
      });
      assert.equal(config.sessionSecret, fresh);
      assert.deepEqual(config.previousSessionSecrets, ['old-1', 'old-2']);
      assert.throws(
        () => readConfig({ SESSION_SECRET_PREVIOUS: 'old-1' }),
        /^TypeError: SESSION_SECRET_PREVIOUS is set but SESSION_SECRET is not/,
      );
    });

    it('sets secure cookies', () => {
      const config = readConfig(prod);
      assert.equal(config.production, true);
      assert.equal(config.secureCookies, true);
    });
  });

  describe('TRUST_PROXY', () => {
    for (const [value, expected] of [
      ['1', 1],
      ['loopback, 10.0.0.0/8', 'loopback, 10.0.0.0/8'],
    ] as const) {
      it(`"${value}" → trust proxy ${JSON.stringify(expected)} and secure cookies`, () => {
        const config = readConfig({ TRUST_PROXY: value });
        assert.equal(config.trustProxy, expected);
        assert.equal(config.secureCookies, true);
      });
    }

    it('"true" is refused: every client could choose its IP and pass the login rate limit', () => {
      assert.throws(() => readConfig({ TRUST_PROXY: 'true' }), {
        name: 'TypeError',
        message: /TRUST_PROXY=true would let every client choose its IP.*set the number of proxies/,
      });
    });

    it('"false" → unset', () => {
      assert.equal(readConfig({ TRUST_PROXY: 'false' }).trustProxy, undefined);
    });
  });

  describe('the other variables', () => {
    it('PORT, EMULATOR_PORT, HOST, REDIS_URL, TIKTOK_LOG_LEVEL', () => {
      const config = readConfig({
        PORT: '8080',
        EMULATOR_PORT: '0',
        HOST: '127.0.0.1',
        REDIS_URL: 'redis://127.0.0.1:6379',
        TIKTOK_LOG_LEVEL: 'WARN',
      });
      assert.deepEqual(
        [config.port, config.emulatorPort, config.host, config.redisUrl, config.logLevel],
        [8080, 0, '127.0.0.1', 'redis://127.0.0.1:6379', 'warn'],
      );
    });

    it('REDIS_CLUSTER_NODES: host:port and redis:// entries, as URLs', () => {
      assert.deepEqual(
        readConfig({
          REDIS_CLUSTER_NODES: ' 10.0.0.1:7000, redis://:pw@10.0.0.2:7001 ,rediss://h:7002',
        }).redisClusterNodes,
        ['redis://10.0.0.1:7000', 'redis://:pw@10.0.0.2:7001', 'rediss://h:7002'],
      );
    });

    for (const bad of ['10.0.0.1', '10.0.0.1:0', 'a:70000', 'http://h:1', '10.0.0.1:7000,,']) {
      it(`REDIS_CLUSTER_NODES="${bad}" → TypeError naming the variable`, () => {
        assert.throws(
          () => readConfig({ REDIS_CLUSTER_NODES: bad }),
          /^TypeError: REDIS_CLUSTER_NODES must list host:port/,
        );
      });
    }

    for (const [entry, shown] of [
      ['redis://:hunter2@h', 'redis://:***@h'],
      ['redis://u:hunter2@h:99999', 'redis://***@h:99999'],
    ] as const) {
      it(`a bad REDIS_CLUSTER_NODES entry is shown without its password (${shown})`, () => {
        assert.throws(
          () => readConfig({ REDIS_CLUSTER_NODES: entry }),
          (err: unknown) =>
            err instanceof TypeError &&
            err.message.includes(`"${shown}"`) &&
            !err.message.includes('hunter2'),
        );
      });
    }

    it('a REDIS_URL that is no redis:// URL → TypeError naming the variable, never its value', () => {
      for (const bad of [
        'localhost:6379',
        '127.0.0.1',
        'http://h:6379',
        'redis//h',
        'x:secret@h',
      ]) {
        assert.throws(() => readConfig({ REDIS_URL: bad }), {
          name: 'TypeError',
          message:
            /^REDIS_URL must be a redis:\/\/ \(or rediss:\/\/\) URL, e\.g\. redis:\/\/127\.0\.0\.1:6379/,
        });
        try {
          readConfig({ REDIS_URL: bad });
        } catch (err) {
          assert.ok(!String(err).includes('secret'));
        }
      }
      assert.equal(readConfig({ REDIS_URL: 'rediss://h:6380/1' }).redisUrl, 'rediss://h:6380/1');
    });

    it('REDIS_URL and REDIS_CLUSTER_NODES together → TypeError', () => {
      assert.throws(
        () => readConfig({ REDIS_URL: 'redis://h:6379', REDIS_CLUSTER_NODES: 'h:7000' }),
        /REDIS_URL and REDIS_CLUSTER_NODES are both set/,
      );
    });

    for (const [value, expected] of [
      ['false', false],
      ['0', false],
      ['off', false],
      ['true', true],
      ['yes', true],
    ] as const) {
      it(`TIKTOK_OAUTH_ENABLED=${value} → ${expected}`, () => {
        assert.equal(readConfig({ TIKTOK_OAUTH_ENABLED: value }).oauthEnabled, expected);
      });
    }

    for (const [name, value, message] of [
      ['PORT', 'http', /PORT must be a port number/],
      ['PORT', '70000', /PORT must be a port number/],
      ['EMULATOR_PORT', '-1', /EMULATOR_PORT must be a port number/],
      ['TIKTOK_OAUTH_ENABLED', 'maybe', /TIKTOK_OAUTH_ENABLED must be true or false/],
      [
        'TIKTOK_LOG_LEVEL',
        'verbose',
        /TIKTOK_LOG_LEVEL must be one of debug, info, warn, error, silent/,
      ],
    ] as const) {
      it(`${name}=${value} is refused, naming the variable`, () => {
        assert.throws(() => readConfig({ [name]: value }), { name: 'TypeError', message });
      });
    }
  });
});
