import assert from 'node:assert/strict';
import type { MalformedKind } from '../../lib/testing';
import { authorize, useEmulator } from '../support/emulator';
import { rejection, timed } from '../support/assertions';
import { meteringFetch } from '../support/fetch-wrappers';
import { without } from '../support/objects';
import { attempts, OPERATIONS } from '../support/operations';

const VALID_TOKENS = {
  access_token: 'act.injected',
  expires_in: 86400,
  open_id: 'open-injected',
  refresh_expires_in: 31536000,
  refresh_token: 'rft.injected',
  scope: 'user.info.basic',
  token_type: 'Bearer',
};

// docs/errors.md (MALFORMED_RESPONSE): bodies that are not the documented shape.
describe('TikTokClient', () => {
  describe('malformed TikTok answers', () => {
    const h = useEmulator();
    const exchange = OPERATIONS.find((o) => o.name === 'token_exchange')!;
    const userInfo = OPERATIONS.find((o) => o.name === 'user_info')!;

    describe('bodies that are not JSON objects', () => {
      const KINDS: MalformedKind[] = [
        'html',
        'truncated',
        'null',
        'array',
        'string',
        'empty',
        'not-json',
      ];
      for (const op of [exchange, userInfo]) {
        for (const kind of KINDS) {
          it(`${op.name}: 200 ${kind} → MALFORMED_RESPONSE, not retried`, async () => {
            const client = h.client();
            const call = await op.prepare(h.tt, client);
            h.tt.inject(op.endpoint, { malformed: kind, times: Infinity });
            const err = await rejection(call());
            assert.equal(err.code, 'MALFORMED_RESPONSE');
            assert.equal(err.statusCode, 502);
            assert.equal(err.retryable, false);
            assert.equal(err.upstreamStatus, 200);
            assert.equal(attempts(h.tt, op), 1);
          });
        }
      }

      it('names the content type of an HTML answer', async () => {
        const call = await exchange.prepare(h.tt, h.client());
        h.tt.inject('token', { malformed: 'html' });
        const err = await rejection(call());
        assert.equal(
          err.message,
          'Token exchange failed: TikTok answered a body that is not JSON (text/html; charset=utf-8).',
        );
      });

      it('(the byte meter counts what a normal answer reads)', async () => {
        const meter = meteringFetch();
        const call = await userInfo.prepare(h.tt, h.client({ fetch: meter.fetch }));
        await call();
        assert.ok(meter.bytesRead > 100, `${meter.bytesRead} bytes read`);
      });

      for (const op of [exchange, userInfo]) {
        it(`${op.name}: a 10 MiB body → MALFORMED_RESPONSE quickly, at most 1 MiB read`, async () => {
          const meter = meteringFetch();
          // A 10 s attempt timeout: reading the first MiB on a busy machine must not time out (a
          // timed-out code exchange is retried once, and this test counts one attempt).
          const client = h.client({ fetch: meter.fetch, timeoutMs: 10_000 });
          const call = await op.prepare(h.tt, client);
          h.tt.inject(op.endpoint, { malformed: 'oversized', times: Infinity });
          const { ms, error } = await timed(call);
          assert.equal(error?.code, 'MALFORMED_RESPONSE');
          assert.match(error.message, /TikTok's answer is larger than 1 MiB and was refused\.$/);
          assert.equal(attempts(h.tt, op), 1);
          assert.ok(meter.bytesRead <= 1024 * 1024, `${meter.bytesRead} bytes read`);
          // Refused at the cap, not after the attempt timed out.
          assert.ok(ms < 5000, `${Math.round(ms)} ms`);
        });
      }
    });

    describe('token responses with bad fields', () => {
      const BAD: [string, Record<string, unknown>, RegExp][] = [
        ['missing access_token', { access_token: undefined }, /access_token is missing or empty/],
        ['empty access_token', { access_token: '' }, /access_token is missing or empty/],
        ['token_type "mac"', { token_type: 'mac' }, /token_type is not Bearer/],
        [
          'expires_in "abc"',
          { expires_in: 'abc' },
          /expires_in is not a positive number of seconds/,
        ],
        ['expires_in -1', { expires_in: -1 }, /expires_in is not a positive number of seconds/],
        ['expires_in 1e20', { expires_in: 1e20 }, /expires_in is not a positive number of seconds/],
        ['expires_in 0.5', { expires_in: 0.5 }, /expires_in is not a positive number of seconds/],
        [
          'expires_in "1e5"',
          { expires_in: '1e5' },
          /expires_in is not a positive number of seconds/,
        ],
        [
          'expires_in "86400."',
          { expires_in: '86400.' },
          /expires_in is not a positive number of seconds/,
        ],
        ['missing open_id', { open_id: undefined }, /open_id is missing or empty/],
      ];
      for (const [name, change, reason] of BAD) {
        it(`${name} → MALFORMED_RESPONSE naming the field, one attempt`, async () => {
          const call = await exchange.prepare(h.tt, h.client());
          h.tt.inject('token', { body: { ...VALID_TOKENS, ...change } });
          const err = await rejection(call());
          assert.equal(err.code, 'MALFORMED_RESPONSE');
          assert.match(err.message, reason);
          assert.equal(attempts(h.tt, exchange), 1);
        });
      }

      it('expires_in "3600" → 3600, expires_at an hour from now', async () => {
        const client = h.client();
        const { code, codeVerifier } = await authorize(client);
        h.tt.inject('token', { body: { ...VALID_TOKENS, expires_in: '3600' } });
        const before = Date.now();
        const tokens = await client.exchangeCodeForTokens(code, { codeVerifier });
        assert.equal(tokens.expires_in, 3600);
        assert.ok(
          tokens.expires_at >= before + 3_600_000 && tokens.expires_at <= Date.now() + 3_600_000,
        );
      });

      // NOTE: what a JSON encoder writing floats sends: the same lifetime, its fraction dropped.
      for (const [given, seconds] of [
        ['86400.0', 86400],
        [86399.5, 86399],
        ['86399.75', 86399],
      ] as const) {
        it(`expires_in ${JSON.stringify(given)} → ${seconds}`, async () => {
          const client = h.client();
          const { code, codeVerifier } = await authorize(client);
          h.tt.inject('token', { body: { ...VALID_TOKENS, expires_in: given } });
          const before = Date.now();
          const tokens = await client.exchangeCodeForTokens(code, { codeVerifier });
          assert.equal(tokens.expires_in, seconds);
          assert.ok(
            tokens.expires_at >= before + seconds * 1000 &&
              tokens.expires_at <= Date.now() + seconds * 1000,
          );
        });
      }

      describe('a refresh answer without open_id', () => {
        const noOpenId = without(VALID_TOKENS, 'open_id');
        it('with expectedOpenId → the tokens, for that open_id', async () => {
          const client = h.client();
          const { refresh_token } = h.tt.issueTokens(h.tt.users[0]!.openId);
          h.tt.inject('token', { body: noOpenId });
          const tokens = await client.refreshAccessToken(refresh_token, {
            expectedOpenId: 'open-of-the-grant',
          });
          assert.equal(tokens.open_id, 'open-of-the-grant');
          assert.equal(tokens.refresh_token, 'rft.injected');
        });
        it('without expectedOpenId → MALFORMED_RESPONSE naming open_id', async () => {
          const client = h.client();
          const { refresh_token } = h.tt.issueTokens(h.tt.users[0]!.openId);
          h.tt.inject('token', { body: noOpenId });
          const err = await rejection(client.refreshAccessToken(refresh_token));
          assert.equal(err.code, 'MALFORMED_RESPONSE');
          assert.match(err.message, /open_id is missing or empty/);
        });
        for (const bad of ['', 42, null]) {
          it(`expectedOpenId ${JSON.stringify(bad)} → VALIDATION_ERROR, nothing sent (refresh and user info)`, async () => {
            const client = h.client();
            const { refresh_token, access_token } = h.tt.issueTokens(h.tt.users[0]!.openId);
            const options = { expectedOpenId: bad } as unknown as { expectedOpenId: string };
            for (const call of [
              () => client.refreshAccessToken(refresh_token, options),
              () => client.getUserInfo(access_token, options),
            ]) {
              const err = await rejection(call());
              assert.equal(err.code, 'VALIDATION_ERROR');
              assert.match(err.message, /expectedOpenId option must be a non-empty string/);
            }
            assert.equal(h.tt.count('token') + h.tt.count('userinfo'), 0);
          });
        }
        it('an answer naming another open_id than expectedOpenId → MALFORMED_RESPONSE, one attempt', async () => {
          const client = h.client();
          const { refresh_token } = h.tt.issueTokens(h.tt.users[0]!.openId);
          h.tt.inject('token', { body: VALID_TOKENS });
          const err = await rejection(
            client.refreshAccessToken(refresh_token, { expectedOpenId: 'open-of-the-grant' }),
          );
          assert.equal(err.code, 'MALFORMED_RESPONSE');
          assert.match(err.message, /open_id differs from the grant that was refreshed/);
          assert.equal(h.tt.count('token', { grantType: 'refresh_token' }), 1);
        });
      });

      it('a byte order mark before the JSON → the tokens, and before an error → its code', async () => {
        const client = h.client();
        const { code, codeVerifier } = await authorize(client);
        h.tt.inject('token', {
          status: 200,
          body: `\ufeff${JSON.stringify(VALID_TOKENS)}`,
          headers: { 'content-type': 'application/json' },
        });
        const tokens = await client.exchangeCodeForTokens(code, { codeVerifier });
        assert.equal(tokens.access_token, 'act.injected');
        h.tt.inject('token', {
          status: 200,
          body: '\ufeff{"error":"invalid_grant","error_description":"x","log_id":"l"}',
          headers: { 'content-type': 'application/json' },
        });
        const err = await rejection(client.refreshAccessToken('rft.any'));
        assert.equal(err.code, 'INVALID_TOKEN');
      });

      it('token_type "bearer" → accepted, normalised to "Bearer"', async () => {
        const client = h.client();
        const { refresh_token } = h.tt.issueTokens(h.tt.users[0]!.openId);
        h.tt.inject('token', { body: { ...VALID_TOKENS, token_type: 'bearer' } });
        const tokens = await client.refreshAccessToken(refresh_token);
        assert.equal(tokens.token_type, 'Bearer');
        assert.equal(tokens.access_token, 'act.injected');
      });

      // A refresh_expires_in that is not a lifetime: the tokens TikTok issued are kept without
      // it (the code is spent, or the refresh token retired), and a warn line names the field.
      for (const bad of [0, -1, 'abc', 1e20, true]) {
        it(`refresh_expires_in ${JSON.stringify(bad)} → the tokens, without a refresh lifetime, logged at warn`, async () => {
          const client = h.client();
          const { code, codeVerifier } = await authorize(client);
          h.tt.inject('token', { body: { ...VALID_TOKENS, refresh_expires_in: bad } });
          const tokens = await client.exchangeCodeForTokens(code, {
            codeVerifier,
            correlationId: 'tiktok-1-0000abcd',
          });
          assert.equal(tokens.access_token, 'act.injected');
          assert.equal(tokens.refresh_token, 'rft.injected');
          assert.equal('refresh_expires_in' in tokens, false);
          assert.equal('refresh_expires_at' in tokens, false);
          assert.equal(attempts(h.tt, exchange), 1);
          const lines = h.logger.events('refresh_expires_in ignored');
          assert.equal(lines.length, 1);
          assert.equal(lines[0]?.level, 'warn');
          assert.equal(
            lines[0]?.message,
            '[TikTokOAuth] token_exchange - refresh_expires_in ignored',
          );
          assert.equal(lines[0]?.meta?.correlationId, 'tiktok-1-0000abcd');
          assert.doesNotMatch(h.logger.text(), /act\.injected|rft\.injected/);
        });
      }

      it('refresh_expires_in 0 on a refresh → the rotated tokens, logged at warn', async () => {
        const client = h.client();
        const { refresh_token } = h.tt.issueTokens(h.tt.users[0]!.openId);
        h.tt.inject('token', { body: { ...VALID_TOKENS, refresh_expires_in: 0 } });
        const tokens = await client.refreshAccessToken(refresh_token);
        assert.equal(tokens.refresh_token, 'rft.injected');
        assert.equal(tokens.refresh_expires_at, undefined);
        assert.equal(h.logger.events('refresh_expires_in ignored')[0]?.meta?.operation, 'refresh');
      });

      it('a valid refresh_expires_in logs nothing', async () => {
        const client = h.client();
        const { code, codeVerifier } = await authorize(client);
        h.tt.inject('token', { body: VALID_TOKENS });
        const tokens = await client.exchangeCodeForTokens(code, { codeVerifier });
        assert.equal(tokens.refresh_expires_in, 31536000);
        assert.equal(h.logger.events('refresh_expires_in ignored').length, 0);
      });

      it('missing refresh_token → login works, no refresh_token field (not refreshable)', async () => {
        const client = h.client();
        const { code, codeVerifier } = await authorize(client);
        h.tt.inject('token', {
          body: without(VALID_TOKENS, 'refresh_token', 'refresh_expires_in'),
        });
        const tokens = await client.exchangeCodeForTokens(code, { codeVerifier });
        assert.equal(tokens.access_token, 'act.injected');
        assert.equal(tokens.open_id, 'open-injected');
        assert.equal('refresh_token' in tokens, false);
        assert.equal('refresh_expires_at' in tokens, false);
      });
    });

    describe('prototype pollution', () => {
      const POISON =
        '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},' +
        '"access_token":"act.p","expires_in":60,"open_id":"open-p","token_type":"Bearer",' +
        '"refresh_token":"rft.p","scope":"user.info.basic"}';

      it('__proto__ / constructor keys in a token response pollute nothing', async () => {
        const client = h.client();
        const { refresh_token } = h.tt.issueTokens(h.tt.users[0]!.openId);
        h.tt.inject('token', { body: POISON, headers: { 'content-type': 'application/json' } });
        const tokens = await client.refreshAccessToken(refresh_token);
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
        assert.equal(Object.getPrototypeOf(tokens), Object.prototype);
        assert.equal((tokens as unknown as Record<string, unknown>).polluted, undefined);
        assert.equal(Object.prototype.hasOwnProperty.call(tokens, '__proto__'), false);
        assert.equal(tokens.access_token, 'act.p');
      });

      it('__proto__ keys inside user info pollute nothing', async () => {
        const client = h.client();
        const { access_token } = h.tt.issueTokens(h.tt.users[0]!.openId);
        h.tt.inject('userinfo', {
          body: '{"data":{"user":{"open_id":"o","__proto__":{"polluted":"yes","is_verified":true}}},"error":{"code":"ok","__proto__":{"code":"x"}}}',
          headers: { 'content-type': 'application/json' },
        });
        const user = await client.getUserInfo(access_token);
        assert.deepEqual(user, { open_id: 'o' });
        assert.equal(Object.getPrototypeOf(user), Object.prototype);
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
      });
    });
  });
});
