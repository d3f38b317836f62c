import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import {
  startTikTokEmulator,
  type TikTokEmulator,
  type TikTokEmulatorOptions,
} from '../../lib/testing';
import {
  assertOAuthError,
  assertUserInfoError,
  authorizeUrl,
  get,
  jsonObject,
  postForm,
  stringProp,
  userInfo,
  REDIRECT_URI,
} from './helpers';
import { runScript } from '../support/script-process';
import { resolveRateLimits } from '../../lib/testing/rate-limiter';

describe('startTikTokEmulator', () => {
  let tt: TikTokEmulator;
  let now = Date.UTC(2025, 5, 1, 12, 30, 45);

  before(async () => {
    tt = await startTikTokEmulator({
      clock: () => now,
      rateLimit: { limit: 3, windowMs: 1000 },
      redirectUris: [REDIRECT_URI],
    });
  });
  after(() => tt.close());
  beforeEach(() => tt.reset());

  function clientCredentials(): Promise<Response> {
    return postForm(tt.endpoints.tokenURL, {
      client_key: tt.clientKey,
      client_secret: tt.clientSecret,
      grant_type: 'client_credentials',
    });
  }

  describe('started', () => {
    it('listens on an ephemeral 127.0.0.1 port and names the endpoints with trailing slashes', () => {
      assert.ok(tt.port > 0);
      assert.equal(tt.url, `http://127.0.0.1:${tt.port}`);
      assert.deepEqual(tt.endpoints, {
        authorizationURL: `${tt.url}/v2/auth/authorize/`,
        tokenURL: `${tt.url}/v2/oauth/token/`,
        revokeURL: `${tt.url}/v2/oauth/revoke/`,
        userInfoURL: `${tt.url}/v2/user/info/`,
      });
      assert.equal(tt.clientKey, 'emulator-client-key');
      assert.equal(tt.clientSecret, 'emulator-client-secret');
    });

    it('has one default user and adds more with defaults', () => {
      assert.equal(tt.users.length, 1);
      assert.deepEqual(tt.users[0], {
        openId: 'emulator-open-id-1',
        unionId: 'emulator-union-id-1',
        displayName: 'Emulator User',
        username: 'emulator_user',
        avatarUrl: `${tt.url}/emulator/avatar/emulator-open-id-1.svg`,
        avatarUrl100: `${tt.url}/emulator/avatar/emulator-open-id-1.svg?size=100`,
        avatarLargeUrl: `${tt.url}/emulator/avatar/emulator-open-id-1.svg?size=large`,
        bioDescription: 'Bio of Emulator User',
        isVerified: false,
        followerCount: 1234,
        followingCount: 56,
        likesCount: 7890,
        videoCount: 12,
        profileDeepLink: `${tt.url}/@emulator_user`,
      });
      const second = tt.addUser({ displayName: 'Zoe' });
      assert.equal(second.openId, 'emulator-open-id-2');
      assert.equal(second.username, 'emulator_user_2');
      assert.equal(tt.users.length, 2);
      assert.throws(() => tt.addUser({ openId: 'emulator-open-id-2' }), TypeError);
      // A user given no open_id takes the next default one nobody holds.
      tt.addUser({ openId: 'emulator-open-id-4' });
      assert.equal(tt.users.length, 3);
      assert.equal(tt.addUser().openId, 'emulator-open-id-5');
      // A signed avatar URL keeps its query: the size is added after it.
      const signed = tt.addUser({ avatarUrl: 'https://cdn.example/a.jpeg?sig=abc' });
      assert.equal(signed.avatarUrl100, 'https://cdn.example/a.jpeg?sig=abc&size=100');
      assert.equal(signed.avatarLargeUrl, 'https://cdn.example/a.jpeg?sig=abc&size=large');
      assert.throws(() => tt.issueTokens('nobody'), TypeError);
      assert.throws(() => tt.issueTokens(second.openId, ['user.email']), TypeError);
    });

    it('serves user data TikTok could send as JSON: lone surrogates, control characters, emoji', async () => {
      // `"\ud800"` is valid JSON: the user info answer carries it escaped, as it was given; the
      // profile link (a URL) has U+FFFD in its place. encodeURIComponent used to throw at start.
      const username = 'zoé\ud800_😀';
      const odd = await startTikTokEmulator({
        users: [{ username, displayName: 'a\u0000b\udc00' }],
      });
      try {
        const [user] = odd.users;
        assert.equal(user?.username, username);
        assert.equal(user.profileDeepLink, `${odd.url}/@zo%C3%A9%EF%BF%BD_%F0%9F%98%80`);
        const { access_token } = odd.issueTokens(user.openId, [
          'user.info.basic',
          'user.info.profile',
        ]);
        const body = await (
          await userInfo(odd, access_token, 'open_id,username,display_name')
        ).text();
        assert.ok(body.includes('"username":"zoé\\ud800_😀"'), body);
        assert.ok(body.includes('"display_name":"a\\u0000b\\udc00"'), body);
      } finally {
        await odd.close();
      }
    });

    it('refuses bad options with a TypeError naming the option', async () => {
      await assert.rejects(startTikTokEmulator({ port: -1 }), /option `port`/);
      await assert.rejects(startTikTokEmulator({ redirectUris: ['/cb'] }), /`redirectUris`/);
      await assert.rejects(
        startTikTokEmulator({ rateLimit: { limit: 0, windowMs: 1 } }),
        /`rateLimit`/,
      );
      await assert.rejects(startTikTokEmulator({ users: [{ followerCount: -1 }] }), TypeError);
      await assert.rejects(startTikTokEmulator({ users: [{ openId: '' }] }), TypeError);
      await assert.rejects(
        startTikTokEmulator({ users: [{ openId: 'open-\ud800' }] }),
        /user\.openId must not hold a lone surrogate/,
      );
      await assert.rejects(startTikTokEmulator({ clientKey: '' }), /`clientKey`/);
      await assert.rejects(startTikTokEmulator({ codeTtlMs: -5 }), /`codeTtlMs`/);
      // @ts-expect-error: not an allowed value
      await assert.rejects(startTikTokEmulator({ oauthErrorStatus: 400 }), /`oauthErrorStatus`/);
    });

    it('refuses token lifetimes TikTok never sends (0, fractions), pointing to expireAccessToken and the clock', async () => {
      const options = ['accessTokenTtlSec', 'refreshTokenTtlSec', 'clientTokenTtlSec'] as const;
      for (const option of options) {
        for (const value of [0, 1.5, 0.5, -1, Number.NaN, Infinity]) {
          await assert.rejects(startTikTokEmulator({ [option]: value }), {
            name: 'TypeError',
            message: new RegExp(
              `option \`${option}\` must be a positive integer number of seconds \\(got ${String(value)}\\).*\`tt\\.expireAccessToken\\(token\\)\`.*the \`clock\` option`,
            ),
          });
        }
        await assert.rejects(
          startTikTokEmulator({ [option]: '60' }), // a string, as from an environment variable
          new RegExp(
            `option \`${option}\` must be a positive integer number of seconds \\(got the string "60"\\)`,
          ),
        );
        // The client refuses an expires_in above 20 years.
        await assert.rejects(
          startTikTokEmulator({ [option]: 2 ** 40 }),
          /at most 630720000 seconds \(20 years/,
        );
      }
      const smallest = await startTikTokEmulator({
        accessTokenTtlSec: 1,
        refreshTokenTtlSec: 1,
        clientTokenTtlSec: 1,
      });
      await smallest.close();
    });

    it('issueTokens() refuses lifetimes TikTok never sends, naming the option', () => {
      const openId = tt.users[0]!.openId;
      for (const opts of [{ accessTtlSec: 0 }, { accessTtlSec: 2.5 }, { refreshTtlSec: 0.5 }]) {
        const [name] = Object.keys(opts);
        assert.throws(() => tt.issueTokens(openId, ['user.info.basic'], opts), {
          name: 'TypeError',
          message: new RegExp(
            `^TikTokEmulator\\.issueTokens: opts\\.${name} must be a positive integer number of seconds.*expireAccessToken`,
          ),
        });
      }
      const tokens = tt.issueTokens(openId, ['user.info.basic'], {
        accessTtlSec: 1,
        refreshTtlSec: 2,
      });
      assert.deepEqual([tokens.expires_in, tokens.refresh_expires_in], [1, 2]);
    });

    it('refuses options of the wrong type with a TypeError naming the option', async () => {
      const refusals: [options: unknown, message: RegExp][] = [
        [
          null,
          /^startTikTokEmulator: options must be an object \(TikTokEmulatorOptions\) or omitted \(got null\)$/,
        ],
        ['127.0.0.1', /options must be an object .*\(got the string "127\.0\.0\.1"\)/],
        [{ clock: Date.now() }, /option `clock` must be a function that returns epoch ms/],
        [{ random: 0.5 }, /option `random` must be a function that returns a number in \[0, 1\)/],
        [
          { autoApprove: 'yes' },
          /option `autoApprove` must be true or false \(got the string "yes"\)/,
        ],
        [{ requirePkce: 0 }, /option `requirePkce` must be true or false \(got 0\)/],
        [{ users: [{}, null] }, /option `users\[1\]` must be an object \(an EmulatorUserInput/],
        [{ users: 'alice' }, /option `users` must be an array of users/],
      ];
      for (const [options, message] of refusals) {
        // @ts-expect-error: deliberately not TikTokEmulatorOptions, as from JavaScript
        await assert.rejects(startTikTokEmulator(options), { name: 'TypeError', message });
      }
    });

    it('refuses method arguments of the wrong type with a TypeError naming the argument', () => {
      const openId = tt.users[0]!.openId;
      const misuses: [call: () => unknown, message: RegExp][] = [
        [
          // @ts-expect-error: not a user
          () => tt.addUser(null),
          /^TikTokEmulator\.addUser: the user must be an object .*\(got null\)$/,
        ],
        [
          // @ts-expect-error: an array, not a string
          () => tt.setConsent({ decision: 'approve', grantedScopes: 'user.info.basic' }),
          /^TikTokEmulator\.setConsent: grantedScopes must be an array of strings.*\(got the string "user\.info\.basic"\)$/,
        ],
        [
          // @ts-expect-error: not a consent
          () => tt.setConsent(null),
          /^TikTokEmulator\.setConsent: consent must be an object/,
        ],
        [
          // @ts-expect-error: an array, not a string
          () => tt.issueTokens(openId, 'user.info.basic'),
          /^TikTokEmulator\.issueTokens: scopes must be an array of scope names, e\.g\. \['user\.info\.basic'\]/,
        ],
        [
          // @ts-expect-error: not a boolean
          () => (tt.autoApprove = 'no'),
          /^TikTokEmulator\.autoApprove: must be set to true or false/,
        ],
      ];
      const users = tt.users.length;
      for (const [call, message] of misuses) assert.throws(call, { name: 'TypeError', message });
      assert.equal(tt.users.length, users);
      assert.equal(tt.autoApprove, false);
    });
  });

  describe('paths', () => {
    for (const path of [
      '/v2/oauth/token',
      '/v2/oauth/revoke',
      '/v2/user/info',
      '/v2/auth/authorize',
    ]) {
      it(`answers ${path} (no trailing slash) 404 Unsupported path(Janus)`, async () => {
        const response = await fetch(`${tt.url}${path}`, { method: 'POST', body: 'a=b' });
        assert.equal(response.status, 404);
        assert.equal(await response.text(), 'Unsupported path(Janus)');
        assert.equal(tt.requests[0]?.endpoint, 'other');
      });
    }

    it('answers unknown paths 404', async () => {
      const response = await get(`${tt.url}/v1/oauth/token/?x=1`);
      assert.equal(response.status, 404);
      assert.match(response.headers.get('x-tt-logid') ?? '', /^\d{14}[0-9A-F]{20}$/);
    });

    it('refuses GET on the token endpoint with 405', async () => {
      const response = await get(tt.endpoints.tokenURL);
      assert.equal(response.headers.get('allow'), 'POST');
      await assertOAuthError(response, 'invalid_request', undefined, 405);
    });
  });

  describe('log ids', () => {
    it('sends x-tt-logid on every response, equal to the body log_id, fresh each time', async () => {
      const first = await assertOAuthError(
        await postForm(tt.endpoints.tokenURL, {}),
        'invalid_request',
      );
      const second = await assertOAuthError(
        await postForm(tt.endpoints.tokenURL, {}),
        'invalid_request',
      );
      assert.match(first, /^20250601123045[0-9A-F]{20}$/);
      assert.notEqual(first, second);
      const page = await get(authorizeUrl(tt));
      assert.ok(page.headers.get('x-tt-logid'));
    });
  });

  describe('recording', () => {
    it('records every request, in order, before answering', async () => {
      tt.inject('revoke', { status: 500 });
      await postForm(tt.endpoints.revokeURL, { token: 'act.x', client_key: tt.clientKey });
      await get(`${tt.endpoints.userInfoURL}?fields=open_id&fields=x`, { 'X-Custom': 'Yes' });
      assert.equal(tt.requests.length, 2);
      const [revoke, info] = tt.requests;
      assert.equal(revoke?.endpoint, 'revoke');
      assert.equal(revoke?.method, 'POST');
      assert.equal(revoke?.path, '/v2/oauth/revoke/');
      assert.equal(revoke?.body, 'token=act.x&client_key=emulator-client-key');
      assert.deepEqual(revoke?.form, { token: 'act.x', client_key: 'emulator-client-key' });
      assert.equal(revoke?.at, now);
      assert.equal(info?.endpoint, 'userinfo');
      assert.deepEqual(info?.query, { fields: ['open_id', 'x'] });
      assert.equal(info?.headers['x-custom'], 'Yes');
      assert.equal(tt.count('revoke'), 1);
      assert.equal(tt.count('token'), 0);
    });

    it('joins repeated request headers with ", " (Authorization and Content-Type too), cookies with "; "', async () => {
      const url = new URL(tt.endpoints.tokenURL);
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(url, { method: 'POST' }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        // An array sends one header line per value.
        req.setHeader('authorization', ['Bearer first', 'Bearer second']);
        req.setHeader('content-type', ['application/x-www-form-urlencoded', 'text/plain']);
        req.setHeader('x-custom', ['a', 'b']);
        req.setHeader('cookie', ['a=1', 'b=2']);
        req.end('grant_type=client_credentials');
      });
      assert.ok(status > 0);
      const [record] = tt.requests;
      assert.equal(record?.headers.authorization, 'Bearer first, Bearer second');
      assert.equal(
        record?.headers['content-type'],
        'application/x-www-form-urlencoded, text/plain',
      );
      assert.equal(record?.headers['x-custom'], 'a, b');
      assert.equal(record?.headers.cookie, 'a=1; b=2');
      // The first Content-Type, the one the endpoint reads, makes it a form.
      assert.equal(record?.grantType, 'client_credentials');
    });

    it('counts token requests by grant type', async () => {
      await clientCredentials();
      await postForm(tt.endpoints.tokenURL, { grant_type: 'refresh_token' });
      assert.equal(tt.count('token'), 2);
      assert.equal(tt.count('token', { grantType: 'client_credentials' }), 1);
      assert.equal(tt.requests[1]?.grantType, 'refresh_token');
    });
  });

  describe('maxRecordedRequests', () => {
    it('keeps only the newest requests', async () => {
      const capped = await startTikTokEmulator({ maxRecordedRequests: 2 });
      try {
        for (const path of ['/a', '/b', '/c']) await get(`${capped.url}${path}`);
        assert.deepEqual(
          capped.requests.map((request) => request.path),
          ['/b', '/c'],
        );
      } finally {
        await capped.close();
      }
    });
  });

  describe('rate limit', () => {
    it('answers 429 rate_limit_exceeded per endpoint over a sliding window', async () => {
      for (let i = 0; i < 3; i += 1) assert.equal((await clientCredentials()).status, 200);
      await assertOAuthError(await clientCredentials(), 'rate_limit_exceeded', undefined, 429);
      const { access_token } = tt.issueTokens('emulator-open-id-1');
      for (let i = 0; i < 3; i += 1) {
        assert.equal((await userInfo(tt, access_token, 'open_id')).status, 200);
      }
      await assertUserInfoError(
        await userInfo(tt, access_token, 'open_id'),
        429,
        'rate_limit_exceeded',
      );
      now += 1000;
      assert.equal((await clientCredentials()).status, 200);
    });
  });

  describe('rate limits per endpoint', () => {
    let clock = 0;
    const started: TikTokEmulator[] = [];
    async function emulator(options: TikTokEmulatorOptions = {}): Promise<TikTokEmulator> {
      const emulator = await startTikTokEmulator({ clock: () => clock, ...options });
      started.push(emulator);
      return emulator;
    }
    function clientToken(emulator: TikTokEmulator): Promise<Response> {
      return postForm(emulator.endpoints.tokenURL, {
        client_key: emulator.clientKey,
        client_secret: emulator.clientSecret,
        grant_type: 'client_credentials',
      });
    }
    beforeEach(() => {
      clock = Date.UTC(2025, 5, 1);
    });
    after(() => Promise.all(started.map((emulator) => emulator.close())));

    it("defaults to TikTok's 600 per minute on user info only, without Retry-After", async () => {
      const tiktok = await emulator();
      const { access_token } = tiktok.issueTokens('emulator-open-id-1');
      const statuses = new Map<number, number>();
      const count = (status: number): void => {
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      };
      for (let batch = 0; batch < 12; batch += 1) {
        const answers = await Promise.all(
          Array.from({ length: 50 }, () => userInfo(tiktok, access_token, 'open_id')),
        );
        for (const answer of answers) count(answer.status);
        clock += 1000;
      }
      assert.deepEqual([...statuses], [[200, 600]]);
      const refused = await userInfo(tiktok, access_token, 'open_id');
      assert.equal(refused.headers.get('retry-after'), null);
      await assertUserInfoError(refused, 429, 'rate_limit_exceeded');
      // Sliding: 48 s later the first batch (t = 0 s) has left the window, and 50 fit again.
      clock += 48_001;
      assert.equal((await userInfo(tiktok, access_token, 'open_id')).status, 200);
      // No limit on the OAuth endpoints: 610 client tokens in the same instant.
      const tokens = await Promise.all(Array.from({ length: 610 }, () => clientToken(tiktok)));
      assert.deepEqual([...new Set(tokens.map((answer) => answer.status))], [200]);
    });

    it('rateLimits sets, changes or removes the limit of each endpoint, with Retry-After if asked', async () => {
      const custom = await emulator({
        rateLimits: {
          token: { limit: 2, windowMs: 10_000, retryAfter: 'window' },
          revoke: { limit: 1, windowMs: 1000, retryAfter: 7 },
          userinfo: false,
        },
      });
      assert.equal((await clientToken(custom)).status, 200);
      clock += 2500;
      assert.equal((await clientToken(custom)).status, 200);
      const refused = await clientToken(custom);
      assert.equal(refused.headers.get('retry-after'), '8'); // 10 s after the first, 7.5 s away
      await assertOAuthError(refused, 'rate_limit_exceeded', undefined, 429);
      const revoke = (): Promise<Response> =>
        postForm(custom.endpoints.revokeURL, { client_key: custom.clientKey });
      assert.equal((await revoke()).status, 200); // invalid_client, with HTTP 200
      const limited = await revoke();
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('retry-after'), '7');
      const { access_token } = custom.issueTokens('emulator-open-id-1');
      const answers = await Promise.all(
        Array.from({ length: 610 }, () => userInfo(custom, access_token, 'open_id')),
      );
      assert.deepEqual([...new Set(answers.map((answer) => answer.status))], [200]);
    });

    it('rateLimit (one limit for every endpoint) still works, and rateLimits wins over it', async () => {
      const both = await emulator({
        rateLimit: { limit: 1, windowMs: 1000 },
        rateLimits: { userinfo: { limit: 2, windowMs: 1000 } },
      });
      assert.equal((await clientToken(both)).status, 200);
      assert.equal((await clientToken(both)).status, 429);
      const { access_token } = both.issueTokens('emulator-open-id-1');
      const statuses = [];
      for (let i = 0; i < 3; i += 1) {
        statuses.push((await userInfo(both, access_token, 'open_id')).status);
      }
      assert.deepEqual(statuses, [200, 200, 429]);
    });

    it("an entry of rateLimits left undefined keeps that endpoint's default limit", async () => {
      const limited = false as boolean;
      const rateLimits = { userinfo: limited ? { limit: 1, windowMs: 1000 } : undefined };
      assert.deepEqual(resolveRateLimits(undefined, rateLimits), resolveRateLimits(undefined, {}));
      const tt = await startTikTokEmulator({ rateLimits });
      await tt.close();
    });

    it('refuses malformed limits with a TypeError naming the option', async () => {
      await assert.rejects(
        startTikTokEmulator({ rateLimits: { userinfo: { limit: 1.5, windowMs: 1 } } }),
        /option `rateLimits.userinfo` must be/,
      );
      await assert.rejects(
        startTikTokEmulator({ rateLimits: { token: { limit: 1, windowMs: 1, retryAfter: -1 } } }),
        /option `rateLimits.token.retryAfter` must be a non-negative integer/,
      );
      await assert.rejects(
        // @ts-expect-error: not an endpoint
        startTikTokEmulator({ rateLimits: { videos: { limit: 1, windowMs: 1 } } }),
        /option `rateLimits` must be keyed by authorize, token, revoke, userinfo \(got "videos"\)/,
      );
    });
  });

  describe('bad input', () => {
    it('answers a body over 1 MiB with 413, and keeps serving', async () => {
      const response = await fetch(tt.endpoints.tokenURL, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'a'.repeat(1024 * 1024 + 1),
      });
      await assertOAuthError(response, 'invalid_request', 'The request body exceeds 1 MiB.', 413);
      assert.equal(tt.requests[0]?.body, '');
      assert.equal((await clientCredentials()).status, 200);
    });

    it('survives garbage encodings and __proto__ keys', async () => {
      const response = await fetch(`${tt.endpoints.userInfoURL}?fields=%E0%A4%A&__proto__=x`);
      assert.equal(response.status, 401);
      const form = await fetch(tt.endpoints.tokenURL, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: '__proto__=1&%ZZ=%&grant_type=client_credentials',
      });
      assert.equal(form.status, 200);
      assert.equal(tt.requests[1]?.form?.['__proto__'], '1');
      assert.equal(Object.getPrototypeOf(tt.requests[1]?.form), Object.prototype);
    });

    it('serves concurrent logins', async () => {
      const many = await startTikTokEmulator({ autoApprove: true });
      try {
        const results = await Promise.all(
          Array.from({ length: 40 }, async () => {
            const tokens = many.issueTokens('emulator-open-id-1');
            const response = await postForm(many.endpoints.tokenURL, {
              client_key: many.clientKey,
              client_secret: many.clientSecret,
              grant_type: 'refresh_token',
              refresh_token: tokens.refresh_token,
            });
            return stringProp(await jsonObject(response), 'access_token');
          }),
        );
        assert.equal(new Set(results).size, 40);
      } finally {
        await many.close();
      }
    });
  });

  describe('reset()', () => {
    it('clears faults, requests, consent, grants and autoApprove, keeps users', async () => {
      const user = tt.addUser();
      tt.inject('token', { status: 500 });
      tt.setConsent({ decision: 'deny' });
      tt.autoApprove = true;
      const tokens = tt.issueTokens(user.openId);
      await get(`${tt.url}/nowhere`);
      tt.reset();
      assert.equal(tt.requests.length, 0);
      assert.equal(tt.autoApprove, false);
      assert.ok(tt.users.some((u) => u.openId === user.openId));
      assert.equal((await clientCredentials()).status, 200);
      await assertUserInfoError(
        await userInfo(tt, tokens.access_token, 'open_id'),
        401,
        'access_token_invalid',
      );
      tt.autoApprove = true;
      const location = (await get(authorizeUrl(tt))).headers.get('location') ?? '';
      assert.ok(location.includes('code='), 'the deny override is gone');
    });
  });

  describe('close()', () => {
    it('resolves with a hung request outstanding, which then fails', async () => {
      const doomed = await startTikTokEmulator();
      const arrived = new Promise<void>((resolve) => {
        doomed.inject('userinfo', { hang: true, match: () => (resolve(), true) });
      });
      const outcome = fetch(`${doomed.endpoints.userInfoURL}?fields=open_id`).then(
        () => 'answered',
        () => 'failed',
      );
      await arrived;
      await doomed.close();
      await doomed.close();
      assert.equal(await outcome, 'failed');
    });

    it('stops a trickle and a delay in progress', async () => {
      const doomed = await startTikTokEmulator();
      doomed.inject('token', { trickle: { intervalMs: 50 } });
      const arrived = new Promise<void>((resolve) => {
        doomed.inject('revoke', { delayMs: 60_000, match: () => (resolve(), true) });
      });
      const trickling = await fetch(doomed.endpoints.tokenURL, { method: 'POST' });
      const delayed = fetch(doomed.endpoints.revokeURL, { method: 'POST' }).catch(() => 'failed');
      await arrived;
      await doomed.close();
      await assert.rejects(trickling.text(), TypeError);
      assert.equal(await delayed, 'failed');
    });

    it('a script with hang, delay and trickle faults in flight exits by itself after it', async () => {
      // docs/emulator.md "Ending the test run": nothing but tt.close() to call.
      const outcome = await runScript(`
        const { TikTokClient } = require('./lib');
        const { startTikTokEmulator } = require('./lib/testing');
        (async () => {
          const tt = await startTikTokEmulator({ webhookUrl: 'http://127.0.0.1:9/hooks' });
          const client = new TikTokClient({
            clientKey: tt.clientKey, clientSecret: tt.clientSecret,
            redirectUri: 'https://example.com/cb', ...tt.endpoints,
          });
          const grant = tt.issueTokens(tt.users[0].openId, ['user.info.basic']);
          tt.inject('token', { hang: true, times: 9 });
          tt.inject('userinfo', { trickle: { intervalMs: 1000 }, times: 9 });
          tt.inject('revoke', { delayMs: 60000, times: 9 });
          const calls = [
            client.getClientAccessToken(),
            client.getUserInfo(grant.access_token),
            client.revokeAccess(grant.access_token),
            tt.sendWebhook({ event: 'video.publish.completed', userOpenId: 'u1' }),
          ].map((call) => call.then(() => 'answered', (err) => err.code ?? 'failed'));
          while (tt.requests.length < 3) await new Promise((resolve) => setTimeout(resolve, 20));
          await tt.close();
          console.log((await Promise.all(calls.slice(0, 3))).join(' '));
        })();
      `);
      assert.equal(outcome.timedOut, false, outcome.stdout + outcome.stderr);
      assert.equal(
        outcome.stdout.trim(),
        'NETWORK_ERROR NETWORK_ERROR NETWORK_ERROR',
        outcome.stderr,
      );
      assert.equal(outcome.code, 0);
    });
  });
});
