import assert from 'node:assert/strict';
import { parseProfile } from '../../lib';
import { rejection } from '../support/assertions';
import { authorize, useEmulator } from '../support/emulator';
import {
  TOKEN_INVALID_REQUEST,
  TOKEN_WITH_MAC_TOKEN_TYPE,
  TOKEN_WITHOUT_TOKEN_TYPE,
  USER_INFO_EMPTY_BIO,
  USER_INFO_INVALID_PARAMS,
  USER_INFO_TOP_LEVEL_ERROR,
} from '../support/tiktok-recorded';

describe('TikTokClient', () => {
  describe('fidelity to TikTok and to the original API', () => {
    describe('getAuthorizationUrl(scopes)', () => {
      const h = useEmulator();

      it('an array of scopes is read as { scopes } and TikTok grants exactly those', async () => {
        const client = h.client();
        const { url } = await client.getAuthorizationUrl(['user.info.basic', 'video.list']);
        assert.equal(new URL(url).searchParams.get('scope'), 'user.info.basic,video.list');
        const granted = await authorize(client, ['user.info.basic', 'video.list']);
        assert.deepEqual(granted.grantedScopes, ['user.info.basic', 'video.list']);
        const tokens = await client.exchangeCodeForTokens(granted.code, {
          codeVerifier: granted.codeVerifier,
        });
        assert.equal(tokens.scope, 'user.info.basic,video.list');
      });

      for (const [what, arg, got] of [
        ['a string', 'user.info.basic', 'string'],
        ['a number', 42, 'number'],
        ['null', null, 'null'],
        ['a boolean', true, 'boolean'],
      ] as const) {
        it(`${what} is a TypeError naming the accepted forms`, async () => {
          const client = h.client();
          // @ts-expect-error -- what JavaScript callers can pass
          const call = (): Promise<unknown> => client.getAuthorizationUrl(arg);
          await assert.rejects(call(), {
            name: 'TypeError',
            message: `getAuthorizationUrl() takes an options object ({ scopes, state, disableAutoAuth, pkce, redirectUri }) or an array of scopes, got ${got}`,
          });
        });
      }

      it('an array with a non-string scope is a TypeError', async () => {
        // @ts-expect-error -- what JavaScript callers can pass
        const call = h.client().getAuthorizationUrl(['user.info.basic', 7]);
        await assert.rejects(call, {
          name: 'TypeError',
          message: 'getAuthorizationUrl(scopes): every scope must be a string',
        });
      });
    });

    describe('exchangeCodeForTokens(code) and the pkce option', () => {
      describe('with PKCE on (the default)', () => {
        const h = useEmulator();

        it('without codeVerifier: VALIDATION_ERROR naming codeVerifier, no request, code intact', async () => {
          const client = h.client();
          const granted = await authorize(client);
          const err = await rejection(client.exchangeCodeForTokens(granted.code));
          assert.equal(err.code, 'VALIDATION_ERROR');
          assert.equal(err.statusCode, 400);
          assert.match(err.message, /needs the PKCE codeVerifier/);
          assert.match(err.message, /exchangeCodeForTokens\(code, \{ codeVerifier \}\)/);
          assert.match(err.message, /getAuthorizationUrl\(\) returned/);
          assert.match(err.message, /pkce: false/);
          assert.equal(h.tt.count('token'), 0, 'TikTok saw no token request');
          const tokens = await client.exchangeCodeForTokens(granted.code, {
            codeVerifier: granted.codeVerifier,
          });
          assert.equal(tokens.open_id, h.tt.users[0]!.openId, 'the code was not consumed');
        });
      });

      describe('with pkce: false', () => {
        const h = useEmulator({ requirePkce: false });

        it('the URL has no challenge and exchangeCodeForTokens(code) alone logs in', async () => {
          const client = h.client({ pkce: false });
          assert.equal(client.pkce, false);
          const auth = await client.getAuthorizationUrl();
          assert.equal(auth.codeVerifier, undefined);
          const params = new URL(auth.url).searchParams;
          assert.equal(params.get('code_challenge'), null);
          assert.equal(params.get('code_challenge_method'), null);
          const granted = await authorize(client);
          assert.equal(granted.codeVerifier, undefined);
          const tokens = await client.exchangeCodeForTokens(granted.code);
          assert.equal(tokens.open_id, h.tt.users[0]!.openId);
          const form = new URLSearchParams(h.tt.requests.find((r) => r.endpoint === 'token')?.body);
          assert.equal(form.has('code_verifier'), false);
          const user = await client.getUserInfo(tokens.access_token);
          assert.equal(user.open_id, h.tt.users[0]!.openId);
        });

        it('a per-call pkce: true still sends a challenge and needs the verifier', async () => {
          const client = h.client({ pkce: false });
          const auth = await client.getAuthorizationUrl({ pkce: true });
          assert.equal(typeof auth.codeVerifier, 'string');
          assert.match(
            new URL(auth.url).searchParams.get('code_challenge') ?? '',
            /^[0-9a-f]{64}$/,
          );
          const granted = await authorize(client, { pkce: true });
          const err = await rejection(client.exchangeCodeForTokens(granted.code, { pkce: true }));
          assert.equal(err.code, 'VALIDATION_ERROR');
          assert.equal(h.tt.count('token'), 0);
        });

        it('pkce must be a boolean', () => {
          // @ts-expect-error -- what JavaScript callers can pass
          assert.throws(() => h.client({ pkce: 'no' }), {
            name: 'TypeError',
            message: 'TikTokClient option pkce must be a boolean',
          });
        });
      });
    });

    describe('clientKey / clientSecret as functions', () => {
      const h = useEmulator();

      /** A secret function over a value the test changes, counting its calls. */
      function secretSource(initial: string): {
        fn: () => Promise<string>;
        calls: () => number;
        set: (value: string) => void;
      } {
        let value = initial;
        let calls = 0;
        return {
          fn: async () => {
            calls += 1;
            await new Promise((resolve) => setImmediate(resolve));
            return value;
          },
          calls: () => calls,
          set: (v) => {
            value = v;
          },
        };
      }

      it('is called once for many operations, concurrent ones included (default 5 min cache)', async () => {
        const secret = secretSource(h.tt.clientSecret);
        const client = h.client({ clientSecret: secret.fn });
        const openId = h.tt.users[0]!.openId;
        const first = await Promise.all(
          Array.from({ length: 10 }, () =>
            client.refreshAccessToken(h.tt.issueTokens(openId).refresh_token),
          ),
        );
        assert.equal(first.length, 10);
        await client.revokeAccess(h.tt.issueTokens(openId).access_token);
        await client.getClientAccessToken();
        assert.equal(secret.calls(), 1);
        assert.equal(h.tt.count('token') + h.tt.count('revoke'), 12);
      });

      it('is called again once credentialsTtlMs has passed', async () => {
        const secret = secretSource(h.tt.clientSecret);
        // The two refreshes must fit in the TTL: 500 ms, not a few ms, on a busy machine.
        const client = h.client({ clientSecret: secret.fn, credentialsTtlMs: 500 });
        const openId = h.tt.users[0]!.openId;
        await client.refreshAccessToken(h.tt.issueTokens(openId).refresh_token);
        await client.refreshAccessToken(h.tt.issueTokens(openId).refresh_token);
        assert.equal(secret.calls(), 1);
        await new Promise((resolve) => setTimeout(resolve, 600));
        await client.refreshAccessToken(h.tt.issueTokens(openId).refresh_token);
        assert.equal(secret.calls(), 2);
      });

      it('is called again once credentialsTtlMs has passed, even after the wall clock stepped back an hour', async () => {
        const secret = secretSource(h.tt.clientSecret);
        const client = h.client({ clientSecret: secret.fn, credentialsTtlMs: 200 });
        const openId = h.tt.users[0]!.openId;
        await client.refreshAccessToken(h.tt.issueTokens(openId).refresh_token);
        assert.equal(secret.calls(), 1);
        const real = Date.now.bind(Date);
        Date.now = () => real() - 3_600_000; // NTP steps the wall clock back an hour
        try {
          await new Promise((resolve) => setTimeout(resolve, 300));
          await client.refreshAccessToken(h.tt.issueTokens(openId).refresh_token);
          assert.equal(secret.calls(), 2);
        } finally {
          Date.now = real;
        }
      });

      it('after invalid_client the next operation fetches a rotated secret, once', async () => {
        const secret = secretSource('old-secret-before-rotation');
        const client = h.client({ clientSecret: secret.fn });
        const err = await rejection(client.getClientAccessToken());
        assert.equal(err.code, 'INVALID_CREDENTIALS');
        assert.equal(err.tiktokError?.error, 'invalid_client');
        assert.equal(secret.calls(), 1);
        secret.set(h.tt.clientSecret); // the secret manager now holds the rotated secret
        const token = await client.getClientAccessToken();
        assert.match(token.access_token, /^clt\./);
        assert.equal(secret.calls(), 2);
        await client.revokeAccess(h.tt.issueTokens(h.tt.users[0]!.openId).access_token);
        assert.equal(secret.calls(), 2, 'the new value is cached again');
      });

      it('after unauthorized_client too, the next operation asks the secret function again', async () => {
        const secret = secretSource(h.tt.clientSecret);
        const client = h.client({ clientSecret: secret.fn });
        h.tt.inject('token', { tiktokError: { error: 'unauthorized_client' } });
        const err = await rejection(client.getClientAccessToken());
        assert.equal(err.code, 'INVALID_CREDENTIALS');
        assert.equal(secret.calls(), 1);
        await client.getClientAccessToken();
        assert.equal(secret.calls(), 2);
      });

      it('a clientKey function is resolved before the authorization URL is built', async () => {
        let calls = 0;
        const client = h.client({
          clientKey: () => {
            calls += 1;
            return h.tt.clientKey;
          },
        });
        assert.equal(client.clientKey, '', 'nothing resolved yet');
        const granted = await authorize(client);
        assert.equal(new URL(granted.callback).searchParams.get('code') !== null, true);
        assert.equal(client.clientKey, h.tt.clientKey);
        const tokens = await client.exchangeCodeForTokens(granted.code, {
          codeVerifier: granted.codeVerifier,
        });
        assert.equal(tokens.open_id, h.tt.users[0]!.openId);
        const form = new URLSearchParams(h.tt.requests.find((r) => r.endpoint === 'token')?.body);
        assert.equal(form.get('client_key'), h.tt.clientKey);
        assert.equal(calls, 1);
      });

      it('a function that throws: SERVICE_UNAVAILABLE naming the option, no request, no crash', async () => {
        let calls = 0;
        const client = h.client({
          clientSecret: () => {
            calls += 1;
            throw new Error('vault unreachable');
          },
        });
        const err = await rejection(client.getClientAccessToken({ correlationId: 'corr-vault-1' }));
        assert.equal(err.code, 'SERVICE_UNAVAILABLE');
        assert.equal(err.retryable, true);
        assert.equal(err.correlationId, 'corr-vault-1');
        assert.equal(
          err.message,
          'Could not get the TikTok clientSecret: the clientSecret function failed. Check the secret manager it reads from; the call is retried on the next operation.',
        );
        assert.equal(h.tt.count('token'), 0);
        await rejection(client.getClientAccessToken());
        assert.equal(calls, 2, 'a failure is not cached');
      });

      for (const [what, value, reason] of [
        ['a number', 42, 'is a number, not a string'],
        ['undefined', undefined, 'is undefined, not a string'],
        ['an empty string', '', 'is empty'],
        [
          'a value with quotes',
          '"quoted-secret-value"',
          'contains whitespace or quotes (copied with the quotes or a newline from a .env file?)',
        ],
        [
          'a value with a newline',
          'secret-with-newline\n',
          'contains whitespace or quotes (copied with the quotes or a newline from a .env file?)',
        ],
      ] as const) {
        it(`a function returning ${what}: CONFIGURATION_ERROR naming the option, not the value`, async () => {
          // @ts-expect-error -- what a JavaScript secret function can return
          const client = h.client({ clientSecret: () => Promise.resolve(value) });
          const err = await rejection(client.getClientAccessToken());
          assert.equal(err.code, 'CONFIGURATION_ERROR');
          assert.equal(
            err.message,
            `The TikTok clientSecret function returned a value that ${reason}.`,
          );
          assert.equal(h.tt.count('token'), 0);
          assert.ok(!h.logger.text().includes('quoted-secret-value'));
        });
      }

      it('static values are checked the same way at construction (TypeError, value not shown)', () => {
        assert.throws(() => h.client({ clientSecret: "'single-quoted-secret'" }), {
          name: 'TypeError',
          message:
            'TikTokClient option clientSecret contains whitespace or surrounding quotes: remove them (a .env value must not be quoted twice or end with a space or newline)',
        });
        assert.throws(() => h.client({ clientKey: 'key with space' }), {
          name: 'TypeError',
          message:
            'TikTokClient option clientKey contains whitespace or surrounding quotes: remove them (a .env value must not be quoted twice or end with a space or newline)',
        });
        // @ts-expect-error -- what JavaScript callers can pass
        assert.throws(() => h.client({ clientSecret: 42 }), {
          name: 'TypeError',
          message:
            'TikTokClient option clientSecret must be a string or a function returning one (or a promise of one)',
        });
      });

      it('the resolved secret is scrubbed from messages and logs like a static one', async () => {
        const secret = h.tt.clientSecret;
        const client = h.client({ clientSecret: () => secret });
        h.tt.inject('token', {
          tiktokError: { error: 'invalid_request', description: `client_secret ${secret} refused` },
          times: 3,
        });
        const err = await rejection(client.getClientAccessToken());
        assert.equal(err.code, 'VALIDATION_ERROR');
        assert.ok(!err.message.includes(secret), err.message);
        assert.ok(!JSON.stringify(err.tiktokError).includes(secret));
        assert.match(JSON.stringify(err.tiktokError), /\[REDACTED\]/);
        assert.ok(!h.logger.text().includes(secret));
      });

      it('a failed refetch after the cache lifetime keeps the previous value (logged)', async () => {
        let fail = false;
        const client = h.client({
          credentialsTtlMs: 20,
          clientSecret: () => {
            if (fail) throw new Error('vault unreachable');
            return h.tt.clientSecret;
          },
        });
        await client.getClientAccessToken();
        fail = true;
        await new Promise((resolve) => setTimeout(resolve, 40));
        const openId = h.tt.users[0]!.openId;
        const tokens = await client.refreshAccessToken(h.tt.issueTokens(openId).refresh_token);
        assert.equal(tokens.open_id, openId);
        const warned = h.logger.events('refetch failed, using the previous value');
        assert.equal(warned.length, 1);
        assert.equal(warned[0]?.meta?.option, 'clientSecret');
      });

      it('credentialsTtlMs must be a positive integer', () => {
        assert.throws(() => h.client({ credentialsTtlMs: 0 }), {
          name: 'TypeError',
          message: 'TikTokClient option credentialsTtlMs must be a positive integer, got 0',
        });
      });
    });

    describe('recorded TikTok answers', () => {
      const h = useEmulator();
      const openId = (): string => h.tt.users[0]!.openId;

      it('a token answer without token_type is a Bearer token', async () => {
        h.tt.inject('token', { body: TOKEN_WITHOUT_TOKEN_TYPE });
        const tokens = await h
          .client()
          .refreshAccessToken(h.tt.issueTokens(openId()).refresh_token);
        assert.equal(tokens.token_type, 'Bearer');
        assert.equal(tokens.access_token, TOKEN_WITHOUT_TOKEN_TYPE.access_token);
        assert.equal(tokens.refresh_token, TOKEN_WITHOUT_TOKEN_TYPE.refresh_token);
        assert.equal(tokens.expires_in, 86400);
      });

      it('a token answer with a token_type other than Bearer stays MALFORMED_RESPONSE', async () => {
        h.tt.inject('token', { body: TOKEN_WITH_MAC_TOKEN_TYPE });
        const err = await rejection(
          h.client().refreshAccessToken(h.tt.issueTokens(openId()).refresh_token),
        );
        assert.equal(err.code, 'MALFORMED_RESPONSE');
        assert.match(err.message, /token_type is not Bearer/);
      });

      it('a user-info error object at the top level is read as the error (INVALID_TOKEN)', async () => {
        h.tt.inject('userinfo', { status: 401, body: USER_INFO_TOP_LEVEL_ERROR });
        const err = await rejection(
          h.client().getUserInfo(h.tt.issueTokens(openId()).access_token),
        );
        assert.equal(err.code, 'INVALID_TOKEN');
        assert.equal(err.upstreamStatus, 401);
        assert.equal(err.tiktokError?.error, 'access_token_invalid');
        assert.equal(err.logId, USER_INFO_TOP_LEVEL_ERROR.log_id);
        assert.equal(h.tt.count('userinfo'), 1, 'not retried');
      });

      it('empty strings TikTok sends are kept in the user and the profile', async () => {
        h.tt.inject('userinfo', { body: USER_INFO_EMPTY_BIO });
        const user = await h.client().getUserInfo(h.tt.issueTokens(openId()).access_token, {
          scopes: ['user.info.basic', 'user.info.profile'],
        });
        assert.equal(user.bio_description, '');
        assert.deepEqual(user, USER_INFO_EMPTY_BIO.data.user);
        const profile = parseProfile(user);
        assert.equal(profile._json.bio_description, '');
        assert.equal(profile.displayName, 'tiktok_user');
      });

      it('a profile with an empty display_name and avatar falls back on non-empty values', () => {
        const profile = parseProfile({
          open_id: 'o-1',
          display_name: '',
          username: 'user_one',
          avatar_large_url: '',
          avatar_url: 'https://example.test/a.jpeg',
        });
        assert.equal(profile.displayName, 'user_one');
        assert.deepEqual(profile.photos, [{ value: 'https://example.test/a.jpeg' }]);
        assert.equal(profile._json.display_name, '');
      });

      describe('invalid_request / invalid_params advice per operation', () => {
        const EXCHANGE_ADVICE = /redirect_uri differs from the one used at authorize/;

        it('code exchange: redirect_uri or the PKCE verifier', async () => {
          const client = h.client();
          const granted = await authorize(client);
          h.tt.inject('token', { body: TOKEN_INVALID_REQUEST });
          const err = await rejection(
            client.exchangeCodeForTokens(granted.code, { codeVerifier: granted.codeVerifier }),
          );
          assert.equal(err.code, 'VALIDATION_ERROR');
          assert.match(err.message, EXCHANGE_ADVICE);
          assert.match(err.message, /the PKCE verifier does not match/);
        });

        it('refresh: the refresh token', async () => {
          h.tt.inject('token', { body: TOKEN_INVALID_REQUEST });
          const err = await rejection(
            h.client().refreshAccessToken(h.tt.issueTokens(openId()).refresh_token),
          );
          assert.equal(err.code, 'VALIDATION_ERROR');
          assert.doesNotMatch(err.message, EXCHANGE_ADVICE);
          assert.match(
            err.message,
            /TikTok refuses a refresh token that is invalid, expired or revoked this way: the user must log in again\.$/,
          );
        });

        it('client token: the app credentials', async () => {
          h.tt.inject('token', { body: TOKEN_INVALID_REQUEST });
          const err = await rejection(h.client().getClientAccessToken());
          assert.doesNotMatch(err.message, EXCHANGE_ADVICE);
          assert.match(err.message, /clientKey and clientSecret belong to the same app/);
        });

        it('revoke: the access token', async () => {
          h.tt.inject('revoke', { body: TOKEN_INVALID_REQUEST });
          const err = await rejection(
            h.client().revokeAccess(h.tt.issueTokens(openId()).access_token),
          );
          assert.doesNotMatch(err.message, EXCHANGE_ADVICE);
          assert.match(err.message, /refuses to revoke an access token that is malformed, expired/);
        });

        it('revoke whose answer was lost, refused as already revoked on the retry: success (RFC 7009), the token is revoked', async () => {
          const access = h.tt.issueTokens(openId()).access_token;
          // TikTok revokes, then the connection drops mid-answer; the retry is refused.
          h.tt.inject('revoke', { reset: 'mid-body', times: 1 });
          await h.client().revokeAccess(access);
          assert.equal(h.tt.count('revoke'), 2);
          await rejection(h.client().getUserInfo(access));
          const taken = h.logger.lines.filter((l) => l.message.endsWith('taken as done'));
          assert.equal(taken.length, 1);
          assert.equal(taken[0]?.level, 'info');
          // Without a lost attempt, the same refusal is the caller's error (tested above).
        });

        it('user info: the requested fields', async () => {
          h.tt.inject('userinfo', { status: 400, body: USER_INFO_INVALID_PARAMS });
          const err = await rejection(
            h.client().getUserInfo(h.tt.issueTokens(openId()).access_token),
          );
          assert.equal(err.code, 'VALIDATION_ERROR');
          assert.equal(err.tiktokError?.error, 'invalid_params');
          assert.doesNotMatch(err.message, EXCHANGE_ADVICE);
          assert.match(err.message, /Check the requested fields/);
        });
      });
    });
  });
});
