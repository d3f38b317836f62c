import assert from 'node:assert/strict';
import { authorize, REDIRECT_URI, useEmulator } from '../support/emulator';
import { rejection } from '../support/assertions';

// The whole life of a grant against the emulator, and the wire format of each call.
describe('TikTokClient', () => {
  describe('happy path', () => {
    const h = useEmulator();
    const SCOPES = ['user.info.basic', 'user.info.profile'];

    it('authorize → exchange → user info → refresh (rotation) → revoke → user info fails', async () => {
      const client = h.client({ scopes: SCOPES });
      const user = h.tt.users[0]!;

      // authorize, auto-approved: the callback carries a code with * ! . (encoded once)
      const { code, codeVerifier, grantedScopes, state, callback } = await authorize(client, {
        state: 'state-1',
      });
      assert.match(code, /\*/);
      assert.match(code, /!/);
      assert.match(code, /\./);
      assert.equal(callback.origin + callback.pathname, REDIRECT_URI);
      assert.equal(state, 'state-1');
      assert.deepEqual(grantedScopes, SCOPES);

      // exchange
      const tokens = await client.exchangeCodeForTokens(code, { codeVerifier });
      assert.equal(tokens.open_id, user.openId);
      assert.equal(tokens.scope, SCOPES.join(','));
      assert.equal(tokens.token_type, 'Bearer');
      assert.match(tokens.access_token, /^act\./);
      assert.match(tokens.refresh_token ?? '', /^rft\./);

      // user info for the granted scopes
      const info = await client.getUserInfo(tokens.access_token, {
        scopes: tokens.scope.split(','),
        expectedOpenId: tokens.open_id,
      });
      assert.equal(info.open_id, user.openId);
      assert.equal(info.username, user.username);

      // refresh rotates: new tokens, the old refresh token is dead
      const refreshed = await client.refreshAccessToken(tokens.refresh_token ?? '');
      assert.notEqual(refreshed.access_token, tokens.access_token);
      assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
      assert.equal(refreshed.open_id, user.openId);
      const reused = await rejection(client.refreshAccessToken(tokens.refresh_token ?? ''));
      assert.equal(reused.code, 'INVALID_TOKEN');
      assert.equal(reused.upstreamStatus, 200);
      assert.equal(reused.tiktokError?.error, 'invalid_grant');

      // revoke ends the grant
      assert.equal(await client.revokeAccess(refreshed.access_token), undefined);
      const after = await rejection(client.getUserInfo(refreshed.access_token));
      assert.equal(after.code, 'INVALID_TOKEN');
      assert.equal(after.upstreamStatus, 401);
      // revoked again: refused as docs/client.md documents it (invalid_request, with the advice)
      const again = await rejection(client.revokeAccess(refreshed.access_token));
      assert.equal(again.code, 'VALIDATION_ERROR');
      assert.equal(again.tiktokError?.error, 'invalid_request');
      assert.match(again.message, /malformed, expired or already revoked/);

      // each call went to its endpoint (the refused revoke once: not retried), at the exact path
      // with the trailing slash
      assert.deepEqual(
        h.tt.requests.map((r) => `${r.method} ${r.path} ${r.grantType ?? ''}`.trim()),
        [
          'GET /v2/auth/authorize/',
          'POST /v2/oauth/token/ authorization_code',
          'GET /v2/user/info/',
          'POST /v2/oauth/token/ refresh_token',
          'POST /v2/oauth/token/ refresh_token',
          'POST /v2/oauth/revoke/',
          'GET /v2/user/info/',
          'POST /v2/oauth/revoke/',
        ],
      );
    });

    it('the code exchange is a form post with client_key + client_secret in the body', async () => {
      const client = h.client();
      const { code, codeVerifier } = await authorize(client);
      await client.exchangeCodeForTokens(code, { codeVerifier });
      const sent = h.tt.requests.find((r) => r.grantType === 'authorization_code')!;
      assert.equal(sent.headers['content-type'], 'application/x-www-form-urlencoded');
      assert.deepEqual(sent.form, {
        client_key: h.tt.clientKey,
        client_secret: h.tt.clientSecret,
        code,
        grant_type: 'authorization_code',
        redirect_uri: REDIRECT_URI,
        code_verifier: codeVerifier,
      });
      // form-encoded exactly once: * and ! travel as %2A / %21 or raw, never double-encoded
      assert.equal(new URLSearchParams(sent.body).get('code'), code);
      assert.equal(sent.body.includes('%25'), false);
      assert.equal(sent.headers.authorization, undefined);
      assert.deepEqual(sent.query, {});
      // A form body of known length: node declares it (no chunked encoding).
      assert.equal(sent.headers['content-length'], String(Buffer.byteLength(sent.body)));
      assert.equal(sent.headers['transfer-encoding'], undefined);
      assert.equal(sent.headers['user-agent'], 'passport-tiktok');
    });

    it('refresh, client credentials and revoke are form posts with the secret in the body', async () => {
      const client = h.client();
      const { refresh_token } = h.tt.issueTokens(h.tt.users[0]!.openId);
      const { access_token: second } = h.tt.issueTokens(h.tt.users[0]!.openId);
      await client.refreshAccessToken(refresh_token);
      await client.getClientAccessToken();
      await client.revokeAccess(second);
      const base = { client_key: h.tt.clientKey, client_secret: h.tt.clientSecret };
      assert.deepEqual(
        h.tt.requests.map((r) => r.form),
        [
          { ...base, grant_type: 'refresh_token', refresh_token },
          { ...base, grant_type: 'client_credentials' },
          { ...base, token: second },
        ],
      );
      for (const r of h.tt.requests) {
        assert.equal(r.headers['content-type'], 'application/x-www-form-urlencoded');
        assert.equal(r.headers.authorization, undefined);
      }
    });

    it('user info is a GET with the Bearer token and a comma fields list', async () => {
      const { access_token } = h.tt.issueTokens(h.tt.users[0]!.openId);
      await h.client().getUserInfo(access_token);
      const sent = h.tt.requests[0]!;
      assert.equal(sent.method, 'GET');
      assert.equal(sent.path, '/v2/user/info/');
      assert.equal(sent.headers.authorization, `Bearer ${access_token}`);
      assert.deepEqual(sent.query, {
        fields: 'open_id,union_id,avatar_url,avatar_url_100,avatar_large_url,display_name',
      });
      assert.equal(sent.body, '');
    });

    describe('TikTok refusing the exchange', () => {
      it('a different redirect_uri than at authorize → VALIDATION_ERROR', async () => {
        const client = h.client();
        const { code, codeVerifier } = await authorize(client);
        const err = await rejection(
          client.exchangeCodeForTokens(code, {
            codeVerifier,
            redirectUri: 'http://127.0.0.1:3000/other',
          }),
        );
        assert.equal(err.code, 'VALIDATION_ERROR');
        assert.equal(err.tiktokError?.error, 'invalid_request');
        assert.match(err.message, /redirect_uri differs from the one used at authorize/);
      });

      it('a wrong PKCE verifier → VALIDATION_ERROR', async () => {
        const client = h.client();
        const { code } = await authorize(client);
        const err = await rejection(
          client.exchangeCodeForTokens(code, { codeVerifier: 'x'.repeat(64) }),
        );
        assert.equal(err.code, 'VALIDATION_ERROR');
        assert.equal(err.tiktokError?.description, 'Code verifier or code challenge is invalid.');
      });

      it('a wrong client secret → INVALID_CREDENTIALS, one attempt', async () => {
        const client = h.client({ clientSecret: 'not-the-secret' });
        const { code, codeVerifier } = await authorize(client);
        const err = await rejection(client.exchangeCodeForTokens(code, { codeVerifier }));
        assert.equal(err.code, 'INVALID_CREDENTIALS');
        assert.equal(err.retryable, false);
        assert.equal(h.tt.count('token'), 1);
      });

      it('the same code twice → the second is INVALID_TOKEN (single-use)', async () => {
        const client = h.client();
        const { code, codeVerifier } = await authorize(client);
        await client.exchangeCodeForTokens(code, { codeVerifier });
        const err = await rejection(client.exchangeCodeForTokens(code, { codeVerifier }));
        assert.equal(err.code, 'INVALID_TOKEN');
        assert.doesNotMatch(err.message, /earlier attempt/);
      });
    });
  });
});
