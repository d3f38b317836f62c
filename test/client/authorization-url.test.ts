import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { TikTokClient } from '../../lib';

const hexS256 = (verifier: string): string => createHash('sha256').update(verifier).digest('hex');

// https://developers.tiktok.com/doc/login-kit-web: client_key, comma scopes, hex S256 challenge.
describe('TikTokClient', () => {
  describe('#getAuthorizationUrl', () => {
    const client = new TikTokClient({
      clientKey: 'awkey123',
      clientSecret: 'CANARY-SECRET-authorize-url',
      redirectUri: 'https://app.example/auth/tiktok/callback',
      scopes: ['user.info.basic', 'user.info.profile'],
    });

    it('is exactly TikTok URL + client_key, comma scopes, redirect_uri, state, hex S256, disable_auto_auth', async () => {
      const state = 'f'.repeat(64);
      const {
        url,
        state: returned,
        codeVerifier,
      } = await client.getAuthorizationUrl({ state, disableAutoAuth: true });
      assert.equal(returned, state);
      assert.ok(codeVerifier !== undefined);
      assert.equal(
        url,
        'https://www.tiktok.com/v2/auth/authorize/' +
          '?client_key=awkey123' +
          '&scope=user.info.basic%2Cuser.info.profile' +
          '&response_type=code' +
          '&redirect_uri=https%3A%2F%2Fapp.example%2Fauth%2Ftiktok%2Fcallback' +
          `&state=${state}` +
          `&code_challenge=${hexS256(codeVerifier)}` +
          '&code_challenge_method=S256' +
          '&disable_auto_auth=1',
      );
    });

    it('never carries client_id or the client secret; scopes decode to a comma list', async () => {
      const { url } = await client.getAuthorizationUrl();
      const params = new URL(url).searchParams;
      assert.equal(params.has('client_id'), false);
      assert.equal(params.has('client_secret'), false);
      assert.equal(url.includes('CANARY-SECRET-authorize-url'), false);
      assert.equal(params.get('scope'), 'user.info.basic,user.info.profile');
      assert.equal(params.has('disable_auto_auth'), false);
    });

    it('a fresh 64-hex state and a fresh valid verifier per call, challenge = hex SHA-256', async () => {
      const a = await client.getAuthorizationUrl();
      const b = await client.getAuthorizationUrl();
      assert.match(a.state, /^[0-9a-f]{64}$/);
      assert.notEqual(a.state, b.state);
      assert.match(a.codeVerifier ?? '', /^[A-Za-z0-9\-._~]{43,128}$/);
      assert.notEqual(a.codeVerifier, b.codeVerifier);
      assert.equal(
        new URL(a.url).searchParams.get('code_challenge'),
        hexS256(a.codeVerifier ?? ''),
      );
      assert.equal(new URL(a.url).searchParams.get('state'), a.state);
    });

    it('pkce: false → no challenge and no verifier; scopes and redirectUri can be overridden', async () => {
      const result = await client.getAuthorizationUrl({
        pkce: false,
        state: 's1',
        scopes: ['user.info.stats user.info.basic'],
        redirectUri: 'https://other.example/cb',
      });
      assert.equal('codeVerifier' in result, false);
      assert.equal(
        result.url,
        'https://www.tiktok.com/v2/auth/authorize/?client_key=awkey123&scope=user.info.stats%2Cuser.info.basic' +
          '&response_type=code&redirect_uri=https%3A%2F%2Fother.example%2Fcb&state=s1',
      );
    });

    it('an empty scopes override falls back on the client scopes', async () => {
      const { url } = await client.getAuthorizationUrl({ scopes: [] });
      assert.equal(new URL(url).searchParams.get('scope'), 'user.info.basic,user.info.profile');
    });

    it('a caller state that is not hex is form-encoded as URLSearchParams would (cached prefix or not)', async () => {
      for (let i = 0; i < 2; i++) {
        const { url } = await client.getAuthorizationUrl({ state: 'a b&c=d/é', pkce: false });
        assert.ok(url.endsWith('&state=a+b%26c%3Dd%2F%C3%A9'), url);
        assert.equal(new URL(url).searchParams.get('state'), 'a b&c=d/é');
      }
    });

    it('each scope set and redirect URI gets its own prefix; a query on the configured URL stays first', async () => {
      const withQuery = new TikTokClient({
        clientKey: 'awkey123',
        clientSecret: 'CANARY-SECRET-authorize-url',
        redirectUri: 'https://app.example/cb',
        authorizationURL: 'https://tiktok.example/authorize?lang=en',
      });
      const a = await withQuery.getAuthorizationUrl({
        scopes: ['user.info.basic'],
        pkce: false,
        state: 'ab',
      });
      const b = await withQuery.getAuthorizationUrl({
        scopes: ['user.info.profile'],
        redirectUri: 'https://app.example/other',
        pkce: false,
        state: 'cd',
      });
      assert.equal(
        a.url,
        'https://tiktok.example/authorize?lang=en&client_key=awkey123&scope=user.info.basic' +
          '&response_type=code&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&state=ab',
      );
      assert.equal(
        b.url,
        'https://tiktok.example/authorize?lang=en&client_key=awkey123&scope=user.info.profile' +
          '&response_type=code&redirect_uri=https%3A%2F%2Fapp.example%2Fother&state=cd',
      );
    });
  });
});
